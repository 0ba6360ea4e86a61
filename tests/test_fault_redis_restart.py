"""Faults: Redis stopped, or crashed, and restarted in the middle of the night.

Everything runs against soiree's own embedded server
(:func:`ingest.store.embedded_redis.ensure_embedded` on a temporary data directory, AOF on): the
pollers keep what they fetched while Redis is away and append it once it is back, the broadcaster's
reader reconnects and resumes after its last id, and a websocket client connected all along sees
every update once, in order. Also: every command that starts the embedded server honours
``$SOIREE_APPENDFSYNC``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import redis
from redis.asyncio import Redis
from websockets.asyncio.client import connect as ws_connect

from ingest.commands.command import RedisOptions
from ingest.commands.stream_options import redis_url_of
from ingest.model.update import Op
from ingest.polling.fetch import Fetcher
from ingest.polling.poller import SourcePoller
from ingest.polling.runner import run_ingest
from ingest.sources.config import load_ingest_config
from ingest.sources.source_config import SourceConfig, SourceType
from ingest.store.embedded_layout import embedded_paths
from ingest.store.embedded_redis import ensure_embedded, stop_embedded
from ingest.store.redis_client import connect
from ingest.store.stream_store import StreamStore
from replay.night_fixture import NightFixture
from replay.timeline import night_updates
from tests.conftest import BUNDLED_NIGHT_DIR, TIMEOUT_FACTOR
from tests.plugins.broadcaster import BroadcasterStarter, recv_json
from tests.plugins.ingest import FaultServer, eventually, identity, soiree_command, sources_toml
from tests.plugins.sources import SourcesStarter

BUNDLED_NIGHT = BUNDLED_NIGHT_DIR / "night.toml"


# -- a restartable embedded server -------------------------------------------------------------


@dataclass
class EmbeddedServer:
    """soiree's embedded Redis on a data directory of the test's own, stopped or crashed at will."""

    data_dir: Path
    appendfsync: str = "everysec"
    url: str = ""

    def start(self) -> None:
        """Start it (its AOF brings the data back) and wait until it answers."""
        self.url = ensure_embedded(self.data_dir, appendfsync=self.appendfsync)

    def stop(self) -> None:
        """Shut it down cleanly (SHUTDOWN: the AOF is flushed)."""
        stop_embedded(self.data_dir)

    def crash(self) -> None:
        """Kill it with SIGKILL, as a crash would, and wait until its socket is dead."""
        paths = embedded_paths(self.data_dir)
        pid = int(paths.pidfile.read_text().strip())
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10 * TIMEOUT_FACTOR
        client = redis.Redis(unix_socket_path=str(paths.socket), socket_timeout=0.2)
        try:
            while time.monotonic() < deadline:
                try:
                    client.ping()
                except (redis.RedisError, OSError):
                    return
                time.sleep(0.01)
        finally:
            client.close()
        raise RuntimeError("the embedded redis-server survived SIGKILL")


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[EmbeddedServer]:
    """An embedded server on ``tmp_path / "data"``, running; stopped after the test."""
    server = EmbeddedServer(tmp_path / "data")
    server.start()
    try:
        yield server
    finally:
        stop_embedded(server.data_dir)


@pytest_asyncio.fixture
async def embedded_client(embedded: EmbeddedServer) -> AsyncIterator[Redis]:
    """A client of the embedded server (it reconnects by itself after a restart)."""
    client = await connect(embedded.url)
    try:
        yield client
    finally:
        await client.aclose()


# -- the poller keeps what it fetched -----------------------------------------------------------


def _entries(*minutes: int) -> list[tuple[str, str, str | None]]:
    """A liveblog showing entries at 21h<minute>, newest first, each with an element id."""
    return [(f"21h{m:02d}", f"Entrée de 21h{m:02d}", f"e{m}") for m in sorted(minutes)[::-1]]


async def test_a_poller_keeps_what_it_fetched_while_redis_is_down(
    fault_server: FaultServer,
    embedded: EmbeddedServer,
    embedded_client: Redis,
    sources_night: NightFixture,
) -> None:
    """Entries seen only while Redis was down (gone from the page since) are appended, once."""
    night = sources_night.night
    store = StreamStore(embedded_client, "fault:poller")
    source = SourceConfig(
        name="live", type=SourceType.LIVEBLOG, url=fault_server.url("/liveblog"), interval=0.05,
        timeout=0.5, total_timeout=2, max_backoff=0.5,
    )  # fmt: skip
    async with aiohttp.ClientSession() as session:
        poller = SourcePoller(
            source, night=night, redis=embedded_client, store=store, fetcher=Fetcher(session)
        )
        fault_server.entries = _entries(1, 2, 3)
        assert (await poller.poll_once()).added == 3
        await asyncio.to_thread(embedded.stop)
        # The page shows the latest three entries: 1-3 fall off, then 4-6 do.
        for shown in (_entries(4, 5, 6), _entries(7, 8, 9)):
            fault_server.entries = shown
            failed = await poller.poll_once()
            assert (failed.ok, failed.outcome) == (False, "store_error")
            # The source is fine: keep polling it at its interval, not with backoff.
            assert failed.next_delay <= source.interval
        await asyncio.to_thread(embedded.start)
        recovered = await poller.poll_once()
        assert (recovered.ok, recovered.added, recovered.deleted) == (True, 6, 0)
        assert not (await poller.poll_once()).changed
    history = (await store.history()).updates
    assert [u.uid for u in history] == [f"live:e{m}" for m in range(1, 10)]
    assert {u.op for u in history} == {Op.ADD}


# -- the whole chain through a Redis crash ------------------------------------------------------


@dataclass
class _Watcher:
    """A websocket client of the broadcaster that records every update it is sent."""

    updates: list[dict[str, Any]] = field(default_factory=list)
    others: list[str] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)

    async def watch(self, url: str, until: int) -> None:
        """Read from ``url`` until ``until`` updates came."""
        async with ws_connect(url, max_size=None) as ws:
            while len(self.updates) < until:
                message = await recv_json(ws, within=30)
                if message["type"] == "update":
                    self.updates.append(message)
                    self.arrivals.append(time.monotonic())
                else:
                    self.others.append(message["type"])


@pytest.mark.slow
async def test_redis_crash_mid_night_loses_nothing_and_shows_nothing_twice(
    *,
    start_sources: SourcesStarter,
    start_broadcaster: BroadcasterStarter,
    sources_night: NightFixture,
    tmp_path: Path,
) -> None:
    """Redis SIGKILLed mid-night and restarted: the client gets the whole night, once, in order."""
    server = EmbeddedServer(tmp_path / "data", appendfsync="always")
    await asyncio.to_thread(server.start)
    stream = "fault:night"
    client = await connect(server.url)
    try:
        # A page of the latest eight entries, an entry every 150 ms: an entry stays on it for
        # about 1.2 s, less than the outage; only the pollers' memory keeps the first ones.
        running = await start_sources(speed="400", max_gap="60s", page_size=8)
        sources = [
            {"name": "liveblog", "type": "liveblog", "url": "/liveblog", "interval": 0.02,
             "entry": "article.entry", "time": "time", "body": ".body"},
            {"name": "articles", "type": "feed", "url": "/feed.xml", "interval": 0.02},
            {"name": "results", "type": "results", "url": "/results.json", "interval": 0.02},
        ]  # fmt: skip
        config = load_ingest_config(
            sources_toml(tmp_path / "s.toml", running.base_url, sources, night=str(BUNDLED_NIGHT))
        )
        assert config.night is not None
        expected = {identity(u) for u in night_updates(sources_night, seen=datetime.now(UTC))}
        broadcaster = await start_broadcaster(stream=stream, redis_url=server.url)
        watcher = _Watcher()
        watching = asyncio.create_task(watcher.watch(broadcaster.ws_url("since=0"), len(expected)))
        stop = asyncio.Event()
        ingesting = asyncio.create_task(
            run_ingest(config, client, night=config.night, stream=stream, stop=stop)
        )
        store = StreamStore(client, stream)
        try:
            await eventually(lambda: _length_at_least(store, 12), within=20)
            before = len(watcher.updates)
            await asyncio.to_thread(server.crash)
            crashed_at = time.monotonic()
            await asyncio.sleep(2.0)  # the night goes on: about 13 entries, 8 on the page
            await asyncio.to_thread(server.start)
            back_at, back_wall = time.monotonic(), time.time()
            # Wait for the client to have the whole night (the assertions below say what is
            # missing if it never does).
            await asyncio.wait({watching}, timeout=20 * TIMEOUT_FACTOR)
            if watching.done():
                watching.result()  # the client's own failure, if it had one
        finally:
            stop.set()
            report = await asyncio.wait_for(ingesting, timeout=10 * TIMEOUT_FACTOR)
            watching.cancel()
        updates = (await store.history()).updates
    finally:
        await client.aclose()
        await asyncio.to_thread(server.stop)
    assert running.state.health()["finished"]
    # The stream: the night, each update once, only adds.
    assert {identity(u) for u in updates} == expected
    assert len(updates) == len(expected)
    assert {u.op for u in updates} == {Op.ADD}
    # The client: the stream, in stream order, no gap, nothing twice.
    assert [m["id"] for m in watcher.updates] == [u.id for u in updates]
    assert len({m["uid"] for m in watcher.updates}) == len(expected)
    assert "gap" not in watcher.others
    assert not report.failed
    # Entry ids are the server's clock: the first id after the restart says when the pollers
    # wrote again; its arrival, when the broadcaster's reader had resumed.
    appended_after = next(
        int(m["id"].split("-")[0]) / 1000
        for m in watcher.updates
        if int(m["id"].split("-")[0]) / 1000 > back_wall
    )
    first_after = next(
        t for t, m in zip(watcher.arrivals, watcher.updates, strict=True) if t > back_at
    )
    print(
        f"redis crash: {before} updates before, outage {back_at - crashed_at:.2f} s;"
        f" after Redis was back: first append {appended_after - back_wall:.2f} s,"
        f" first update to the client {first_after - back_at:.2f} s; {len(updates)} updates"
    )


async def _length_at_least(store: StreamStore, count: int) -> bool:
    return await store.length() >= count


# -- the fsync policy --------------------------------------------------------------------------


def _appendfsync_of(data_dir: Path) -> str:
    client = redis.Redis(
        unix_socket_path=str(embedded_paths(data_dir).socket),
        socket_timeout=5,
        decode_responses=True,
    )
    try:
        return str(client.config_get("appendfsync")["appendfsync"])
    finally:
        client.close()


@pytest.mark.parametrize("policy", ["always", "no"])
def test_commands_start_the_embedded_server_with_soiree_appendfsync(
    policy: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """$SOIREE_APPENDFSYNC reaches the server whichever command starts it (CONFIG GET says so)."""
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("SOIREE_APPENDFSYNC", policy)
    data_dir = tmp_path / "in-process"
    try:
        redis_url_of(RedisOptions(redis_url=None, data_dir=data_dir))
        assert _appendfsync_of(data_dir) == policy
    finally:
        stop_embedded(data_dir)
    other = tmp_path / "dump"
    env = {**os.environ, "SOIREE_APPENDFSYNC": policy}
    try:
        done = subprocess.run(
            soiree_command("dump", "--data-dir", str(other), "--stream", "empty"),
            capture_output=True, text=True, env=env, timeout=30, check=False,
        )  # fmt: skip
        assert done.returncode == 4, done.stderr  # the stream does not exist (README.md)
        assert _appendfsync_of(other) == policy
    finally:
        stop_embedded(other)


def test_a_bad_appendfsync_is_one_clear_line(tmp_path: Path) -> None:
    """A $SOIREE_APPENDFSYNC that is not a policy is refused with the policies named."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env["SOIREE_APPENDFSYNC"] = "sometimes"
    try:
        done = subprocess.run(
            soiree_command("dump", "--data-dir", str(tmp_path / "d"), "--stream", "empty"),
            capture_output=True, text=True, env=env, timeout=30, check=False,
        )  # fmt: skip
    finally:
        stop_embedded(tmp_path / "d")
    assert done.returncode == 1
    assert "appendfsync must be one of always, everysec, no" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
