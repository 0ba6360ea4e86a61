"""Tests for replay.emulated.server: the emulated sources over real HTTP on loopback."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from email.utils import formatdate, parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import aiohttp
import feedparser
import pytest
from aiohttp import web

from replay.clock import AnchoredClock, ReplayWindow
from replay.emulated.conditional import is_not_modified
from replay.emulated.server import build_sources_app, start_sources_server
from replay.night_fixture import NightFixture
from tests.conftest import TIMEOUT_FACTOR

if TYPE_CHECKING:  # imported by pytest_plugins at run time, so that pytest rewrites its asserts
    from tests.plugins.sources import ManualTime, SourcesStarter


ETAG = '"abc"'


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A real aiohttp client session."""
    async with aiohttp.ClientSession() as session:
        yield session


async def top_entry(http: aiohttp.ClientSession, url: str) -> str:
    """The id of the newest entry on the liveblog page at ``url``."""
    async with http.get(url) as response:
        page = await response.text()
    return page.split('<article class="entry" id="', 1)[1].split('"', 1)[0]


# -- conditional requests (pure) ------------------------------------------------------------------


def not_modified(
    *,
    inm: tuple[str, ...] = (),
    ims: tuple[str, ...] = (),
    last: float = 1_000_000.5,
    previous: float | None = None,
) -> bool:
    """is_not_modified for ETag ``"abc"``, now far after ``last``."""
    return is_not_modified(
        inm, ims, etag=ETAG, last_modified=last, previous_modified=previous, now=2_000_000_000
    )


def test_if_none_match_matches_the_etag() -> None:
    """The same tag, a weak form of it, a list holding it or * give 304; another tag does not."""
    assert not_modified(inm=(ETAG,))
    assert not_modified(inm=(f"W/{ETAG}",))
    assert not_modified(inm=('"x", ' + ETAG,))
    assert not_modified(inm=("*",))
    assert not not_modified(inm=('"x"',))


def test_if_none_match_wins_over_if_modified_since() -> None:
    """A stale ETag gets the body even with a matching date (RFC 9110, 13.2.2)."""
    assert not not_modified(inm=('"old"',), ims=(formatdate(1_000_000, usegmt=True),))


def test_if_modified_since_compares_whole_seconds() -> None:
    """The date of the version's second gives 304; an earlier one does not."""
    assert not_modified(ims=(formatdate(1_000_000, usegmt=True),))
    assert not not_modified(ims=(formatdate(999_999, usegmt=True),))


def test_if_modified_since_cannot_tell_two_versions_in_one_second() -> None:
    """When the previous version appeared in the same second, only the ETag can give 304."""
    since = (formatdate(1_000_000, usegmt=True),)
    assert not not_modified(ims=since, last=1_000_000.7, previous=1_000_000.2)
    assert not_modified(ims=since, last=1_000_000.7, previous=999_999.9)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "yesterday",
        "Mon, 99 Foo 2017 25:61:61 GMT",
        "99999999999999999999",
        "Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT",
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "\udcff\udcfe",
    ],
)
def test_bad_or_future_dates_are_ignored(value: str) -> None:
    """A date that does not parse, or lies in the future, never gives 304 and never raises."""
    assert not not_modified(ims=(value,))


def test_several_if_modified_since_are_ignored() -> None:
    """Two If-Modified-Since headers make the condition void."""
    date = formatdate(1_000_000, usegmt=True)
    assert not not_modified(ims=(date, date))


# -- the server -----------------------------------------------------------------------------------


async def test_documents_carry_types_validators_and_caching(
    start_sources: SourcesStarter, http: aiohttp.ClientSession
) -> None:
    """Each document has its type with utf-8, an ETag, a Last-Modified and max-age."""
    sources = await start_sources(start="20:40", interval=4.5)
    expected = {
        "/liveblog": "text/html; charset=utf-8",
        "/feed.xml": "application/rss+xml; charset=utf-8",
        "/results.json": "application/json; charset=utf-8",
    }
    for path, content_type in expected.items():
        async with http.get(sources.url(path)) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == content_type
            assert response.headers["Cache-Control"] == "max-age=5"
            assert response.headers["ETag"].startswith('"')
            modified = parsedate_to_datetime(response.headers["Last-Modified"])
            assert modified.timestamp() <= time.time()
            await response.read()


async def test_etag_gives_304(start_sources: SourcesStarter, http: aiohttp.ClientSession) -> None:
    """If-None-Match with the current ETag gets 304 with the same validators and no body."""
    sources = await start_sources(speed="max")
    async with http.get(sources.url("/liveblog")) as first:
        etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
        assert await first.read()
    async with http.get(sources.url("/liveblog"), headers={"If-None-Match": etag}) as again:
        assert again.status == 304
        assert again.headers["ETag"] == etag
        assert again.headers["Last-Modified"] == modified
        assert again.headers["Cache-Control"] == "max-age=0"
        assert await again.read() == b""
    async with http.get(sources.url("/liveblog"), headers={"If-None-Match": '"x"'}) as other:
        assert other.status == 200


