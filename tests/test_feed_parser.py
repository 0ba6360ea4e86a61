"""Tests for ingest.sources.feed_parser: RSS and Atom bytes to updates, malformed feeds included."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ingest.extraction.entries import article_text
from ingest.model.night import Night
from ingest.sources.feed_parser import FeedParseError, parse_feed
from replay.emulated.documents import feed_xml
from replay.night_fixture import NightFixture

SEEN = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def night(sources_night: NightFixture) -> Night:
    """The night of 29 January 2017."""
    return sources_night.night


def rss(*items: str) -> bytes:
    """An RSS 2.0 document with these items."""
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def test_emulated_feed_gives_the_fixture_articles(sources_night: NightFixture) -> None:
    """Every article of the emulated feed has its guid, publication time and text."""
    night = sources_night.night
    end = datetime(2017, 12, 31, tzinfo=night.timezone)
    page = parse_feed(
        feed_xml(sources_night, end).encode(), source="articles", night=night, seen=SEEN
    )
    # The articles of 22 and 23 January (the first round) are kept, dated, and flagged.
    assert len(page.problems) == 1
    assert page.problems[0].startswith(
        "2 item(s) dated more than a day from the night of 2017-01-29: kept with their date"
    )
    got = {u.uid: (u.at, u.text) for u in page.updates}
    expected = {
        f"articles:{a.guid}": (a.published, article_text(a.title, a.text))
        for a in sources_night.articles
    }
    assert got == expected
    assert all(u.at.tzinfo is night.timezone for u in page.updates)


def test_dates_shown_in_the_nights_time_zone(night: Night) -> None:
    """A UTC pubDate becomes Paris time, with Paris' offset."""
    page = parse_feed(
        rss("<item><guid>g</guid><pubDate>Sun, 29 Jan 2017 20:16:00 GMT</pubDate>"
            "<description>x</description></item>"),
        source="f", night=night, seen=SEEN,
    )  # fmt: skip
    assert page.updates[0].at.isoformat() == "2017-01-29T21:16:00+01:00"


def test_identity_falls_back_to_link_then_title(night: Night) -> None:
    """No guid: the link; no link: a digest of the title."""
    date = "<pubDate>Sun, 29 Jan 2017 21:00:00 +0100</pubDate>"
    page = parse_feed(
        rss(f"<item><link>http://x/a</link><title>A</title>{date}</item>",
            f"<item><title>Titre seul</title>{date}</item>"),
        source="f", night=night, seen=SEEN,
    )  # fmt: skip
    uids = [u.uid for u in page.updates]
    assert uids[0] == "f:http://x/a"
    assert uids[1].startswith("f:t-")


def test_title_above_html_body(night: Night) -> None:
    """Text is the title, a blank line, then the description's paragraphs."""
    page = parse_feed(
        rss("<item><guid>g</guid><title>Hamon l'emporte</title>"
            "<pubDate>Sun, 29 Jan 2017 21:00:00 +0100</pubDate>"
            "<description>&lt;p&gt;Un&lt;/p&gt;&lt;p&gt;Deux &amp;amp; trois&lt;/p&gt;"
            "</description>"
            "</item>"),
        source="f", night=night, seen=SEEN,
    )  # fmt: skip
    assert page.updates[0].text == "Hamon l'emporte\n\nUn\n\nDeux & trois"


def test_atom_content(night: Night) -> None:
    """Atom entries use id, published and content."""
    atom = (
        b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        b"<title>t</title><entry><id>urn:x:1</id><title>T</title>"
        b"<published>2017-01-29T21:00:00+01:00</published>"
        b'<content type="html">&lt;p&gt;Corps&lt;/p&gt;</content></entry></feed>'
    )
    (update,) = parse_feed(atom, source="f", night=night, seen=SEEN).updates
    assert (update.uid, update.text, update.at.hour) == ("f:urn:x:1", "T\n\nCorps", 21)


def test_broken_xml_still_gives_its_good_items(night: Night) -> None:
    """A truncated feed yields the items before the break; the break is reported."""
    broken = (
        rss(
            "<item><guid>ok</guid><title>Bon</title><pubDate>Sun, 29 Jan 2017 21:00:00 +0100"
            "</pubDate><description>Valide</description></item>"
        )[:-20]
        + b"<item><guid>bad</guid><title>Cass\xc3\xa9 <b>ici</title>"
    )
    page = parse_feed(broken, source="f", night=night, seen=SEEN)
    assert "f:ok" in [u.uid for u in page.updates]
    assert any("malformed" in problem for problem in page.problems)


def test_items_without_dates_are_dated_when_seen_and_reported(night: Night) -> None:
    """An undated item is kept, dated when the poll saw it, flagged in undated and problems."""
    page = parse_feed(
        rss("<item><guid>nodate</guid><title>x</title></item>"), source="f", night=night, seen=SEEN
    )
    assert [(u.uid, u.at) for u in page.updates] == [("f:nodate", SEEN)]
    assert page.undated == {"f:nodate"}
    assert page.problems == ["1 item(s) without a date it could read: dated when first seen"]


def test_long_guid_is_digested(night: Night) -> None:
    """A guid too long for a uid is replaced by its digest."""
    guid = "http://example.org/" + "a" * 300
    page = parse_feed(
        rss(f"<item><guid>{guid}</guid><pubDate>Sun, 29 Jan 2017 21:00:00 +0100</pubDate>"
            "<title>x</title></item>"),
        source="f", night=night, seen=SEEN,
    )  # fmt: skip
    assert page.updates[0].uid.startswith("f:h-")


def test_not_a_feed_at_all(night: Night) -> None:
    """Bytes that are no feed raise FeedParseError."""
    with pytest.raises(FeedParseError):
        parse_feed(b"\x00\x01binary junk <<<", source="f", night=night, seen=SEEN)


def test_wrong_declared_charset_does_not_crash(night: Night) -> None:
    """Latin-1 bytes declared UTF-8 give what feedparser can read, never an exception."""
    body = rss(
        "<item><guid>g</guid><pubDate>Sun, 29 Jan 2017 21:00:00 +0100</pubDate>"
        "<title>x</title></item>"
    ).replace(b"<title>x", "<title>Élection".encode("latin-1"))
    page = parse_feed(
        body, source="f", night=night, seen=SEEN, content_type="application/rss+xml; charset=utf-8"
    )
    assert len(page.updates) <= 1
