"""Issue 14.12: a source's warnings last until their condition clears, and skipped items count.

A real poller polls a real feed server on 127.0.0.1 that answers ``304 Not Modified`` to a
conditional request (as real servers do); health is read back from the real Redis, and the
Prometheus text is rendered from it as the broadcaster's ``/metrics`` renders it.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
import pytest_asyncio
from aiohttp import web
from redis.asyncio import Redis

from ingest.polling.fetch import Fetcher
from ingest.polling.poll_bookkeeping import PollBookkeeper
from ingest.polling.poller import SourcePoller
from ingest.sources.source_config import SourceConfig, SourceType
from ingest.sources.source_health import SourceHealth
from ingest.store.health import read_all_health
from ingest.store.stream_store import StreamStore
from replay.night_fixture import NightFixture
from tests.plugins.ingest import serve_test_app
from ticker.broadcast.metrics import BroadcasterMetrics


def item(guid: str, title: str, date: str | None, body: str = "Texte") -> str:
    """One RSS item (no pubDate when ``date`` is None)."""
    published = "" if date is None else f"<pubDate>{date}</pubDate>"
    return (
        f"<item><guid>{guid}</guid><title>{title}</title>{published}"
        f"<description>{body}</description></item>"
    )


GOOD = item("a", "Premier article", "Sun, 29 Jan 2017 21:30:00 +0100")
FLAWED = [
    GOOD,
    item("a", "Le même guid", "Sun, 29 Jan 2017 21:31:00 +0100"),  # duplicate key
    item("b", "Sans date", None),  # no date: dated when first seen, and said so
    item("c", "Sans date non plus", None),  # no date
    item("d", "", "Sun, 29 Jan 2017 21:32:00 +0100", body=""),  # no text
]


@dataclass(slots=True)
class FeedServer:
    """A feed whose items the test sets; ETag and 304 like a real server."""

    items: list[str]
    base_url: str = ""

    def body(self) -> bytes:
        """The feed document."""
        return (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
            + "".join(self.items)
            + "</channel></rss>"
        ).encode()

    async def handle(self, request: web.Request) -> web.Response:
        """GET /feed.xml, conditional."""
        body = self.body()
        etag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(
            body=body, headers={"ETag": etag, "Content-Type": "application/rss+xml"}
        )


@pytest_asyncio.fixture
async def feed_server() -> AsyncIterator[FeedServer]:
    """The feed server, serving the flawed feed."""
    server = FeedServer(list(FLAWED))
    app = web.Application()
    app.router.add_get("/feed.xml", server.handle)
    runner, server.base_url = await serve_test_app(app)
    try:
        yield server
    finally:
        await runner.cleanup()


@pytest_asyncio.fixture
async def poller(
    feed_server: FeedServer, sources_night: NightFixture, redis_client: Redis, store: StreamStore
) -> AsyncIterator[SourcePoller]:
    """A real poller of the feed."""
    source = SourceConfig(
        name="feed", type=SourceType.FEED, url=f"{feed_server.base_url}/feed.xml",
        interval=0.05, timeout=2, total_timeout=5, max_backoff=0.5,
    )  # fmt: skip
    async with aiohttp.ClientSession() as session:
        yield SourcePoller(
            source,
            night=sources_night.night,
            redis=redis_client,
            store=store,
            fetcher=Fetcher(session),
        )


async def test_a_burst_ends_with_its_warning_and_skipped_items_by_reason(
    feed_server: FeedServer, poller: SourcePoller, redis_client: Redis, store: StreamStore
) -> None:
    """A 304 keeps the warning; skipped items are counted by reason in health and /metrics."""
    last = await poller.run(asyncio.Event(), burst=True)
    assert last is not None
    assert last.outcome == "not_modified"
    health = (await read_all_health(redis_client, store.stream))["feed"]
    assert "2 item(s) without a date it could read: dated when first seen" in str(
        health["last_warning"]
    )
    assert health["skipped"] == {
        "duplicate_key": 1, "invalid": 0, "no_date": 0, "no_key": 0, "no_text": 1,
    }  # fmt: skip
    metrics = BroadcasterMetrics(health=lambda: {"feed": health}).render().decode()
    assert 'soiree_source_skipped_items{reason="no_text",source="feed"} 1.0' in metrics
    assert 'soiree_source_skipped_items{reason="duplicate_key",source="feed"} 1.0' in metrics

    # The condition clears: the next document skips nothing, and the warning goes.
    feed_server.items = [GOOD]
    cleared = await poller.poll_once()
    assert (cleared.outcome, cleared.warning) == ("ok", None)
    health = (await read_all_health(redis_client, store.stream))["feed"]
    assert "last_warning" not in health
    skipped = health["skipped"]
    assert isinstance(skipped, dict)
    assert set(skipped.values()) == {0}


async def test_a_restarted_poller_keeps_the_warning_until_it_reads_a_document(
    poller: SourcePoller, redis_client: Redis, store: StreamStore, sources_night: NightFixture
) -> None:
    """The warning a previous poller left stays until a document says otherwise."""
    first = await poller.poll_once()
    assert first.warning is not None
    again = PollBookkeeper(poller.source, redis=redis_client, stream=store.stream, draw=lambda: 0.5)
    await again.load(silent=False)
    assert again.health.last_warning == poller.health.last_warning
    assert again.health.skipped == poller.health.skipped


def test_skipped_counts_round_trip_and_junk_reads_as_absent() -> None:
    """The skipped counts survive the Redis hash; anything else stored there reads as absent."""
    health = SourceHealth(source="feed").succeeded(
        now=datetime(2026, 1, 1, tzinfo=UTC), outcome="ok", status=200, poll_seconds=0.01,
        warning="item 'b': no publication date", skipped={"no_date": 2, "no_text": 0},
    )  # fmt: skip
    back = SourceHealth.from_hash("feed", health.to_hash())
    assert back.skipped == {"no_date": 2, "no_text": 0}
    assert back.last_warning == health.last_warning
    kept = back.succeeded(
        now=datetime(2026, 1, 1, 0, 1, tzinfo=UTC), outcome="not_modified", status=304,
        poll_seconds=0.01, read=False,
    )  # fmt: skip
    assert (kept.last_warning, kept.skipped) == (back.last_warning, back.skipped)
    for junk in ("not json", "[1, 2]", '{"no_date": -1}', '{"no_date": true}', '{"x": 1.5}'):
        assert SourceHealth.from_hash("feed", {"skipped": junk}).skipped is None
