"""A private redis-server for one benchmark: a unix socket in a temporary directory, no TCP port.

Two set-ups: ``persistence=False`` (no AOF, no RDB: the server's own speed, as the tests run it)
and ``persistence=True``, which is soiree's embedded default itself
(:func:`ingest.store.embedded_redis.ensure_embedded`: AOF, ``appendfsync everysec``) on a temporary
data directory. Either way the server is stopped and its directory removed at the end.
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import redis

from ingest.store.embedded_layout import embedded_paths
from ingest.store.embedded_redis import ensure_embedded, stop_embedded
from ingest.store.scratch_redis import ScratchServer

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
        with ScratchServer(directory, timeout=_START_TIMEOUT) as server:
            yield BenchRedis(server.url, server.paths.socket, persistence=False)
