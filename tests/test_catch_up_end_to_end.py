"""End to end: a poller that starts late, or polls less often than entries scroll off the page,
catches up through the emulated liveblog's older pages and ends with what `soiree replay` gives.

The approach of tests/test_ingest_end_to_end.py: the emulated sources served for real, the
pollers in-process against a real Redis, the stream compared with replay.timeline.night_updates
(same uids, ops, texts and identities). Without the catch-up, a page of the latest 20 loses the
night's first entries to a late start (issue 13: 54 of 60 for `demo --from 20:00`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from redis.asyncio import Redis

from ingest.cli import main
from ingest.model.update import Op
from ingest.polling.fetch import Fetcher
from ingest.polling.poller import SourcePoller
from ingest.sources.config import IngestConfig, load_ingest_config
from ingest.sources.source_health import SourceHealth
from ingest.store.health import read_all_health, record_poll
from ingest.store.redis_client import connect
from ingest.store.stream_store import StreamStore
from replay.clock import AnchoredClock
from replay.commands.demo import poll_interval
from replay.night_fixture import NightFixture
from replay.timeline import night_updates
from tests.conftest import BUNDLED_NIGHT_DIR
from tests.plugins.ingest import eventually, identity, ingest_until, sources_toml
from tests.plugins.sources import ManualTime, RunningSources, SourcesStarter

BUNDLED = BUNDLED_NIGHT_DIR / "sources.toml"


def bundled_config(base_url: str, *, interval: float) -> IngestConfig:
    """The bundled night's sources.toml (with its pagination), as `soiree demo` loads it."""
    config = load_ingest_config(BUNDLED, base_url=base_url)
    sources = tuple(dataclasses.replace(source, interval=interval) for source in config.sources)
    return dataclasses.replace(config, sources=sources)


async def ingest_the_night(
    running: RunningSources, config: IngestConfig, redis: Redis, stream: str, expected: int
) -> StreamStore:
    """Run the pollers until the night is over and the stream holds ``expected`` entries."""
    store = StreamStore(redis, stream)

    async def done() -> bool:
        return bool(running.state.health()["finished"]) and await store.length() >= expected

    assert config.night is not None
    await ingest_until(config, redis, night=config.night, stream=stream, done=done, within=60)
    return store


async def assert_replays_updates(store: StreamStore, fixture: NightFixture) -> None:
    """The stream holds exactly the updates `soiree replay` appends: uids, ops, texts."""
    updates = (await store.history()).updates
    replayed = night_updates(fixture, seen=datetime.now(UTC))
    assert Counter(update.uid for update in updates) == Counter(u.uid for u in replayed)
    assert {identity(update) for update in updates} == {identity(u) for u in replayed}
    assert Counter(update.op for update in updates) == {Op.ADD: len(replayed)}
    assert {u.uid: u.text for u in updates} == {u.uid: u.text for u in replayed}


@pytest.mark.slow
async def test_demo_from_20h_gets_the_morning_through_older_pages(
    *,
    start_sources: SourcesStarter,
    sources_night: NightFixture,
    redis_client: Redis,
    stream_key: str,
) -> None:
    """`soiree demo --from 20:00`: the morning's entries (off the first page) arrive too."""
    running = await start_sources(speed="600", start="20:00", max_gap="30")
    expected = len(night_updates(sources_night, seen=datetime.now(UTC)))
    config = bundled_config(running.base_url, interval=poll_interval(600))
    store = await ingest_the_night(running, config, redis_client, stream_key, expected)
    await assert_replays_updates(store, sources_night)
    health = await read_all_health(redis_client, stream_key)
    liveblog = health["liveblog"]
    assert liveblog["gaps_found"] == liveblog["gaps_filled"]
    assert "gaps_unfilled" not in liveblog


@pytest.mark.slow
async def test_ingest_started_late_ends_with_the_updates_of_replay(
    *,
    start_sources: SourcesStarter,
    sources_night: NightFixture,
    redis_client: Redis,
    stream_key: str,
) -> None:
    """An ingest started once the night is mostly over (`--speed 600 --max-gap 30`, the
    bundled sources.toml and its 5 s interval, a page of 20) still gets every entry."""
    running = await start_sources(speed="600", max_gap="30")

    async def late() -> bool:
        shown = running.state.health()["virtual_time"]
        return shown is not None and shown >= "2017-01-29T21:00"

    await eventually(late, within=30, every=0.01)
    expected = len(night_updates(sources_night, seen=datetime.now(UTC)))
    config = load_ingest_config(BUNDLED, base_url=running.base_url)
    store = await ingest_the_night(running, config, redis_client, stream_key, expected)
    await assert_replays_updates(store, sources_night)


