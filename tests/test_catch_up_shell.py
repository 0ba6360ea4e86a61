"""Tests for ingest.polling.catch_up through a poller: older pages fetched politely, for real.

A small paginated liveblog on 127.0.0.1 (pages of three, ``?before=ID`` and a rel=next link,
``ETag`` and ``304``), a real Redis; the catch-up is driven by :class:`SourcePoller` polls.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import pytest_asyncio
from aiohttp import web
from redis.asyncio import Redis

from ingest.model.night import Night
from ingest.polling.fetch import Fetcher
from ingest.polling.poller import SourcePoller
from ingest.sources.pagination import Pagination
from ingest.sources.source_config import SourceConfig, SourceType
from ingest.store.health import read_all_health
from ingest.store.stream_store import StreamStore
from replay.night_fixture import NightFixture
from tests.plugins.ingest import serve_test_app

PAGE: int = 3


@dataclass(slots=True)
class Blog:
    """The blog's entries (minutes after 20:00, oldest first) and what it was asked."""

    minutes: list[int] = field(default_factory=list)
    #: An older page to fail once (with a 500), then answer again.
    fail_once: str | None = None
    #: Where the rel=next link points ("" : the blog's own older page).
    link_to: str = ""
    asked: list[tuple[str, str | None]] = field(default_factory=list)
    base_url: str = ""


def blog_app(blog: Blog) -> web.Application:
    """The paginated blog (see the module docstring)."""

    async def page(request: web.Request) -> web.Response:
        before = request.query.get("before")
        blog.asked.append((request.path_qs, request.headers.get("If-None-Match")))
        if request.path_qs == blog.fail_once:
            blog.fail_once = None
            return web.Response(status=500)
        shown = [m for m in blog.minutes if before is None or m < int(before)][::-1][:PAGE]
        articles = "".join(
            f'<article class="entry" id="e{m}"><time datetime="2017-01-29T20:{m:02d}:00+01:00">'
            f'20h{m:02d}</time><div class="body"><p>Entrée {m}</p></div></article>'
            for m in shown
        )
        older = [m for m in blog.minutes if shown and m < shown[-1]]
        link = ""
        if older:
            href = blog.link_to or f"/blog?before={shown[-1]}"
            link = f'<a rel="next" href="{href}">Entrées précédentes</a>'
        body = f"<html><body><main>{articles}</main>{link}</body></html>".encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=body, content_type="text/html", headers={"ETag": etag})

    app = web.Application()
    app.router.add_get("/blog", page)
    return app


@pytest_asyncio.fixture
async def blog() -> AsyncIterator[Blog]:
    """The blog served on 127.0.0.1 (port 0)."""
    state = Blog()
    runner, state.base_url = await serve_test_app(blog_app(state))
    try:
        yield state
    finally:
        await runner.cleanup()


@pytest_asyncio.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    """A fetcher over a fresh aiohttp session."""
    async with aiohttp.ClientSession() as session:
        yield Fetcher(session)


def poller_of(
    blog: Blog, sources_night: NightFixture, redis: Redis, store: StreamStore, fetcher: Fetcher
) -> SourcePoller:
    """A poller of the blog, with its rel=next pagination."""
    source = SourceConfig(
        name="blog", type=SourceType.LIVEBLOG, url=blog.base_url + "/blog", interval=0.05,
        entry="article.entry", time="time", body=".body", timeout=2, total_timeout=5,
        pagination=Pagination(next="a[rel=next]"),
    )  # fmt: skip
    night: Night = sources_night.night
    return SourcePoller(source, night=night, redis=redis, store=store, fetcher=fetcher)


async def test_a_failed_older_page_is_retried_conditionally_at_the_next_poll(
    blog: Blog,
    sources_night: NightFixture,
    redis_client: Redis,
    store: StreamStore,
    fetcher: Fetcher,
) -> None:
    """The second older page fails: a warning, what was read is appended; the next poll walks
    again, asks the first older page with its ETag (304) and gets the rest, each entry once."""
    blog.minutes = list(range(1, 11))
    poller = poller_of(blog, sources_night, redis_client, store, fetcher)
    # The first poll walks every older page: nothing is known yet.
    first = await poller.poll_once()
    assert first.ok
    assert [path for path, _ in blog.asked] == [
        "/blog",
        "/blog?before=8",
        "/blog?before=5",
        "/blog?before=2",
    ]
    assert await store.length() == 10

    # A burst of seven entries, more than two pages: the gap is found; an older page fails.
    blog.minutes = list(range(1, 18))
    blog.asked.clear()
    blog.fail_once = "/blog?before=12"  # the first older page answers, the second fails
    failed = await poller.poll_once()
    assert failed.ok
    assert failed.warning is not None
    assert failed.warning.startswith("gap not filled")
    assert "http_error" in failed.warning
    assert [path for path, _ in blog.asked] == ["/blog", "/blog?before=15", "/blog?before=12"]
    uids = [u.uid for u in (await store.history()).updates]
    assert "blog:e12" in uids  # the older page read before the failure
    assert "blog:e11" not in uids

    blog.asked.clear()
    retried = await poller.poll_once()
    assert retried.ok
    assert ("/blog?before=12", None) in blog.asked
    conditional = [etag for path, etag in blog.asked if path == "/blog?before=15"]
    assert len(conditional) == 1
    assert conditional[0] is not None  # asked with the ETag it had, answered 304
    updates = (await store.history()).updates
    assert sorted(u.uid for u in updates) == sorted(f"blog:e{m}" for m in range(1, 18))
    health = (await read_all_health(redis_client, store.stream))["blog"]
    assert (health["gaps_found"], health["gaps_filled"], health["gaps_unfilled"]) == (3, 2, 1)
    assert isinstance(health["unfilled_gap"], str)


async def test_a_link_off_the_site_is_not_followed(
    blog: Blog,
    sources_night: NightFixture,
    redis_client: Redis,
    store: StreamStore,
    fetcher: Fetcher,
) -> None:
    """A page whose older link leads to another host: not fetched, an unfilled gap."""
    blog.minutes = list(range(1, 8))
    blog.link_to = "http://198.51.100.1/steal?x=1"
    poller = poller_of(blog, sources_night, redis_client, store, fetcher)
    result = await poller.poll_once()
    assert result.ok
    assert result.added == PAGE
    assert result.warning is not None
    assert "leads off the source's site" in result.warning
    assert [path for path, _ in blog.asked] == ["/blog"]
    health = (await read_all_health(redis_client, store.stream))["blog"]
    assert health["gaps_unfilled"] == 1
