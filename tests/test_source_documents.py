"""Tests for replay.emulated.documents: the emulated sources' documents at a virtual instant."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import feedparser
import pytest
from selectolax.lexbor import LexborHTMLParser as HTMLParser
from selectolax.lexbor import LexborNode as Node

from ingest.sources.feed_parser import parse_feed as read_feed
from ingest.sources.liveblog_parser import parse_liveblog
from ingest.sources.results_parser import parse_results
from replay.commands.clock_options import parse_night_time
from replay.emulated.documents import (
    DEFAULT_PAGE_SIZE,
    Document,
    etag_of,
    feed_xml,
    liveblog_html,
    paragraphs_html,
    published_instants,
    results_json,
)
from replay.fixtures import find_night
from replay.night_fixture import Article, LiveblogEntry, NightFixture
from replay.timeline import night_updates

HOSTILE = "<img src=x onerror=alert(1)> & </p><script>alert(2)</script>"
END_OF_NIGHT = "2017-01-31T00:00"


@pytest.fixture(scope="module")
def night() -> NightFixture:
    """The bundled night of 29 January 2017."""
    return find_night("2017-01-29")


def when(night: NightFixture, raw: str) -> datetime:
    """A Paris time on the night, as ``--from`` would take it."""
    return parse_night_time(raw, night.night)


def entries(page: str) -> list[Node]:
    """The entry elements of a liveblog page, in page order."""
    return HTMLParser(page).css("article.entry")


def ids(page: str) -> list[str]:
    """The ``id`` of every entry of a liveblog page, in page order."""
    return [node.attributes["id"] or "" for node in entries(page)]


def body_text(node: Node) -> str:
    """An entry's body text: its paragraphs joined by a blank line."""
    return "\n\n".join(paragraph.text() for paragraph in node.css("p"))


def markup_text(markup: str) -> str:
    """The text of an HTML fragment's paragraphs joined by a blank line."""
    return "\n\n".join(paragraph.text() for paragraph in HTMLParser(markup).css("p"))


# -- liveblog -------------------------------------------------------------------------------------


def test_liveblog_shows_what_is_published_and_nothing_later(night: NightFixture) -> None:
    """At 20:45 the page shows the 20h41 entry and not the 20h52 one."""
    page = liveblog_html(night, when(night, "20:45"))
    assert ids(page)[0] == "2041"
    assert "2052" not in ids(page)


def test_liveblog_entry_is_shown_at_its_minute(night: NightFixture) -> None:
    """An entry appears exactly at its instant, not a microsecond before."""
    at = when(night, "20:41")
    assert ids(liveblog_html(night, at))[0] == "2041"
    assert ids(liveblog_html(night, at - timedelta(microseconds=1)))[0] == "2030"


def test_liveblog_is_newest_first(night: NightFixture) -> None:
    """Entries come newest first; the second entry of a minute before the first."""
    page = liveblog_html(night, when(night, END_OF_NIGHT), page_size=1000)
    expected = [entry.key for entry in reversed(night.liveblog)]
    assert ids(page) == expected
    assert ids(page).index("2101-2") < ids(page).index("2101")


def test_liveblog_page_size_keeps_the_newest(night: NightFixture) -> None:
    """page_size cuts the page to the newest entries."""
    page = liveblog_html(night, when(night, "20:45"), page_size=3)
    assert ids(page) == ["2041", "2030", "2022"]


def test_liveblog_rejects_an_empty_page_size(night: NightFixture) -> None:
    """A page of no entries is a mistake."""
    with pytest.raises(ValueError, match="page_size"):
        liveblog_html(night, when(night, "20:45"), page_size=0)


def test_liveblog_intro_is_published_at_21_16(night: NightFixture) -> None:
    """The intro appears at its own time, on top, with the date in its header."""
    assert "intro" not in ids(liveblog_html(night, when(night, "21:15")))
    page = liveblog_html(night, when(night, "21:16"))
    first = entries(page)[0]
    assert first.attributes["id"] == "intro"
    time = first.css_first("time")
    assert time is not None
    assert time.attributes["datetime"] == "2017-01-29T21:16:00+01:00"
    assert time.text() == "29/01 21:16"


def test_liveblog_matches_the_fixtures_exactly(night: NightFixture) -> None:
    """Every entry's time and body text give the fixture back exactly."""
    page = liveblog_html(night, when(night, END_OF_NIGHT), page_size=1000)
    by_key = {entry.key: entry for entry in night.liveblog}
    nodes = entries(page)
    assert len(nodes) == len(night.liveblog)
    for node in nodes:
        entry = by_key[node.attributes["id"] or ""]
        time, body = node.css_first("time"), node.css_first(".body")
        assert time is not None
        assert body is not None
        assert datetime.fromisoformat(time.attributes["datetime"] or "") == entry.at
        assert time.attributes["datetime"] == entry.at.isoformat()
        if not entry.intro:
            assert time.text() == entry.time_written
        assert body_text(body) == entry.text


