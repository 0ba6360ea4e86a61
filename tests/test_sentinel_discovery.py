"""Sentinel clients asked by many tasks at once: each is kept, and closed with the client.

redis-py's ``Sentinel.discover_master`` moves the Sentinel that answered to the front of its
list by an index read before its ``await``: tasks that discover at once (every new connection
of a pool does, after a failover) could write one Sentinel twice and drop another, which was
then never asked again nor closed (its connections left open until garbage-collected).
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from ingest.store.sentinel import sentinel_client
from tests.plugins.sentinel import SERVICE, SentinelSet


def _refused_address() -> str:
    """A loopback address where nothing listens (a Sentinel that is down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


async def test_every_sentinel_is_kept_once_and_closed_with_the_client(tmp_path: Path) -> None:
    """A down Sentinel first, then the real ones; the list as redis-py's race left it (one
    client twice, one dropped): the next discoveries put it right, and closing closes all."""
    servers = await asyncio.to_thread(SentinelSet(tmp_path).start)
    try:
        hosts = ",".join([_refused_address(), *(f"127.0.0.1:{p}" for p in servers.sentinels)])
        client = sentinel_client(f"redis+sentinel://{hosts}/{SERVICE}/0", socket_timeout=2.0)
        manager = client.sentinel_manager
        assert manager is not None
        made = list(manager.sentinels)
        assert len({id(watcher) for watcher in made}) == 4
        # Each new connection of the pool asks the Sentinels for the primary, all at once.
        await asyncio.gather(*(client.ping() for _ in range(8)))
        assert sorted(map(id, manager.sentinels)) == sorted(map(id, made))
        # What two discoveries racing past the same stale index leave (redis-py's swap).
        manager.sentinels[:] = [made[1], made[1], made[2], made[3]]
        await manager.discover_master(SERVICE)
        assert sorted(map(id, manager.sentinels)) == sorted(map(id, made))
        # Every Sentinel answering was connected to; closing the client closes them all.
        await asyncio.gather(*(watcher.ping() for watcher in made[1:]))
        manager.sentinels[:] = [made[1], made[1], made[2], made[3]]
        await client.aclose()
        still_open = [
            connection
            for watcher in made
            for connection in (
                *watcher.connection_pool._available_connections,
                *watcher.connection_pool._in_use_connections,
            )
            if connection.is_connected
        ]
        assert still_open == []
    finally:
        await asyncio.to_thread(servers.close)
