"""Tests for ingest.polling.fetch: the polite fetcher against real servers on loopback."""

from __future__ import annotations

import asyncio
import gzip
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import aiohttp
import pytest_asyncio
from aiohttp import web

from ingest.polling.fetch import Fetcher
from ingest.polling.fetch_result import FetchLimits, FetchOutcome, Validators
from ingest.polling.http_headers import content_charset, parse_max_age, parse_retry_after
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.ingest import FAULT_PATHS, FaultServer

NOW = datetime(2017, 1, 29, 20, 0, tzinfo=UTC)
QUICK = FetchLimits(timeout=0.3, connect_timeout=0.3, total_timeout=2, max_bytes=1024 * 1024)


# -- pure header parsing ------------------------------------------------------------------------


def test_retry_after_seconds_and_dates() -> None:
    """Retry-After is read as seconds or as an HTTP date; junk is None."""
    assert parse_retry_after("120", now=NOW) == 120
    later = format_datetime(NOW + timedelta(seconds=90), usegmt=True)
    earlier = format_datetime(NOW - timedelta(hours=1), usegmt=True)
    assert parse_retry_after(later, now=NOW) == 90
    assert parse_retry_after(earlier, now=NOW) == 0
    assert parse_retry_after("soon", now=NOW) is None
    assert parse_retry_after(None, now=NOW) is None


def test_max_age_directives() -> None:
    """max-age is read among other directives; no-store / no-cache mean no freshness."""
    assert parse_max_age("public, max-age=30") == 30
    assert parse_max_age('max-age="5"') == 5
    assert parse_max_age("no-cache, max-age=30") is None
    assert parse_max_age("max-age=abc") is None
    assert parse_max_age(None) is None


def test_content_charset() -> None:
    """The charset parameter of Content-Type, if any."""
    assert content_charset("text/html; charset=ISO-8859-1") == "ISO-8859-1"
    assert content_charset('text/html; charset="utf-8"') == "utf-8"
    assert content_charset("text/html") is None


# -- a well-behaved server with every header ----------------------------------------------------


@dataclass(slots=True)
class Seen:
    """What the test server received and measured."""

    headers: list[dict[str, str]] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0


def _app(seen: Seen) -> web.Application:
    app = web.Application()

    async def cached(request: web.Request) -> web.Response:
        seen.headers.append(dict(request.headers))
        headers = {"ETag": '"v1"', "Last-Modified": "Sun, 29 Jan 2017 20:00:00 GMT",
                   "Cache-Control": "max-age=30"}  # fmt: skip
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304, headers=headers)
        return web.Response(text="contenu", headers=headers, content_type="text/html")

    async def unavailable(_: web.Request) -> web.Response:
        when = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
        return web.Response(status=503, headers={"Retry-After": when})

    async def chain(request: web.Request) -> web.Response:
        hops = int(request.match_info["n"])
        raise web.HTTPFound(f"../chain/{hops - 1}" if hops > 0 else "/cached")

    async def declared_big(_: web.Request) -> web.Response:
        return web.Response(body=b"x" * (2 * 1024 * 1024))

    async def bomb(_: web.Request) -> web.Response:
        body = gzip.compress(b"\0" * (10 * 1024 * 1024))
        return web.Response(body=body, headers={"Content-Encoding": "gzip"})

    async def slow(_: web.Request) -> web.Response:
        seen.in_flight += 1
        seen.most_in_flight = max(seen.most_in_flight, seen.in_flight)
        await asyncio.sleep(0.1)
        seen.in_flight -= 1
        return web.Response(text="ok")

    async def latin(_: web.Request) -> web.Response:
        return web.Response(body="é".encode("latin-1"), content_type="text/html", charset="latin-1")

    app.router.add_get("/cached", cached)
    app.router.add_get("/unavailable", unavailable)
    app.router.add_get("/chain/{n}", chain)
    app.router.add_get("/declared-big", declared_big)
    app.router.add_get("/bomb", bomb)
    app.router.add_get("/slow", slow)
    app.router.add_get("/latin", latin)
    return app


@dataclass(slots=True)
class Server:
    """The test server's base URL and what it saw."""

    base_url: str
    seen: Seen