def test_liveblog_escapes_hostile_text(night: NightFixture) -> None:
    """Markup in an entry's text stays text: no element comes out of it."""
    hostile = LiveblogEntry(
        key="2042",
        time_written="20h42",
        at=when(night, "20:42"),
        text=HOSTILE,
        seed=night.liveblog[0].seed,
    )
    fixture = dataclasses.replace(night, liveblog=(*night.liveblog, hostile))
    page = liveblog_html(fixture, when(night, "20:45"))
    tree = HTMLParser(page)
    assert tree.css("img") == []
    assert tree.css("script") == []
    body = entries(page)[0].css_first(".body")
    assert body is not None
    assert body_text(body) == HOSTILE


def test_liveblog_is_empty_before_the_first_entry(night: NightFixture) -> None:
    """Before the first entry, the page has no entry but is still a page."""
    page = liveblog_html(night, when(night, "06:00"))
    assert ids(page) == []
    assert HTMLParser(page).css_first("main.liveblog") is not None


# -- feed -----------------------------------------------------------------------------------------


def parse_feed(xml: str) -> feedparser.FeedParserDict:
    """The feed as feedparser reads it, checked well-formed."""
    parsed = feedparser.parse(xml.encode("utf-8"))
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


def test_feed_gives_articles_back(night: NightFixture) -> None:
    """feedparser reads guids, titles, dates (in Paris time) and texts back, newest first."""
    parsed = parse_feed(feed_xml(night, when(night, END_OF_NIGHT)))
    assert parsed.version == "rss20"
    expected = sorted(night.articles, key=lambda article: article.published, reverse=True)
    assert [item.id for item in parsed.entries] == [article.guid for article in expected]
    for item, article in zip(parsed.entries, expected, strict=True):
        assert item.get("title") == article.title
        published = parsedate_to_datetime(item.published)
        assert published == article.published
        assert published.utcoffset() == timedelta(hours=1)
        assert markup_text(item.summary) == article.text


def test_feed_shows_only_published_articles(night: NightFixture) -> None:
    """At 21:00 on the night, only the two first-round articles are in the feed."""
    parsed = parse_feed(feed_xml(night, when(night, "21:00")))
    assert [item.id for item in parsed.entries] == ["439f4ac286a5338c", "9a80b8c5e8c2afaf"]


def test_feed_with_no_article_is_valid(night: NightFixture) -> None:
    """Before any article the feed is an empty, well-formed channel."""
    parsed = parse_feed(feed_xml(night, when(night, "2017-01-01T00:00")))
    assert parsed.entries == []
    assert parsed.feed.title == night.night.title


def test_feed_escapes_hostile_text_and_drops_what_xml_cannot_carry(night: NightFixture) -> None:
    """A hostile title and body stay text; control characters never break the XML."""
    hostile = Article(
        guid="0123456789abcdef",
        seed="005_0123456789abcdef.txt",
        title=HOSTILE,
        published=when(night, "20:42"),
        published_estimated=False,
        estimate_reason=None,
        round=2,
        text=f"{HOSTILE}\n\nbell\x07 here",
    )
    fixture = dataclasses.replace(night, articles=(*night.articles, hostile))
    xml = feed_xml(fixture, when(night, "20:45"))
    parsed = parse_feed(xml)
    item = parsed.entries[0]
    assert item.id == hostile.guid
    assert item.title == HOSTILE
    assert "<script" not in xml
    assert "<img" not in xml
    summary = HTMLParser(item.summary)
    assert summary.css("img") == []
    assert [p.text() for p in summary.css("p")] == [HOSTILE, "bell here"]


def test_feed_channel_link_is_configurable(night: NightFixture) -> None:
    """The channel links to the liveblog page it is given."""
    parsed = parse_feed(feed_xml(night, when(night, "21:00"), link="http://127.0.0.1:1/liveblog"))
    assert parsed.feed.link == "http://127.0.0.1:1/liveblog"


# -- results --------------------------------------------------------------------------------------


def test_results_before_the_first_checkpoint_are_empty(night: NightFixture) -> None:
    """At 12:30 the midday turnout is not published yet (it is at 13:05)."""
    results = results_json(night, when(night, "12:30"))
    assert results == {"night": "2017-01-29", "updated": None, "latest": None, "checkpoints": []}


def test_results_hold_the_checkpoints_published_so_far(night: NightFixture) -> None:
    """At 13:30 only turnout-1200 is there, with its figures."""
    results = results_json(night, when(night, "13:30"))
    assert [checkpoint["id"] for checkpoint in results["checkpoints"]] == ["turnout-1200"]
    assert results["latest"]["id"] == "turnout-1200"
    assert results["updated"] == "2017-01-29T13:05:00+01:00"
    assert results["latest"]["figures"]["voters"] == 567563