async def test_if_modified_since_gives_304(
    start_sources: SourcesStarter, http: aiohttp.ClientSession
) -> None:
    """If-Modified-Since with the Last-Modified gets 304; an older date gets the body."""
    sources = await start_sources(speed="max")
    async with http.get(sources.url("/results.json")) as first:
        modified = first.headers["Last-Modified"]
        results = await first.json()
    assert results["latest"]["id"] == results["checkpoints"][-1]["id"]
    since = {"If-Modified-Since": modified}
    async with http.get(sources.url("/results.json"), headers=since) as again:
        assert again.status == 304
    earlier = parsedate_to_datetime(modified).timestamp() - 3600
    older = {"If-Modified-Since": formatdate(earlier, usegmt=True)}
    async with http.get(sources.url("/results.json"), headers=older) as stale:
        assert stale.status == 200


async def test_content_follows_a_fast_clock(
    start_sources: SourcesStarter, http: aiohttp.ClientSession
) -> None:
    """At 600x from 20:40, the 20h41 entry and count appear within a second, with new validators."""
    sources = await start_sources(speed="600", start="20:40")
    async with http.get(sources.url("/liveblog")) as response:
        etag = response.headers["ETag"]
        modified = parsedate_to_datetime(response.headers["Last-Modified"])
    deadline = time.monotonic() + 5 * TIMEOUT_FACTOR
    while await top_entry(http, sources.url("/liveblog")) != "2041":
        assert time.monotonic() < deadline, "the 20h41 entry never appeared"
        await asyncio.sleep(0.02)
    async with http.get(sources.url("/liveblog"), headers={"If-None-Match": etag}) as changed:
        assert changed.status == 200
        assert changed.headers["ETag"] != etag
        assert parsedate_to_datetime(changed.headers["Last-Modified"]) >= modified
        await changed.read()
    async with http.get(sources.url("/results.json")) as response:
        assert (await response.json())["latest"]["id"] == "count-2041"


async def test_last_modified_is_when_the_version_appeared(
    start_sources: SourcesStarter, http: aiohttp.ClientSession, manual_time: ManualTime
) -> None:
    """Last-Modified moves by the wall time between two versions, whenever it is asked."""
    sources = await start_sources(speed="60", start="20:40", clock=AnchoredClock(now=manual_time))
    async with http.get(sources.url("/liveblog")) as response:
        before = parsedate_to_datetime(response.headers["Last-Modified"]).timestamp()
    manual_time.advance(1.5)  # 20:41:30: the 20h41 entry came at 1 s
    async with http.get(sources.url("/liveblog")) as response:
        after = parsedate_to_datetime(response.headers["Last-Modified"]).timestamp()
        assert '<article class="entry" id="2041">' in await response.text()
    assert after - before == 1
    manual_time.advance(5)  # still no new entry (the next is at 20:52)
    async with http.get(sources.url("/liveblog")) as response:
        assert parsedate_to_datetime(response.headers["Last-Modified"]).timestamp() == after


async def test_to_freezes_the_documents(
    start_sources: SourcesStarter, http: aiohttp.ClientSession, manual_time: ManualTime
) -> None:
    """With --to 20:45 the clock stops at 20:45: the 20h52 entry never comes."""
    sources = await start_sources(
        speed="60", start="20:40", end="20:45", clock=AnchoredClock(now=manual_time)
    )
    manual_time.advance(3600)
    assert await top_entry(http, sources.url("/liveblog")) == "2041"
    async with http.get(sources.url("/healthz")) as response:
        health = await response.json()
    assert health["virtual_time"] == "2017-01-29T20:45:00+01:00"
    assert health["finished"] is True


async def test_loop_starts_the_night_again(
    start_sources: SourcesStarter, http: aiohttp.ClientSession, manual_time: ManualTime
) -> None:
    """With loop, the documents go back to the start of the night after the pause."""
    sources = await start_sources(
        speed="60",
        start="20:40",
        end="20:45",
        loop=True,
        loop_pause=2,
        clock=AnchoredClock(now=manual_time),
    )
    manual_time.advance(6)
    assert await top_entry(http, sources.url("/liveblog")) == "2041"
    manual_time.advance(1.5)  # 7.5 s: the second pass, at 20:40:30
    assert await top_entry(http, sources.url("/liveblog")) == "2030"
    async with http.get(sources.url("/healthz")) as response:
        health = await response.json()
    assert health["pass"] == 2
    assert health["finished"] is False