@pytest_asyncio.fixture
async def server() -> AsyncIterator[Server]:
    """The header-rich test server on 127.0.0.1, port 0."""
    seen = Seen()
    runner = web.AppRunner(_app(seen), access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield Server(f"http://{host}:{port}", seen)
    finally:
        await runner.cleanup()


@pytest_asyncio.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """An aiohttp session, closed after the test."""
    async with aiohttp.ClientSession() as client:
        yield client


async def test_conditional_request_gives_304(
    server: Server, session: aiohttp.ClientSession
) -> None:
    """The validators of a 200 make the next request conditional; the answer is 304."""
    fetcher = Fetcher(session, user_agent="soiree-test")
    first = await fetcher.fetch(server.base_url + "/cached", limits=QUICK)
    assert first.outcome is FetchOutcome.OK
    assert (first.body, first.etag, first.max_age) == (b"contenu", '"v1"', 30)
    validators = Validators(etag=first.etag, last_modified=first.last_modified)
    second = await fetcher.fetch(server.base_url + "/cached", validators=validators, limits=QUICK)
    assert second.outcome is FetchOutcome.NOT_MODIFIED
    assert second.ok
    sent = server.seen.headers[-1]
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Sun, 29 Jan 2017 20:00:00 GMT"
    assert sent["User-Agent"] == "soiree-test"


async def test_retry_after_date_on_503(server: Server, session: aiohttp.ClientSession) -> None:
    """A 503 is an HTTP error carrying its Retry-After in seconds."""
    result = await Fetcher(session).fetch(server.base_url + "/unavailable", limits=QUICK)
    assert result.outcome is FetchOutcome.HTTP_ERROR
    assert result.status == 503
    assert result.retry_after is not None
    assert 100 < result.retry_after <= 120


async def test_relative_redirects_followed_within_the_bound(
    server: Server, session: aiohttp.ClientSession
) -> None:
    """Three relative redirects are followed; over max_redirects is refused."""
    fetcher = Fetcher(session)
    ok = await fetcher.fetch(server.base_url + "/chain/2", limits=QUICK)
    assert ok.outcome is FetchOutcome.OK
    assert ok.url == server.base_url + "/cached"
    assert len(ok.redirects) == 3
    strict = FetchLimits(timeout=0.3, max_redirects=2)
    refused = await fetcher.fetch(server.base_url + "/chain/2", limits=strict)
    assert refused.outcome is FetchOutcome.TOO_MANY_REDIRECTS


async def test_redirect_loop_and_non_http_target(
    fault_server: FaultServer, session: aiohttp.ClientSession
) -> None:
    """A redirect loop stops at the bound; a redirect to ftp:// is refused."""
    fetcher = Fetcher(session)
    loop = await fetcher.fetch(fault_server.url(FAULT_PATHS["redirect_loop"]), limits=QUICK)
    assert loop.outcome is FetchOutcome.TOO_MANY_REDIRECTS
    assert fault_server.hits[FAULT_PATHS["redirect_loop"]] == QUICK.max_redirects + 1
    ftp = await fetcher.fetch(fault_server.url(FAULT_PATHS["redirect_ftp"]), limits=QUICK)
    assert ftp.outcome is FetchOutcome.BAD_REDIRECT
    assert "ftp://" in (ftp.error or "")


async def test_size_cap_declared_streamed_and_decompressed(
    server: Server, fault_server: FaultServer, session: aiohttp.ClientSession
) -> None:
    """Bodies over the cap are refused: declared, streamed (20 MB) or as a gzip bomb."""
    fetcher = Fetcher(session)
    for url in (
        server.base_url + "/declared-big",
        server.base_url + "/bomb",
        fault_server.url(FAULT_PATHS["huge"]),
    ):
        result = await fetcher.fetch(url, limits=QUICK)
        assert result.outcome is FetchOutcome.TOO_LARGE, url
        assert result.body == b""


async def test_hang_times_out(fault_server: FaultServer, session: aiohttp.ClientSession) -> None:
    """A server that never answers is a timeout after the read timeout, not a hang."""
    # The total timeout is far away, so only the read timeout can end this fetch in time.
    limits = replace(QUICK, total_timeout=60 * TIMEOUT_FACTOR)
    result = await Fetcher(session).fetch(fault_server.url(FAULT_PATHS["hang"]), limits=limits)
    assert result.outcome is FetchOutcome.TIMEOUT
    assert result.duration >= limits.timeout * 0.9  # it did wait for the server
    assert result.duration < limits.total_timeout / 4  # the read timeout ended it


async def test_connection_refused(session: aiohttp.ClientSession) -> None:
    """Nobody listening is a connection error."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = await Fetcher(session).fetch(f"http://127.0.0.1:{port}/", limits=QUICK)
    assert result.outcome is FetchOutcome.CONNECTION_ERROR
    assert result.status is None


async def test_concurrent_requests_capped_per_host(
    server: Server, session: aiohttp.ClientSession
) -> None:
    """Six fetches at once to one host: never more than max_per_host in flight."""
    fetcher = Fetcher(session, max_per_host=2)
    results = await asyncio.gather(
        *(fetcher.fetch(server.base_url + "/slow", limits=QUICK) for _ in range(6))
    )
    assert all(result.outcome is FetchOutcome.OK for result in results)
    assert server.seen.most_in_flight == 2


async def test_charset_reported(server: Server, session: aiohttp.ClientSession) -> None:
    """The declared charset comes with the body."""
    result = await Fetcher(session).fetch(server.base_url + "/latin", limits=QUICK)
    assert result.charset == "latin-1"
    assert result.body == "é".encode("latin-1")
