"""Issue 15.7: entries flapping between two texts must not grow the stream until the night goes.

A real server on 127.0.0.1 serves a liveblog of 500 entries whose texts flip between two
versions on every request; a real poller polls it 60 times into a stream that already holds the
night's updates, with retention of 4,000 entries. Before the damping, each poll appended 500
edits (30,000 entries: the night trimmed away).
"""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
import pytest_asyncio
from aiohttp import web
from redis.asyncio import Redis

from ingest.polling.fetch import Fetcher
from ingest.polling.poller import SourcePoller
from ingest.sources.source_config import SourceConfig, SourceType
from ingest.store.health import read_all_health
from ingest.store.stream_store import StreamStore
from replay.night_fixture import NightFixture
from replay.timeline import night_updates
from tests.plugins.ingest import serve_test_app

ENTRIES = 500
POLLS = 60
MAXLEN = 4_000


@dataclass(slots=True)
class FlappingPage:
    """A liveblog whose every entry shows version A, then B, then A... one per request."""

    requests: int = 0
    base_url: str = ""

    async def handle(self, _: web.Request) -> web.Response:
        """GET /liveblog: the next version of the page."""
        version = "A" if self.requests % 2 == 0 else "B"
        self.requests += 1
        paragraphs = "".join(
            f'<p id="e{i}"><strong>{12 + i // 60:02d}h{i % 60:02d}:</strong> '
            f"{html.escape(f'Entrée {i}, version {version}')}</p>\n"
            for i in range(ENTRIES - 1, -1, -1)
        )
        page = f'<!doctype html><html><body><div class="live">{paragraphs}</div></body></html>'
        return web.Response(text=page, content_type="text/html")


@pytest_asyncio.fixture
async def flapping_page() -> AsyncIterator[FlappingPage]:
    """The flapping liveblog, served on 127.0.0.1."""
    page = FlappingPage()
    app = web.Application()
    app.router.add_get("/liveblog", page.handle)
    runner, page.base_url = await serve_test_app(app)
    try:
        yield page
    finally:
        await runner.cleanup()


async def test_flapping_entries_are_damped_and_the_night_is_kept(
    flapping_page: FlappingPage,
    sources_night: NightFixture,
    redis_client: Redis,
    stream_key: str,
) -> None:
    """60 polls of 500 flipping entries: the stream stays small, the night stays, health says so."""
    store = StreamStore(redis_client, stream_key, maxlen=MAXLEN)
    night = night_updates(sources_night, seen=datetime.now(UTC))
    await store.append_many(night)
    source = SourceConfig(
        name="flappy", type=SourceType.LIVEBLOG, url=f"{flapping_page.base_url}/liveblog",
        interval=0.02, timeout=5, total_timeout=10, max_backoff=0.5,
    )  # fmt: skip
    async with aiohttp.ClientSession() as session:
        poller = SourcePoller(
            source, night=sources_night.night, redis=redis_client, store=store,
            fetcher=Fetcher(session),
        )  # fmt: skip
        results = [await poller.poll_once() for _ in range(POLLS)]
    assert all(result.ok for result in results), [r.error for r in results if not r.ok]
    assert flapping_page.requests == POLLS
    assert results[0].added == ENTRIES
    # Each entry: its add, at most its first edit; then nothing while it flips.
    assert sum(result.edited for result in results) <= ENTRIES
    assert sum(result.edited for result in results[4:]) == 0
    history = await store.history()
    assert not history.gap
    assert {u.uid for u in night} <= {u.uid for u in history.updates}
    assert await store.length() <= len(night) + 2 * ENTRIES

    health = (await read_all_health(redis_client, stream_key))["flappy"]
    assert health["flapping"] == sum(result.edited for result in results)
    assert "flapping" in str(health["last_warning"])


@dataclass(slots=True)
class ChurningPage:
    """A liveblog of 50 entries whose element ids change on every request (a CMS that renders
    ``id="post-<render>-<n>"``): the same entries, texts and times, never the same ids."""

    requests: int = 0
    base_url: str = ""

    async def handle(self, _: web.Request) -> web.Response:
        """GET /liveblog: the same entries under new ids."""
        self.requests += 1
        entries = "".join(
            f'<article class="e" id="post-{self.requests}-{i}"><time>{20 + i // 60:02d}h'
            f"{i % 60:02d}</time><p>{html.escape(f'Entrée {i} de la soirée')}</p></article>\n"
            for i in range(49, -1, -1)
        )
        return web.Response(text=f"<html><body>{entries}</body></html>", content_type="text/html")


@pytest_asyncio.fixture
async def churning_page() -> AsyncIterator[ChurningPage]:
    """The churning liveblog, served on 127.0.0.1."""
    page = ChurningPage()
    app = web.Application()
    app.router.add_get("/liveblog", page.handle)
    runner, page.base_url = await serve_test_app(app)
    try:
        yield page
    finally:
        await runner.cleanup()


async def test_entries_whose_ids_churn_keep_their_uids_and_append_nothing(
    churning_page: ChurningPage,
    sources_night: NightFixture,
    redis_client: Redis,
    store: StreamStore,
) -> None:
    """New ids on every poll for the same entries: before, each poll appended 50 adds (new
    entries are never held by the budget) and 50 deletes, growing the stream without end.
    An entry under a new id with the content (time and text) of one the poll lost is that
    entry: it keeps its first uid, and nothing more is appended."""
    source = SourceConfig(
        name="churn", type=SourceType.LIVEBLOG, url=churning_page.base_url + "/liveblog",
        interval=0.05, entry="article.e", time="time", body="p",
    )  # fmt: skip
    async with aiohttp.ClientSession() as session:
        poller = SourcePoller(
            source,
            night=sources_night.night,
            redis=redis_client,
            store=store,
            fetcher=Fetcher(session),
        )
        first = await poller.poll_once()
        later = [await poller.poll_once() for _ in range(10)]
    assert first.added == 50
    assert [(r.ok, r.appended) for r in later] == [(True, 0)] * 10
    history = (await store.history()).updates
    assert len(history) == 50
    assert {u.uid for u in history} == {f"churn:post-1-{i}" for i in range(50)}
