"""Tests for ingest.polling.poller and ingest.store.health: polls against real servers into real
Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from redis.asyncio import Redis

from ingest.model.night import Night
from ingest.model.update import Op
from ingest.polling.fetch import Fetcher
from ingest.polling.poll_result import PollResult
from ingest.polling.poller import SourcePoller
from ingest.polling.runner import run_ingest
from ingest.sources.config import load_ingest_config
from ingest.sources.source_config import SourceConfig, SourceType
from ingest.sources.source_health import SourceHealth
from ingest.store.health import read_all_health
from ingest.store.stream_store import StreamStore
from replay.night_fixture import NightFixture
from tests.plugins.ingest import FAULT_PATHS, FaultServer, ingest_until, sources_toml


@pytest.fixture(scope="module")
def night(sources_night: NightFixture) -> Night:
    """The night of 29 January 2017."""
    return sources_night.night


@pytest_asyncio.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    """A fetcher over a fresh aiohttp session."""
    async with aiohttp.ClientSession() as session:
        yield Fetcher(session)


def liveblog_source(url: str) -> SourceConfig:
    """A default-format liveblog source polled quickly."""
    return SourceConfig(
        name="live", type=SourceType.LIVEBLOG, url=url, interval=0.05, timeout=0.5,
        total_timeout=2, max_backoff=0.5,
    )  # fmt: skip


async def test_edit_once_delete_once_restart_nothing(
    fault_server: FaultServer,
    night: Night,
    redis_client: Redis,
    store: StreamStore,
    fetcher: Fetcher,
) -> None:
    """An edited entry gives one edit, a removed one one delete; a new poller appends nothing."""
    fault_server.entries = [
        ("21h15", "Benoît Hamon va proposer une majorité", None),
        ("21h09", "Benoît Hamon vient de terminer son discours", None),
        ("21h01", "Benoît Hamon démarre son discours", None),
    ]
    source = liveblog_source(fault_server.url("/liveblog"))
    poller = SourcePoller(source, night=night, redis=redis_client, store=store, fetcher=fetcher)
    first = await poller.poll_once()
    assert (first.ok, first.added, first.entries) == (True, 3, 3)
    assert first.latency is not None
    assert not (await poller.poll_once()).changed

    fault_server.entries[1] = ("21h09", "Benoît Hamon a terminé son discours", None)
    edited = await poller.poll_once()
    assert (edited.added, edited.edited, edited.deleted) == (0, 1, 0)
    assert not (await poller.poll_once()).changed

    del fault_server.entries[1]
    removed = await poller.poll_once()
    assert (removed.added, removed.edited, removed.deleted) == (0, 0, 1)
    assert not (await poller.poll_once()).changed

    restarted = SourcePoller(source, night=night, redis=redis_client, store=store, fetcher=fetcher)
    assert not (await restarted.poll_once()).changed

    history = (await store.history()).updates
    assert [(u.uid, u.op) for u in history] == [
        ("live:2101", Op.ADD), ("live:2109", Op.ADD), ("live:2115", Op.ADD),
        ("live:2109", Op.EDIT), ("live:2109", Op.DELETE),
    ]  # fmt: skip
    assert history[-1].text == "Benoît Hamon a terminé son discours"

    health = (await read_all_health(redis_client, store.stream))["live"]
    assert health["state"] == "ok"
    assert health["entries_seen"] == 2
    assert health["appended"] == 5
    assert health["polls"] == 7
    assert health["consecutive_errors"] == 0
    assert isinstance(health["detection_latency_ms"], float)


async def test_entries_falling_off_the_page_are_not_deleted(
    fault_server: FaultServer, night: Night, redis_client: Redis, store: StreamStore,
    fetcher: Fetcher,
) -> None:  # fmt: skip
    """A page of the latest two entries moving on deletes nothing."""
    source = liveblog_source(fault_server.url("/liveblog"))
    poller = SourcePoller(source, night=night, redis=redis_client, store=store, fetcher=fetcher)
    times = ["20h00", "20h10", "20h20", "20h30", "20h40"]
    for index in range(len(times)):
        shown = times[max(0, index - 1) : index + 1][::-1]
        fault_server.entries = [(t, f"entrée de {t}", None) for t in shown]
        result = await poller.poll_once()
        assert result.deleted == 0
    ops = {u.op for u in (await store.history()).updates}
    assert ops == {Op.ADD}
    assert await store.length() == 5


async def test_page_that_breaks_is_an_error_then_recovers(
    fault_server: FaultServer, night: Night, redis_client: Redis, store: StreamStore,
    fetcher: Fetcher,
) -> None:  # fmt: skip
    """A page that suddenly shows no entry is a failed poll (no mass delete), then recovers."""
    fault_server.entries = [("21h15", "Une entrée", None)]
    source = liveblog_source(fault_server.url("/liveblog"))
    poller = SourcePoller(source, night=night, redis=redis_client, store=store, fetcher=fetcher)
    assert (await poller.poll_once()).added == 1
    fault_server.entries = []
    broken = await poller.poll_once()
    assert (broken.ok, broken.outcome) == (False, "no_entries")
    assert poller.health.consecutive_errors == 1
    assert broken.next_delay >= source.interval
    fault_server.entries = [("21h20", "La suite", None), ("21h15", "Une entrée", None)]
    recovered = await poller.poll_once()
    assert (recovered.ok, recovered.added, recovered.deleted) == (True, 1, 0)
    assert poller.health.consecutive_errors == 0


async def test_throttled_source_waits_its_retry_after(
    fault_server: FaultServer, night: Night, redis_client: Redis, store: StreamStore,
    fetcher: Fetcher,
) -> None:  # fmt: skip
    """A 429 with Retry-After: 1 puts the next poll at least a second away."""
    source = liveblog_source(fault_server.url(FAULT_PATHS["throttled"]))
    poller = SourcePoller(source, night=night, redis=redis_client, store=store, fetcher=fetcher)
    result = await poller.poll_once()
    assert (result.ok, result.status) == (False, 429)
    assert result.next_delay >= 1
    health = (await read_all_health(redis_client, store.stream))["live"]
    assert health["last_status"] == 429
    assert health["state"] == "error"


def test_health_record_transitions_and_hash_round_trip() -> None:
    """Success resets errors, failure counts them; the hash form reads back the same."""
    now = datetime.fromisoformat("2017-01-29T20:00:00+00:00")
    health = SourceHealth(source="live", type="liveblog", url="http://h/", interval=5)
    failed = health.failed(
        now=now, outcome="timeout", error="x" * 1000, status=None, poll_seconds=1
    )
    failed = failed.failed(
        now=now, outcome="http_error", error="HTTP 500", status=500, poll_seconds=0.1
    )
    assert (failed.state, failed.consecutive_errors, failed.last_status) == ("error", 2, 500)
    ok = failed.succeeded(
        now=now, outcome="ok", status=200, poll_seconds=0.01, entries=4, latency_seconds=0.002
    )
    assert (ok.state, ok.consecutive_errors, ok.last_error) == ("ok", 0, "HTTP 500")
    assert ok.detection_latency_ms == 2.0
    assert SourceHealth.from_hash("live", ok.to_hash()) == ok
    assert SourceHealth.from_hash("live", {"state": "bogus", "polls": "x"}) == SourceHealth("live")
    assert len(str(health.failed(now=now, outcome="t", error="y" * 1000, status=None,
                                 poll_seconds=0).last_error)) <= 300  # fmt: skip


@pytest.mark.slow
async def test_faults_stay_in_their_source(
    fault_server: FaultServer, night: Night, redis_client: Redis, stream_key: str, tmp_path: Path
) -> None:
    """Every fault shows in its source's health while a good source in the same ingest goes on."""
    quick = {"interval": 0.05, "timeout": 0.3, "total_timeout": 1.0, "max_backoff": 0.3}
    names = {
        "error": "liveblog", "throttled": "liveblog", "hang": "liveblog", "huge": "liveblog",
        "malformed": "liveblog", "broken_xml": "feed", "wrong_charset": "liveblog",
        "unknown_charset": "liveblog", "redirect_loop": "liveblog", "redirect_ftp": "liveblog",
    }  # fmt: skip
    sources = [{"name": "good", "type": "liveblog", "url": "/liveblog", **quick}]
    sources += [
        {"name": name.replace("_", "-"), "type": kind, "url": FAULT_PATHS[name], **quick}
        for name, kind in names.items()
    ]
    config = load_ingest_config(
        sources_toml(tmp_path / "faults.toml", fault_server.base_url, sources)
    )
    fault_server.entries = [("21h00", "Première entrée", None)]

    async def done() -> bool:
        health = await read_all_health(redis_client, stream_key)
        if len(health) < len(sources) or any(not h.get("polls") for h in health.values()):
            return False
        if fault_server.entries[0][0] == "21h00":
            fault_server.entries.insert(0, ("21h05", "Deuxième entrée, pendant les pannes", None))
            return False
        return health["good"].get("entries_seen") == 2

    await ingest_until(config, redis_client, night=night, stream=stream_key, done=done, within=20)
    health = await read_all_health(redis_client, stream_key)
    assert health["good"]["state"] == "ok"
    assert health["good"]["appended"] == 2
    expected = {
        "error": ("error", "http_error", 500), "throttled": ("error", "http_error", 429),
        "hang": ("error", "timeout", None), "huge": ("error", "too_large", 200),
        "redirect-loop": ("error", "too_many_redirects", None),
        "redirect-ftp": ("error", "bad_redirect", None),
        "malformed": ("ok", "ok", 200), "broken-xml": ("ok", "ok", 200),
        "wrong-charset": ("ok", "ok", 200), "unknown-charset": ("ok", "ok", 200),
    }  # fmt: skip
    for name, (state, outcome, status) in expected.items():
        record = health[name]
        assert (record["state"], record["last_outcome"], record.get("last_status")) == (
            state, outcome, status,
        ), name  # fmt: skip
        if state == "error":
            assert record["last_error"]
            assert isinstance(record["consecutive_errors"], int)
            assert record["consecutive_errors"] >= 1
    assert "malformed" in str(health["broken-xml"]["last_warning"])
    texts = {u.uid: u.text for u in (await StreamStore(redis_client, stream_key).history()).updates}
    assert texts["broken-xml:good-1"] == "Bon article\n\nTexte valide"
    assert "\ufffd" in texts["wrong-charset:2115"]
    assert texts["unknown-charset:2115"] == "Élection à Paris"
    assert texts["malformed:2115"].startswith("Benoît Hamon vainqueur")
    assert asyncio.get_running_loop().is_running()


async def test_on_poll_sees_every_poll_as_it_finishes(
    tmp_path: Path, fault_server: FaultServer, night: Night, redis_client: Redis, store: StreamStore
) -> None:
    """run_ingest's ``on_poll`` sees each poll's result (what benchmarks measure), no other."""
    fault_server.entries = [("21h20", "La suite", None), ("21h15", "Une entrée", None)]
    config = load_ingest_config(
        sources_toml(
            tmp_path / "one.toml",
            fault_server.base_url,
            [{"name": "live", "type": "liveblog", "url": "/liveblog", "interval": 0.05}],
        )
    )
    seen: list[PollResult] = []
    report = await run_ingest(
        config, redis_client, night=night, stream=store.stream, burst=True, on_poll=seen.append
    )
    assert report.totals["live"].polls == len(seen) >= 2
    assert seen[0].added == 2
    assert seen[-1] == report.last["live"]
    assert not seen[-1].changed
