"""A private redis-server for one benchmark: a unix socket in a temporary directory, no TCP port.

Two set-ups: ``persistence=False`` (no AOF, no RDB: the server's own speed, as the tests run it)
and ``persistence=True``, which is soiree's embedded default itself
(:func:`ingest.embedded_redis.ensure_embedded`: AOF, ``appendfsync everysec``) on a temporary
data directory. Either way the server is stopped and its directory removed at the end.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import redis

from ingest.embedded_redis import (
    EmbeddedRedisError,
    embedded_paths,
    ensure_embedded,
    find_redis_server,
    stop_embedded,
)

__all__ = ["BenchRedis", "bench_redis", "server_cpu_seconds"]

_START_TIMEOUT: Final = 15.0


@dataclass(frozen=True, slots=True)
class BenchRedis:
    """A running benchmark server: its ``unix://`` URL and its socket path."""

    url: str
    socket: Path
    persistence: bool


def server_cpu_seconds(socket: Path) -> float:
    """CPU seconds (user + system) the server behind ``socket`` has used so far."""
    client = redis.Redis(unix_socket_path=str(socket), socket_timeout=5)
    try:
        info = client.info("cpu")
    finally:
        client.close()
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def _wait_ping(socket: Path, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    client = redis.Redis(unix_socket_path=str(socket), socket_timeout=1)
    try:
        while True:
            if server.poll() is not None:
                raise EmbeddedRedisError(f"benchmark redis-server exited ({server.returncode})")
            try:
                if client.ping():
                    return
            except (redis.RedisError, OSError):
                pass
            if time.monotonic() > deadline:
                raise EmbeddedRedisError("benchmark redis-server did not answer")
            time.sleep(0.01)
    finally:
        client.close()


def _start(directory: Path, socket: Path) -> subprocess.Popen[bytes]:
    """redis-server on ``socket``, no TCP port, no persistence (as the tests run it)."""
    return subprocess.Popen(
        [
            str(find_redis_server()),
            "--port", "0",
            "--unixsocket", str(socket),
            "--unixsocketperm", "700",
            "--dir", str(directory),
            "--save", "",
            "--appendonly", "no",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@asynccontextmanager
async def bench_redis(*, persistence: bool) -> AsyncIterator[BenchRedis]:
    """A fresh redis-server for the block (see the module docstring)."""
    with tempfile.TemporaryDirectory(prefix="soiree-bench-") as raw:
        directory = Path(raw)
        if persistence:
            url = ensure_embedded(directory, appendfsync="everysec")
            try:
                yield BenchRedis(url, embedded_paths(directory).socket, persistence=True)
            finally:
                stop_embedded(directory)
            return
        socket = directory / "redis.sock"
        server = _start(directory, socket)
        try:
            _wait_ping(socket, server)
            yield BenchRedis(f"unix://{socket}", socket, persistence=False)
        finally:
            _stop(server)