async def test_healthz_tells_the_virtual_time(
    start_sources: SourcesStarter, http: aiohttp.ClientSession
) -> None:
    """/healthz answers the virtual time in Paris time, the speed and whether it is over."""
    sources = await start_sources(speed="60", start="20:40")
    async with http.get(sources.url("/healthz")) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        assert response.headers["Cache-Control"] == "no-store"
        health = await response.json()
    assert health["virtual_time"].startswith("2017-01-29T20:40:")
    assert health["virtual_time"].endswith("+01:00")
    assert health["speed"] == 60
    assert health["finished"] is False
    assert health["night"] == "2017-01-29"
    fastest = await start_sources(speed="max")
    async with http.get(fastest.url("/healthz")) as response:
        health = await response.json()
    assert health["speed"] == "max"
    assert health["finished"] is True


async def test_index_links_the_documents(
    start_sources: SourcesStarter, http: aiohttp.ClientSession
) -> None:
    """/ is a small page linking each document."""
    sources = await start_sources()
    async with http.get(sources.url("/")) as response:
        assert response.status == 200
        page = await response.text()
    for path in ("/liveblog", "/feed.xml", "/results.json", "/healthz"):
        assert f'href="{path}"' in page


async def test_feed_links_to_the_servers_own_liveblog(
    start_sources: SourcesStarter, http: aiohttp.ClientSession
) -> None:
    """The served feed parses cleanly and its channel links to the served liveblog."""
    sources = await start_sources(speed="max")
    async with http.get(sources.url("/feed.xml")) as response:
        parsed = feedparser.parse(await response.read())
    assert parsed.bozo == 0
    assert parsed.feed.link == sources.url("/liveblog")
    assert len(parsed.entries) == 4


async def test_head_answers_the_headers_only(
    start_sources: SourcesStarter, http: aiohttp.ClientSession
) -> None:
    """HEAD gets the same validators as GET and no body."""
    sources = await start_sources(speed="max")
    async with http.get(sources.url("/feed.xml")) as response:
        etag = response.headers["ETag"]
    async with http.head(sources.url("/feed.xml")) as response:
        assert response.status == 200
        assert response.headers["ETag"] == etag
        assert await response.read() == b""


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("If-Modified-Since", "yesterday"),
        ("If-Modified-Since", "Mon, 99 Foo 2017 25:61:61 GMT"),
        ("If-Modified-Since", "Fri, 31 Dec 9999 23:59:59 GMT"),
        ("If-Modified-Since", "9" * 4000),
        ("If-None-Match", '"unterminated'),
        ("If-None-Match", ",,, W/"),
        ("If-None-Match", ""),
    ],
)
async def test_odd_headers_get_the_document(
    start_sources: SourcesStarter, http: aiohttp.ClientSession, name: str, value: str
) -> None:
    """Malformed conditional headers are ignored: the document comes back, 200."""
    sources = await start_sources(speed="max")
    async with http.get(sources.url("/liveblog"), headers={name: value}) as response:
        assert response.status == 200
        assert await response.read()


async def test_raw_bytes_in_headers_do_not_crash(start_sources: SourcesStarter) -> None:
    """Headers that are not UTF-8 get an answer, and the server keeps serving."""
    sources = await start_sources(speed="max")
    address = urlsplit(sources.base_url)
    assert address.hostname is not None
    assert address.port is not None
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    try:
        writer.write(
            b"GET /results.json HTTP/1.1\r\nHost: x\r\n"
            b"If-Modified-Since: \xff\xfe\x80 GMT\r\nIf-None-Match: \xc3(\r\n"
            b"Connection: close\r\n\r\n"
        )
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 5 * TIMEOUT_FACTOR)
    finally:
        writer.close()
        await writer.wait_closed()
    assert status_line.split()[1] in (b"200", b"400")
    async with aiohttp.ClientSession() as http, http.get(sources.url("/healthz")) as response:
        assert response.status == 200


async def test_start_on_port_zero_returns_the_bound_url(sources_night: NightFixture) -> None:
    """Port 0 binds a free port and the returned URL is the one really bound."""
    app = build_sources_app(sources_night, ReplayWindow(speed=float("inf")))
    runner, base_url = await start_sources_server(app, "127.0.0.1", 0)
    try:
        assert base_url.startswith("http://127.0.0.1:")
        assert not base_url.endswith(":0")
        async with aiohttp.ClientSession() as http, http.get(base_url + "/healthz") as response:
            assert response.status == 200
    finally:
        await runner.cleanup()


def test_options_out_of_range_are_refused(sources_night: NightFixture) -> None:
    """A page of no entries or a negative interval is refused when building the app."""
    window = ReplayWindow()
    with pytest.raises(ValueError, match="page_size"):
        build_sources_app(sources_night, window, page_size=0)
    with pytest.raises(ValueError, match="interval"):
        build_sources_app(sources_night, window, interval=-1)
    assert isinstance(build_sources_app(sources_night, window), web.Application)
