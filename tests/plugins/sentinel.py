"""A real Redis primary, a replica and three Sentinels on loopback, for failover tests.

``SentinelSet(folder)`` starts Debian's ``redis-server`` twice (the second a replica of the
first) and three times in Sentinel mode (``redis-server <conf> --sentinel``), each on a free port
of 127.0.0.1, and waits until the Sentinels know the replica and each other. ``kill_primary``
SIGKILLs whichever server the Sentinels name as primary, waits for the failover, and starts the
killed one again as a replica of the new primary. ``close`` stops them all.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import redis

from tests.conftest import TIMEOUT_FACTOR

__all__ = ["SERVICE", "SentinelSet"]

SERVICE: Final = "mymaster"
REDIS_SERVER: Final = "/usr/bin/redis-server"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(condition: str, check: Callable[[], object], within: float = 60.0) -> None:
    deadline = time.monotonic() + within * TIMEOUT_FACTOR
    while True:
        try:
            if check():
                return
        except (redis.RedisError, OSError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {condition}")
        time.sleep(0.05)


@dataclass
class SentinelSet:
    """Two Redis servers (one primary) and three Sentinels watching them."""

    folder: Path
    #: the servers' fsync policy (the Sentinel tests: always; the benchmark: everysec)
    appendfsync: str = "always"
    servers: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)
    sentinels: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)
    #: for each kill: (seconds to a new primary, seconds until the killed one was a replica)
    timings: list[tuple[float, float]] = field(default_factory=list)

    def start(self) -> SentinelSet:
        """Start everything and wait until a failover could happen."""
        first, second = _free_port(), _free_port()
        self._server(first)
        self._server(second, replica_of=first)
        for _ in range(3):
            self._sentinel(_free_port(), first)
        _wait("the replica in sync, known to the Sentinels, who know each other", self._settled)
        return self

    def start_servers(self) -> SentinelSet:
        """Start only the two servers (no Sentinel), the replica in sync: for tests that
        promote by hand."""
        first, second = _free_port(), _free_port()
        self._server(first)
        self._server(second, replica_of=first)
        _wait("the replica in sync", lambda: self._in_sync(second, first))
        return self

    @property
    def url(self) -> str:
        """The ``redis+sentinel://`` URL of this set."""
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.sentinels)
        return f"redis+sentinel://{hosts}/{SERVICE}/0"

    @property
    def primary_url(self) -> str:
        """A plain ``redis://`` URL of the current primary (no Sentinel, no WAIT)."""
        return f"redis://127.0.0.1:{self.primary_port()}/0"

    def primary_port(self) -> int:
        """The port of the server the first Sentinel names as primary."""
        port = next(iter(self.sentinels))
        with redis.Redis(port=port, socket_timeout=2) as sentinel:
            _, named = sentinel.execute_command("SENTINEL", "get-master-addr-by-name", SERVICE)
        return int(named)

    def kill_primary(self) -> tuple[int, int]:
        """SIGKILL the primary; wait until another is named and the killed one is its replica
        again. Returns (killed port, new primary port); the seconds each step took are added
        to ``timings``."""
        killed = self.primary_port()
        started = time.monotonic()
        self.servers[killed].kill()
        self.servers[killed].wait()
        _wait("a new primary", lambda: self.primary_port() != killed)
        promoted = self.primary_port()
        failed_over = time.monotonic()
        # Back as a replica of the new primary (as Sentinel would make it, after its next INFO
        # round: up to 10 s later).
        self._server(killed, replica_of=promoted)
        # Settled: every Sentinel names one primary, the other server is its replica, in sync.
        # (Sentinel may fail over once more on its own: a server just restarted can look down
        # to a Sentinel whose last answer from it is older than down-after-milliseconds.)
        _wait("the set settled", self._settled)
        self.timings.append((failed_over - started, time.monotonic() - failed_over))
        return killed, promoted

    def close(self) -> None:
        """Stop every process (SIGKILL: nothing of theirs is kept)."""
        for process in [*self.sentinels.values(), *self.servers.values()]:
            if process.poll() is None:
                process.kill()
            process.wait()

    # -- inside ------------------------------------------------------------------------------

    def _server(self, port: int, *, replica_of: int | None = None) -> None:
        data = self.folder / f"redis-{port}"
        data.mkdir(parents=True, exist_ok=True)
        args = [
            REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data),
            "--save", "", "--appendonly", "yes", "--appendfsync", self.appendfsync,
            "--daemonize", "no", "--logfile", str(data / "redis.log"),
            # A replica's full sync starts at once (Redis waits 5 s for more replicas).
            "--repl-diskless-sync-delay", "0",
        ]  # fmt: skip
        if replica_of is not None:
            args += ["--replicaof", "127.0.0.1", str(replica_of)]
        self.servers[port] = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        _wait(f"redis-server on {port}", lambda: redis.Redis(port=port).ping())

    def _sentinel(self, port: int, primary: int) -> None:
        data = self.folder / f"sentinel-{port}"
        data.mkdir(parents=True, exist_ok=True)
        config = data / "sentinel.conf"
        config.write_text(
            f"port {port}\nbind 127.0.0.1\ndir {data}\nlogfile {data / 'sentinel.log'}\n"
            f"sentinel monitor {SERVICE} 127.0.0.1 {primary} 2\n"
            f"sentinel down-after-milliseconds {SERVICE} 1000\n"
            f"sentinel failover-timeout {SERVICE} 2000\n"
            f"sentinel parallel-syncs {SERVICE} 1\n",
            encoding="utf-8",
        )
        self.sentinels[port] = subprocess.Popen(
            [REDIS_SERVER, str(config), "--sentinel"], stdout=subprocess.DEVNULL
        )
        _wait(f"sentinel on {port}", lambda: redis.Redis(port=port).ping())

    def _in_sync(self, port: int, primary: int | None = None) -> bool:
        with redis.Redis(port=port, socket_timeout=2, decode_responses=True) as server:
            info = server.info("replication")
        of = primary is None or int(info.get("master_port", 0)) == primary
        return bool(info.get("role") == "slave" and info.get("master_link_status") == "up" and of)

    def _settled(self) -> bool:
        named = set()
        for port in self.sentinels:
            with redis.Redis(port=port, socket_timeout=2) as sentinel:
                reply = sentinel.execute_command("SENTINEL", "get-master-addr-by-name", SERVICE)
            named.add(int(reply[1]))
        if len(named) != 1:
            return False
        primary = named.pop()
        replicas = [port for port in self.servers if port != primary]
        return all(self._in_sync(port, primary) for port in replicas) and self._watching()

    def _watching(self) -> bool:
        for port in self.sentinels:
            with redis.Redis(port=port, socket_timeout=2, decode_responses=True) as sentinel:
                replicas = sentinel.execute_command("SENTINEL", "replicas", SERVICE)
                others = sentinel.execute_command("SENTINEL", "sentinels", SERVICE)
            if len(others) < 2 or not replicas:
                return False
            if any("down" in str(_fields(replica).get("flags", "")) for replica in replicas):
                return False
        return True


def _fields(reply: object) -> dict[str, object]:
    if isinstance(reply, dict):
        return {str(key): value for key, value in reply.items()}
    if isinstance(reply, list):
        return {str(reply[i]): reply[i + 1] for i in range(0, len(reply) - 1, 2)}
    return {}
