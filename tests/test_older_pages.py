"""Tests for ingest.sources.older_pages (the catch-up's pure planning) and the pagination of the
sources file, the liveblog parser and the emulated liveblog."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from ingest.extraction.entries import TextEntry
from ingest.sources.config import ingest_config_from_mapping, load_ingest_config
from ingest.sources.liveblog_parser import parse_liveblog
from ingest.sources.older_pages import (
    Ending,
    Known,
    Walk,
    has_gap,
    next_page_url,
    resolve_link,
)
from ingest.sources.pagination import DEFAULT_CATCH_UP_PAGES, Pagination
from ingest.sources.source_config import SourceConfigError, SourceType
from replay.emulated.documents import NoSuchPageError, liveblog_html
from replay.fixtures import find_night
from replay.night_fixture import NightFixture
from tests.conftest import BUNDLED_NIGHT_DIR
from tests.plugins.sources import SourcesStarter

START = datetime(2017, 1, 29, 19, 0, tzinfo=UTC)
LINK = Pagination(next="a[rel=next]")


def entry(minute: int, key: str | None = None) -> TextEntry:
    """The entry ``minute`` minutes after 19:00 UTC (its key the minute, unless given)."""
    return TextEntry.of(
        source="live",
        key=key or f"{minute:04d}",
        at=START + timedelta(minutes=minute),
        text=f"entry {minute}",
    )


def page(*minutes: int) -> list[TextEntry]:
    """A page's entries, oldest first."""
    return [entry(minute) for minute in sorted(minutes)]


# -- when to walk --------------------------------------------------------------------------------


def test_no_gap_while_the_page_still_shows_a_known_entry() -> None:
    """The page's far end is known: nothing scrolled off unseen."""
    known = Known.of(page(1, 2, 3))
    assert not has_gap(page(3, 4, 5), known)


def test_a_gap_when_the_far_end_is_newer_than_anything_known() -> None:
    """Every entry of the page is new, the oldest newer than the newest known: a gap."""
    assert has_gap(page(6, 7, 8), Known.of(page(1, 2, 3)))


def test_the_first_poll_of_a_source_walks() -> None:
    """Nothing known (a fresh stream): walk to learn what came before the page."""
    assert has_gap(page(6, 7), Known())
    assert not has_gap([], Known())


def test_an_old_unknown_entry_at_the_far_end_is_no_gap() -> None:
    """An unknown entry older than the newest known (a backdated one) is not a gap."""
    assert not has_gap(page(2, 9), Known.of(page(1, 3)))


def test_same_minute_entries_are_told_apart_by_uid() -> None:
    """The page's far end shares the newest known minute but is another entry: a gap."""
    known = Known.of([entry(5, "0005")])
    assert has_gap([entry(5, "0005-2"), entry(6)], known)
    assert not has_gap([entry(5, "0005"), entry(6)], known)


# -- the walk ------------------------------------------------------------------------------------


def test_walk_collects_the_missed_entries_oldest_first_until_known() -> None:
    """Two older pages: the missed entries, in time order; the known ones left out."""
    walk = Walk.start(page(9, 10, 11), Known.of(page(1, 2, 3)), LINK)
    walk = walk.read(page(6, 7, 8))
    assert walk.ending is None
    walk = walk.read(page(3, 4, 5))
    assert walk.ending is Ending.REACHED
    assert walk.ending.filled
    assert [item.uid for item in walk.missed] == [f"live:{m:04d}" for m in (4, 5, 6, 7, 8)]
    assert walk.pages == 2


def test_walk_stops_at_the_page_bound_unfilled() -> None:
    """``max_pages`` read without reaching known entries: the gap stays, said in words."""
    walk = Walk.start(page(20, 21), Known.of(page(1)), Pagination(next="a", max_pages=1))
    walk = walk.read(page(18, 19))
    assert walk.ending is Ending.PAGE_BOUND
    assert not walk.ending.filled
    assert [item.at.minute for item in walk.missed] == [18, 19]
    assert walk.describe().startswith("gap not filled: catch-up stopped at its bound of 1")


def test_walk_stops_at_the_age_bound_and_keeps_nothing_older() -> None:
    """Entries older than ``max_age`` below the page's newest are not taken."""
    walk = Walk.start(page(30, 31), Known(), Pagination(next="a", max_age=600))
    walk = walk.read(page(19, 22, 25))
    assert walk.ending is Ending.AGE_BOUND
    assert [item.at.minute for item in walk.missed] == [22, 25]


def test_walk_of_a_first_poll_ends_at_the_oldest_page() -> None:
    """Nothing known: every older entry is missed, until an empty page (or no link)."""
    walk = Walk.start(page(5, 6), Known(), LINK).read(page(3, 4)).read([])
    assert walk.ending is Ending.FIRST_PAGE
    assert [item.at.minute for item in walk.missed] == [3, 4]
    assert Walk.start(page(5), Known(), LINK).no_older_page().ending is Ending.FIRST_PAGE


