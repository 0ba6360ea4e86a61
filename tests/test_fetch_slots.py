"""The per-host slots: waiting for one is timed apart from the source's own timeout, and told."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from redis.asyncio import Redis

from ingest.model.night import Night
from ingest.polling.fetch import Fetcher
from ingest.polling.fetch_result import FetchLimits, FetchOutcome
from ingest.polling.poller import SourcePoller
from ingest.sources.source_config import SourceConfig, SourceType
from ingest.store.health import read_all_health
from ingest.store.stream_store import StreamStore
from replay.night_fixture import NightFixture
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.ingest import eventually, serve_test_app
from ticker.broadcast.metrics import BroadcasterMetrics

#: How long the slow route holds its request (and so the host's slot).
HOLD = 2.0 * TIMEOUT_FACTOR
#: The healthy source's whole-fetch timeout: far more than it needs, far less than HOLD.
OWN_TIMEOUT = 0.5 * TIMEOUT_FACTOR


@pytest.fixture(scope="module")
def night(sources_night: NightFixture) -> Night:
    """The night of 29 January 2017."""
    return sources_night.night


@pytest_asyncio.fixture
async def one_host() -> AsyncIterator[tuple[str, list[str]]]:
    """One host serving a slow route (``/slow``, HOLD seconds) and a quick page (``/page``)."""
    arrived: list[str] = []

    async def slow(_: web.Request) -> web.Response:
        arrived.append("slow")
        await asyncio.sleep(HOLD)
        return web.Response(text="late")

    async def page(_: web.Request) -> web.Response:
        arrived.append("page")
        return web.Response(text="<p>21h15: Benoît Hamon arrive</p>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/slow", slow)
    app.router.add_get("/page", page)
    runner, base_url = await serve_test_app(app)
    try:
        yield base_url, arrived
    finally:
        await runner.cleanup()


async def _hold_both_slots(
    fetcher: Fetcher, base_url: str, arrived: list[str]
) -> list[asyncio.Task[object]]:
    slow = [asyncio.create_task(fetcher.fetch(f"{base_url}/slow")) for _ in range(2)]

    async def both_in() -> bool:
        return arrived.count("slow") == 2

    await eventually(both_in, within=5 * TIMEOUT_FACTOR)
    return list(slow)


async def test_a_wait_for_a_slot_is_not_counted_in_the_source_timeout(
    one_host: tuple[str, list[str]],
) -> None:
    """Both slots held by a slow route: the quick page waits, then succeeds, the wait told."""
    base_url, arrived = one_host
    async with aiohttp.ClientSession() as session:
        fetcher = Fetcher(session, max_per_host=2)
        slow = await _hold_both_slots(fetcher, base_url, arrived)
        result = await fetcher.fetch(
            f"{base_url}/page", limits=FetchLimits(total_timeout=OWN_TIMEOUT)
        )
        await asyncio.gather(*slow)
    assert result.outcome is FetchOutcome.OK, result.error
    assert result.slot_wait > OWN_TIMEOUT
    assert result.duration < OWN_TIMEOUT
    assert result.slot_note is not None
    assert result.slot_note.startswith(f"waited {result.slot_wait:.1f} s for a free connection")
    assert base_url.removeprefix("http://") in result.slot_note


async def test_the_source_health_tells_the_wait_apart(
    one_host: tuple[str, list[str]], night: Night, redis_client: Redis, store: StreamStore
) -> None:
    """The poll behind a slow neighbour is ok, its warning says it waited for a slot, and the
    wait is a health field of its own (a gauge on /metrics), apart from the fetch's time."""
    base_url, arrived = one_host
    source = SourceConfig(
        name="live", type=SourceType.LIVEBLOG, url=f"{base_url}/page", interval=1,
        total_timeout=OWN_TIMEOUT,
    )  # fmt: skip
    async with aiohttp.ClientSession() as session:
        fetcher = Fetcher(session, max_per_host=2)
        poller = SourcePoller(source, night=night, redis=redis_client, store=store, fetcher=fetcher)
        slow = await _hold_both_slots(fetcher, base_url, arrived)
        result = await poller.poll_once()
        await asyncio.gather(*slow)
    assert (result.ok, result.added) == (True, 1), result.error
    health = (await read_all_health(redis_client, store.stream))["live"]
    assert str(health["last_warning"]).startswith("waited ")
    assert "not counted in this source's timeouts" in str(health["last_warning"])
    assert float(str(health["last_poll_ms"])) < OWN_TIMEOUT * 1000
    waited_ms = float(str(health["last_slot_wait_ms"]))
    assert waited_ms > OWN_TIMEOUT * 1000
    gauge = BroadcasterMetrics(health=lambda: {"live": health}).registry.get_sample_value(
        "soiree_source_last_slot_wait_ms", {"source": "live"}
    )
    assert gauge == waited_ms


async def test_a_poll_without_a_wait_says_zero(
    one_host: tuple[str, list[str]], night: Night, redis_client: Redis, store: StreamStore
) -> None:
    """A poll that found a slot free records a wait of 0 (after one that waited)."""
    base_url, arrived = one_host
    source = SourceConfig(
        name="live", type=SourceType.LIVEBLOG, url=f"{base_url}/page", interval=1,
        total_timeout=OWN_TIMEOUT,
    )  # fmt: skip
    async with aiohttp.ClientSession() as session:
        fetcher = Fetcher(session, max_per_host=2)
        poller = SourcePoller(source, night=night, redis=redis_client, store=store, fetcher=fetcher)
        slow = await _hold_both_slots(fetcher, base_url, arrived)
        await poller.poll_once()
        await asyncio.gather(*slow)
        waited = (await read_all_health(redis_client, store.stream))["live"]
        result = await poller.poll_once()
    assert result.ok, result.error
    health = (await read_all_health(redis_client, store.stream))["live"]
    assert float(str(waited["last_slot_wait_ms"])) > 0
    assert health["last_slot_wait_ms"] == 0.0