async def test_bursts_larger_than_the_page_are_caught_up_mid_night(
    *,
    start_sources: SourcesStarter,
    sources_night: NightFixture,
    manual_time: ManualTime,
    redis_client: Redis,
    stream_key: str,
) -> None:
    """A page of 3 polled every half second of a clock the test drives, while about ten
    entries go by in each: each poll finds a gap and fills it through the older pages;
    nothing is lost, repeated or deleted."""
    running = await start_sources(
        speed="600", max_gap="30", page_size=3, clock=AnchoredClock(now=manual_time)
    )
    config = bundled_config(running.base_url, interval=0.5)
    assert config.night is not None
    store = StreamStore(redis_client, stream_key)
    async with aiohttp.ClientSession() as session:
        fetcher = Fetcher(session)
        pollers = [
            SourcePoller(
                source, night=config.night, redis=redis_client, store=store, fetcher=fetcher
            )
            for source in config.sources
        ]
        for _ in range(100):
            for poller in pollers:
                assert (await poller.poll_once()).ok
            if running.state.health()["finished"]:
                break
            manual_time.advance(0.5)
        for poller in pollers:
            await poller.stop_writing()
    assert running.state.health()["finished"]
    await assert_replays_updates(store, sources_night)
    liveblog = (await read_all_health(redis_client, stream_key))["liveblog"]
    found = liveblog["gaps_found"]
    assert isinstance(found, int)
    assert found >= 3
    assert liveblog["gaps_filled"] == found


async def test_a_gap_beyond_the_bound_is_reported_in_health(
    *,
    start_sources: SourcesStarter,
    sources_night: NightFixture,
    redis_client: Redis,
    stream_key: str,
    tmp_path: Path,
) -> None:
    """A catch-up allowed one older page of 5 cannot reach the morning: health says so."""
    running = await start_sources(speed="max", page_size=5)
    config = load_ingest_config(
        sources_toml(
            tmp_path / "s.toml",
            running.base_url,
            [{"name": "liveblog", "type": "liveblog", "url": "/liveblog", "interval": 5,
              "entry": "article.entry", "time": "time", "body": ".body",
              "next": "a[rel=next]", "catch_up_pages": 1}],
            night=str(BUNDLED.parent / "night.toml"),
        )
    )  # fmt: skip
    store = StreamStore(redis_client, stream_key)

    async def polled() -> bool:
        return await store.length() > 0 and bool(await read_all_health(redis_client, stream_key))

    assert config.night is not None
    await ingest_until(
        config, redis_client, night=config.night, stream=stream_key, done=polled, within=30
    )
    updates = (await store.history()).updates
    assert len(updates) == 10  # the page and the one older page allowed, no more
    assert len(sources_night.liveblog) > 10
    liveblog = (await read_all_health(redis_client, stream_key))["liveblog"]
    assert liveblog["gaps_unfilled"] == 1
    assert "gaps_filled" not in liveblog
    unfilled = liveblog["unfilled_gap"]
    assert isinstance(unfilled, str)
    assert "bound of 1 older pages" in unfilled
    warning = liveblog["last_warning"]
    assert isinstance(warning, str)
    assert warning.startswith("gap not filled")


def test_status_shows_the_last_unfilled_gap(
    redis_url: str,
    stream_key: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`ingest --status` keeps showing the last gap not filled once the warning has gone."""
    monkeypatch.setenv("COLUMNS", "250")
    now = datetime.now(UTC)
    health = (
        SourceHealth(source="liveblog", type="liveblog", url="http://h/", interval=5)
        .with_gaps(found=2, filled=1, unfilled=1, last_unfilled="20:15: gap not filled: bound")
        .succeeded(now=now, outcome="ok", status=200, poll_seconds=0.01, warning=None)
    )

    async def write() -> None:
        client = await connect(redis_url)
        try:
            await record_poll(client, stream_key, health)
        finally:
            await client.aclose()

    asyncio.run(write())
    argv = ["ingest", "--status", "--config", str(BUNDLED), "--redis-url", redis_url,
            "--stream", stream_key]  # fmt: skip
    assert main(argv) == 0
    assert "liveblog: last gap not filled: 20:15: gap not filled: bound" in capsys.readouterr().out
    assert main([*argv, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["liveblog"]["gaps_found"], data["liveblog"]["gaps_unfilled"]) == (2, 1)