def test_walk_is_stuck_on_a_page_with_nothing_new() -> None:
    """An older page that repeats what was read (a site ignoring the page number) stops it."""
    walk = Walk.start(page(5, 6), Known.of(page(1)), LINK).read(page(5, 6))
    assert walk.ending is Ending.STUCK
    assert not walk.ending.filled


def test_walk_that_failed_says_why() -> None:
    """A failed older page ends the walk unfilled, with the error in the description."""
    walk = Walk.start(page(5), Known.of(page(1)), LINK).failed("timeout: timed out")
    assert walk.ending is Ending.FAILED
    assert "timed out" in walk.describe()


def test_pages_that_shifted_repeat_no_entry() -> None:
    """A page number that shifted (new entries came) shows entries read before: taken once."""
    walk = Walk.start(page(7, 8), Known.of(page(1)), Pagination(next_url="http://h/?p={page}"))
    walk = walk.read(page(5, 6, 7))
    assert [item.at.minute for item in walk.missed] == [5, 6]


# -- where next ----------------------------------------------------------------------------------


def test_next_url_templates() -> None:
    """``{page}`` counts from 2; ``{before}`` is the oldest key read, percent-encoded."""
    by_page = Pagination(next_url="http://h/live?page={page}")
    walk = Walk.start(page(5, 6), Known(), by_page)
    assert next_page_url(walk, by_page, link=None) == "http://h/live?page=2"
    assert next_page_url(walk.read(page(3, 4)), by_page, link=None) == "http://h/live?page=3"
    by_key = Pagination(next_url="http://h/live?before={before}")
    odd = Walk.start([entry(3, "a b&c"), entry(4)], Known(), by_key)
    assert next_page_url(odd, by_key, link=None) == "http://h/live?before=a%20b%26c"
    assert next_page_url(odd, LINK, link="http://h/older") == "http://h/older"


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("?before=2041", "http://h:1/liveblog?before=2041"),
        ("/liveblog/page/2#top", "http://h:1/liveblog/page/2"),
        ("http://h:1/x", "http://h:1/x"),
        ("http://evil.example/x", None),
        ("https://h:1/x", None),
        ("javascript:alert(1)", None),
        ("//evil.example/x", None),
    ],
)
def test_links_are_kept_to_the_source_site(href: str, expected: str | None) -> None:
    """A page's link is followed only to the source's own scheme, host and port."""
    assert (
        resolve_link(href, page_url="http://h:1/liveblog", source_url="http://h:1/liveblog")
        == expected
    )


# -- the sources file ----------------------------------------------------------------------------


def liveblog(**keys: Any) -> dict[str, Any]:
    """A parsed sources file holding one liveblog with ``keys``."""
    source = {"name": "live", "type": "liveblog", "url": "/liveblog", "interval": 5, **keys}
    return {"base_url": "http://127.0.0.1:8750", "source": [source]}


def test_bundled_night_declares_its_pagination() -> None:
    """The bundled sources.toml reads older entries through the rel=next link."""
    loaded = load_ingest_config(BUNDLED_NIGHT_DIR / "sources.toml")
    assert loaded.source("liveblog").pagination == Pagination(next="a[rel=next]")
    assert loaded.source("articles").pagination is None


def test_pagination_keys_are_read() -> None:
    """A relative template is resolved like the url; the bounds are taken as given."""
    source = ingest_config_from_mapping(
        liveblog(next_url="/liveblog?page={page}", catch_up_pages=3, catch_up_age=3600)
    ).sources[0]
    assert source.pagination == Pagination(
        next_url="http://127.0.0.1:8750/liveblog?page={page}", max_pages=3, max_age=3600.0
    )
    plain = ingest_config_from_mapping(liveblog(next="a.older")).sources[0]
    assert plain.pagination is not None
    assert plain.pagination.max_pages == DEFAULT_CATCH_UP_PAGES


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"next": "a", "next_url": "/x?p={page}"}, "set one of them, not both"),
        ({"next": "[[["}, "next: not a valid CSS selector"),
        ({"next": 3}, "next must be a CSS selector string"),
        ({"next_url": "/x"}, "exactly one of {page} or {before}"),
        ({"next_url": "/x?p={page}&b={before}"}, "exactly one of {page} or {before}"),
        ({"next_url": "/x?p={page}{page}"}, "no other braces"),
        ({"next_url": "/x?p={page}&q={q}"}, "no other braces"),
        ({"next_url": "http://elsewhere/x?p={page}"}, "the source's own host"),
        ({"next_url": ""}, "non-empty URL template"),
        ({"catch_up_pages": 2}, "catch_up_pages needs next or next_url"),
        ({"next": "a", "catch_up_pages": 0}, "catch_up_pages must be a whole number"),
        ({"next": "a", "catch_up_pages": 1000}, "at most 100"),
        ({"next": "a", "catch_up_pages": True}, "catch_up_pages must be a whole number"),
        ({"next": "a", "catch_up_age": -5}, "catch_up_age must be a positive number"),
        ({"next": "a", "catch_up_age": "1h"}, "catch_up_age must be a number of seconds"),
    ],
)
def test_bad_pagination_is_one_clear_error(keys: dict[str, Any], message: str) -> None:
    """Every bad pagination value names the source and what is wrong."""
    with pytest.raises(SourceConfigError, match="source 'live'") as raised:
        ingest_config_from_mapping(liveblog(**keys))
    assert message in str(raised.value)


