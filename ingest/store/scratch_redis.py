"""A private redis-server for tests and benchmarks: a unix socket in a directory, nothing kept."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ingest.store.embedded_layout import EmbeddedPaths, find_redis_server
from ingest.store.embedded_redis import START_TIMEOUT, terminate, wait_ready

__all__ = ["ScratchServer"]


class ScratchServer:
    """A redis-server of its own on a unix socket in a directory: no TCP port, no persistence.

    For tests and benchmarks, which need a real server nobody else uses, started and stopped
    with them: ``with ScratchServer(directory) as server: ... server.url``. Its output goes to
    ``directory/redis.log``, quoted if it dies or never answers.
    """

    def __init__(self, directory: Path, *, timeout: float = START_TIMEOUT) -> None:
        self.paths = EmbeddedPaths(
            data_dir=directory,
            socket=directory / "redis.sock",
            config=directory / "redis.conf",
            pidfile=directory / "redis.pid",
            log=directory / "redis.log",
            lock=directory / "lock",
        )
        self.timeout = timeout
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's ``unix://`` URL."""
        return self.paths.url

    def start(self) -> None:
        """Start the server and wait until it answers PING."""
        paths = self.paths
        with paths.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    str(find_redis_server()),
                    "--port", "0",
                    "--unixsocket", str(paths.socket),
                    "--unixsocketperm", "700",
                    "--dir", str(paths.data_dir),
                    "--save", "",
                    "--appendonly", "no",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        try:
            wait_ready(paths, timeout=self.timeout, child=self.process)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after five seconds)."""
        if self.process is None:
            return
        terminate(self.process)
        self.process = None

    def __enter__(self) -> ScratchServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