def test_results_are_oldest_first_with_latest_repeated(night: NightFixture) -> None:
    """At 20:45 the checkpoints go oldest first and latest is the 20h41 count."""
    results = results_json(night, when(night, "20:45"))
    assert [checkpoint["id"] for checkpoint in results["checkpoints"]] == [
        "turnout-1200",
        "turnout-1700",
        "count-2041",
    ]
    assert results["latest"] == results["checkpoints"][-1]
    assert results["updated"] == "2017-01-29T20:41:00+01:00"
    count = results["latest"]
    assert count == {
        "id": "count-2041",
        "published": "2017-01-29T20:41:00+01:00",
        "kind": "count",
        "round": 2,
        "text": night.checkpoints[2].text,
        "figures": {
            "scope": "national",
            "shares": {"Benoît Hamon": 58.65, "Manuel Valls": 41.35},
            "counted_pct": 60,
        },
    }


def test_results_match_the_fixtures_at_the_end(night: NightFixture) -> None:
    """At the end every checkpoint is there, as JSON, with the fixtures' figures."""
    results = json.loads(json.dumps(results_json(night, when(night, END_OF_NIGHT))))
    assert [checkpoint["id"] for checkpoint in results["checkpoints"]] == [
        checkpoint.id for checkpoint in night.checkpoints
    ]
    for shown, checkpoint in zip(results["checkpoints"], night.checkpoints, strict=True):
        assert shown["figures"] == checkpoint.figures.to_json()
        assert datetime.fromisoformat(shown["published"]) == checkpoint.published


# -- helpers --------------------------------------------------------------------------------------


def test_etag_is_a_quoted_digest_of_the_body() -> None:
    """Same body, same ETag; another body, another ETag; always a quoted string."""
    assert etag_of(b"a") == etag_of(b"a")
    assert etag_of(b"a") != etag_of(b"b")
    assert etag_of(b"a").startswith('"')
    assert etag_of(b"a").endswith('"')


def test_paragraphs_round_trip() -> None:
    """Paragraphs, even empty ones, come back joined by a blank line."""
    text = "un\n\n\n\ndeux & <trois>\n\n"
    assert markup_text(paragraphs_html(text)) == text


def test_published_instants_follow_the_fixtures(night: NightFixture) -> None:
    """Each document's publication instants are its items', in order."""
    assert list(published_instants(night, Document.LIVEBLOG)) == [e.at for e in night.liveblog]
    assert list(published_instants(night, Document.FEED)) == [
        article.published for article in night.articles
    ]
    assert list(published_instants(night, Document.RESULTS)) == [
        checkpoint.published for checkpoint in night.checkpoints
    ]


# -- read back by the pollers' parsers ------------------------------------------------------------


@pytest.mark.parametrize("moment", ["20:45", END_OF_NIGHT])
def test_pollers_read_the_replays_updates_back(night: NightFixture, moment: str) -> None:
    """The pollers' parsers turn the documents into exactly the updates `soiree replay` appends."""
    now = when(night, moment)
    seen = datetime.now(UTC)
    expected = {u.uid: u.content_json() for u in night_updates(night, seen=seen) if u.at <= now}
    liveblog = parse_liveblog(
        liveblog_html(night, now),
        source=night.liveblog_source,
        night=night.night,
        seen=seen,
        entry="article.entry",
        time_selector="time",
        body=".body",
    )
    feed = read_feed(
        feed_xml(night, now).encode("utf-8"),
        source=night.feed_source,
        night=night.night,
        seen=seen,
        content_type="application/rss+xml; charset=utf-8",
    )
    results = parse_results(
        json.dumps(results_json(night, now), ensure_ascii=False).encode("utf-8"),
        source=night.results_source,
        night=night.night,
        seen=seen,
    )
    pages = (liveblog, feed, results)
    # The feed still holds the articles of 22 and 23 January: kept, and flagged as far off.
    far = (
        "2 item(s) dated more than a day from the night of 2017-01-29: kept with their date"
        " (first: 'articles:439f4ac286a5338c', 2017-01-23T12:00:00+01:00)"
    )
    assert [page.problems for page in pages] == [[], [far], []]
    got = {u.uid: u.content_json() for page in pages for u in page.updates}
    # The page shows the newest entries only: the older ones were read on earlier polls.
    shown = {f"{night.liveblog_source}:{key}" for key in ids(liveblog_html(night, now))}
    assert len(shown) == min(DEFAULT_PAGE_SIZE, sum(e.at <= now for e in night.liveblog))
    older = {
        uid for uid in expected if uid.startswith(f"{night.liveblog_source}:") and uid not in shown
    }
    assert got == {uid: content for uid, content in expected.items() if uid not in older}