def test_only_liveblogs_paginate() -> None:
    """A feed with a next key is refused like any unknown key."""
    data = {
        "base_url": "http://h",
        "source": [{"name": "f", "type": "feed", "url": "/f", "interval": 5, "next": "a"}],
    }
    with pytest.raises(SourceConfigError, match="unknown keys for a feed source: \\['next'\\]"):
        ingest_config_from_mapping(data)


# -- the emulated liveblog and the parser --------------------------------------------------------


@pytest.fixture(scope="module")
def night() -> NightFixture:
    """The bundled night of 29 January 2017."""
    return find_night("2017-01-29")


def test_emulated_pages_chain_to_the_first_entry(night: NightFixture) -> None:
    """Following rel=next from the page reads every published entry once, newest first."""
    end = night.liveblog[-1].at
    seen = datetime(2017, 1, 30, tzinfo=UTC)
    keys: list[str] = []
    before: str | None = None
    for _ in range(len(night.liveblog)):
        html = liveblog_html(night, end, page_size=7, before=before)
        parsed = parse_liveblog(
            html, source="liveblog", night=night.night, seen=seen, entry="article.entry",
            time_selector="time", body=".body", next_selector="a[rel=next]",
        )  # fmt: skip
        keys.extend(item.uid.split(":", 1)[1] for item in reversed(parsed.entries))
        if parsed.next_link is None:
            break
        assert parsed.next_link.startswith("/liveblog?before=")
        before = parsed.next_link.removeprefix("/liveblog?before=")
    assert keys == [item.key for item in reversed(night.liveblog)]


def test_emulated_numbered_pages_and_their_ends(night: NightFixture) -> None:
    """``page=N`` gives the N-th slice; past the end, or an unknown key, is no page."""
    end = night.liveblog[-1].at
    second = liveblog_html(night, end, page_size=5, page=2)
    assert f'id="{night.liveblog[-6].key}"' in second
    with pytest.raises(NoSuchPageError):
        liveblog_html(night, end, page_size=5, page=100)
    with pytest.raises(NoSuchPageError):
        liveblog_html(night, end, before="no-such-entry")
    with pytest.raises(NoSuchPageError):
        liveblog_html(night, night.liveblog[0].at, before=night.liveblog[5].key)
    assert 'rel="next"' not in liveblog_html(night, end, page_size=1000)


async def test_emulated_server_answers_older_pages(start_sources: SourcesStarter) -> None:
    """Over HTTP: older pages by key or number, 404 past the end, 400 for a bad request."""
    running = await start_sources(speed="max")
    async with aiohttp.ClientSession() as http:
        async with http.get(running.url("/liveblog")) as first:
            body = await first.text()
            assert first.status == 200
        assert 'rel="next"' in body
        statuses: dict[str, int] = {}
        for query in ("?page=2", "?before=2041", "?page=99", "?before=nope", "?page=x",
                      "?page=0", "?page=2&before=2041"):  # fmt: skip
            async with http.get(running.url("/liveblog" + query)) as answer:
                statuses[query] = answer.status
                if answer.status == 200:
                    assert answer.headers["ETag"]
                    assert "article" in await answer.text()
        assert statuses == {
            "?page=2": 200,
            "?before=2041": 200,
            "?page=99": 404,
            "?before=nope": 404,
            "?page=x": 400,
            "?page=0": 400,
            "?page=2&before=2041": 400,
        }
        async with http.get(running.url("/liveblog?page=2")) as again:
            etag = again.headers["ETag"]
        async with http.get(
            running.url("/liveblog?page=2"), headers={"If-None-Match": etag}
        ) as conditional:
            assert conditional.status == 304


@pytest.mark.parametrize(
    "night_dir",
    sorted(
        path for path in BUNDLED_NIGHT_DIR.parent.iterdir() if (path / "sources.toml").is_file()
    ),
    ids=lambda path: path.name,
)
def test_every_bundled_night_s_liveblog_catches_up_through_its_older_pages(night_dir: Any) -> None:
    """A late demo of any bundled night gets the entries that scrolled off the emulated page."""
    config = load_ingest_config(night_dir / "sources.toml", base_url="http://127.0.0.1:1")
    liveblogs = [source for source in config.sources if source.type is SourceType.LIVEBLOG]
    assert liveblogs
    assert all(source.pagination is not None for source in liveblogs)
