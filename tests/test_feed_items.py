"""Feed items as text, with keys that survive, and dates read in the night's time zone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from redis.asyncio import Redis

from ingest.extraction.entries import TextEntry
from ingest.model.night import Night
from ingest.model.update import Kind, Op, Update
from ingest.polling.fetch import Fetcher
from ingest.polling.poller import SourcePoller
from ingest.sources.entry_diff import SeenEntry
from ingest.sources.feed_parser import parse_feed
from ingest.sources.retitled_items import follow_retitled, follow_same_content, is_derived_uid
from ingest.sources.source_config import SourceConfig, SourceType
from ingest.store.health import read_all_health
from ingest.store.stream_store import StreamStore
from replay.night_fixture import NightFixture
from tests.plugins.ingest import serve_test_app

SEEN = datetime(2017, 1, 29, 20, 30, tzinfo=UTC)
DATE = "<pubDate>Sun, 29 Jan 2017 21:00:00 +0100</pubDate>"


@pytest.fixture(scope="module")
def night(sources_night: NightFixture) -> Night:
    """The night of 29 January 2017."""
    return sources_night.night


def rss(*items: str) -> bytes:
    """An RSS 2.0 document with these items (content:encoded declared)."""
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>t</title>'
        + "".join(items)
        + "</channel></rss>"
    ).encode()


def atom(content: str) -> bytes:
    """An Atom document with one entry holding ``content``."""
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        "<title>t</title><entry><id>urn:x:1</id><title>Photo du meeting</title>"
        f"<updated>2017-01-29T21:00:00+01:00</updated>{content}</entry></feed>"
    ).encode()


@pytest.mark.parametrize(
    "document",
    [
        rss(
            f"<item><guid>g</guid><title>Photo du meeting</title>{DATE}"
            '<content:encoded><![CDATA[<img src="x.png"/><br/><a href="u"></a>]]>'
            "</content:encoded></item>"
        ),
        atom('<content type="html">&lt;img src="x.png"/&gt;&lt;br/&gt;</content>'),
        atom(
            '<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">'
            '<img src="x.png"/><a href="u"/></div></content>'
        ),
    ],
    ids=["rss-content-encoded", "atom-html", "atom-xhtml"],
)
def test_an_item_whose_html_has_no_text_gives_its_title_never_markup(
    document: bytes, night: Night
) -> None:
    """Only img / a / br in the body: the text is the title, and no markup gets through."""
    page = parse_feed(document, source="f", night=night, seen=SEEN)
    assert [update.text for update in page.updates] == ["Photo du meeting"]


def test_a_title_typed_plain_that_holds_markup_is_read_as_html(night: Night) -> None:
    """A CDATA title (feedparser types it plain) with a tag in it gives its text only."""
    document = rss(f"<item><guid>g</guid>{DATE}<title><![CDATA[<img src=x> Hamon en tête]]>"
                   "</title></item>")  # fmt: skip
    page = parse_feed(document, source="f", night=night, seen=SEEN)
    assert [update.text for update in page.updates] == ["Hamon en tête"]


def test_an_untitled_item_of_markup_only_is_left_out_not_shown_as_markup(night: Night) -> None:
    """No title and a body of markup only: no text, so no update (and the reason said)."""
    document = rss(f'<item><guid>g</guid>{DATE}<content:encoded>&lt;img src="x"/&gt;'
                   "</content:encoded></item>")  # fmt: skip
    page = parse_feed(document, source="f", night=night, seen=SEEN)
    assert page.updates == []
    assert page.problems == ["item 'g': no text"]


@pytest.mark.parametrize(
    ("title", "description", "expected"),
    [
        ("Photo", "&amp;lt;img src=&quot;x.png&quot;/&amp;gt;", "Photo"),
        ("&amp;lt;b&amp;gt;Hamon&amp;lt;/b&amp;gt; gagne", "", "Hamon gagne"),
        (
            "Titre",
            "&amp;lt;p&amp;gt;Un&amp;lt;/p&amp;gt;&amp;lt;p&amp;gt;Deux&amp;lt;/p&amp;gt;",
            "Titre\n\nUn\n\nDeux",
        ),
        (
            "Titre",
            "&amp;amp;lt;a href=&quot;u&quot;&amp;amp;gt;lien&amp;amp;lt;/a&amp;amp;gt;",
            "Titre\n\nlien",
        ),
        ("Titre", "&amp;#60;iframe src=x&amp;#62;&amp;#60;/iframe&amp;#62;Texte", "Titre\n\nTexte"),
        (
            "Hamon &amp;lt;3 Valls",
            "a &amp;lt; b et c &amp;gt; d",
            "Hamon <3 Valls\n\na < b et c > d",
        ),
    ],
    ids=["img", "title-b", "paragraphs", "escaped-thrice", "numeric", "no-tag"],
)
def test_markup_escaped_once_too_often_is_read_as_markup_never_shown(
    night: Night, title: str, description: str, expected: str
) -> None:
    """A CMS that escapes its HTML twice (``&amp;lt;img ...&amp;gt;``): once read, the text
    still holds tags, which a reader would see as raw markup; they are read again (up to
    twice more). Text with a lone ``<`` or ``>`` that makes no tag is left as it is."""
    document = rss(f"<item><guid>g</guid>{DATE}<title>{title}</title>"
                   f"<description>{description}</description></item>")  # fmt: skip
    page = parse_feed(document, source="f", night=night, seen=SEEN)
    assert [update.text for update in page.updates] == [expected]


def untitled(description: str, date: str = DATE) -> str:
    """An item with neither guid, link nor title."""
    return f"<item>{date}<description>{description}</description></item>"


def test_untitled_items_with_the_same_text_are_both_kept(night: Night) -> None:
    """Same text at two dates, or twice at one date: each item its own uid, none dropped."""
    other = "<pubDate>Sun, 29 Jan 2017 21:05:00 +0100</pubDate>"
    page = parse_feed(
        rss(untitled("Hamon en tête", other), untitled("Hamon en tête"), untitled("Hamon en tête")),
        source="f", night=night, seen=SEEN,
    )  # fmt: skip
    uids = [update.uid for update in page.updates]
    assert uids == ["f:d-20170129T200500", "f:d-20170129T200000-2", "f:d-20170129T200000"]
    assert not any("twice" in problem for problem in page.problems)


def test_an_item_with_a_guid_never_numbers_those_without(night: Night) -> None:
    """Same title, one with a guid: the one without keeps the plain title key."""
    page = parse_feed(
        rss(f"<item><title>Même titre</title>{DATE}</item>",
            f"<item><guid>g</guid><title>Même titre</title>{DATE}</item>"),
        source="f", night=night, seen=SEEN,
    )  # fmt: skip
    (derived, own) = [update.uid for update in page.updates]
    assert own == "f:g"
    assert derived.startswith("f:t-")
    assert "-" not in derived.removeprefix("f:t-")


def test_an_untitled_item_edited_keeps_its_uid_and_a_new_one_on_top_renumbers_nothing(
    night: Night,
) -> None:
    """Its date is its identity: an edit keeps the uid, a newer item changes no older uid."""
    before = parse_feed(
        rss(untitled("Premier"), untitled("Second")), source="f", night=night, seen=SEEN
    )
    after = parse_feed(
        rss(untitled("Nouveau"), untitled("Premier, corrigé"), untitled("Second")),
        source="f", night=night, seen=SEEN,
    )  # fmt: skip
    assert [u.uid for u in before.updates] == ["f:d-20170129T200000-2", "f:d-20170129T200000"]
    assert [(u.uid, u.text) for u in after.updates[1:]] == [
        ("f:d-20170129T200000-2", "Premier, corrigé"),
        ("f:d-20170129T200000", "Second"),
    ]


@pytest.mark.parametrize(
    ("written", "hour_utc"),
    [
        ("<pubDate>Sun, 29 Jan 2017 21:00:00</pubDate>", 20),
        ("<pubDate>Sun, 29 Jan 2017 21:00:00 CET</pubDate>", 20),
        ("<pubDate>Sun, 29 Jan 2017 21:00:00 +0100</pubDate>", 20),
        ("<pubDate>Sun, 29 Jan 2017 21:00:00 GMT</pubDate>", 21),
        ("<dc:date>2017-01-29T21:00:00</dc:date>", 20),
        ("<dc:date>2017-01-29T21:00:00Z</dc:date>", 21),
    ],
)
def test_a_date_without_offset_is_a_wall_time_of_the_night(
    written: str, hour_utc: int, night: Night
) -> None:
    """No offset (or a zone feedparser does not know): the night's zone (Paris), not UTC."""
    document = rss(f"<item><guid>g</guid><title>x</title>{written}</item>").replace(
        b"<rss ", b'<rss xmlns:dc="http://purl.org/dc/elements/1.1/" '
    )
    (update,) = parse_feed(document, source="f", night=night, seen=SEEN).updates
    assert update.at.astimezone(UTC) == datetime(2017, 1, 29, hour_utc, tzinfo=UTC)


@pytest_asyncio.fixture
async def feed_server() -> AsyncIterator[tuple[dict[str, bytes], str]]:
    """A server of one feed (``/feed.xml``) whose bytes the test changes between polls."""
    served = {"feed": b""}

    async def feed(_: web.Request) -> web.Response:
        return web.Response(body=served["feed"], content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/feed.xml", feed)
    runner, base_url = await serve_test_app(app)
    try:
        yield served, base_url + "/feed.xml"
    finally:
        await runner.cleanup()


async def test_undated_items_are_dated_when_first_seen_and_never_edited_for_it(
    feed_server: tuple[dict[str, bytes], str],
    night: Night,
    redis_client: Redis,
    store: StreamStore,
) -> None:
    """An undated item is appended at its first sighting, kept at that time, and flagged."""
    served, url = feed_server
    served["feed"] = rss("<item><guid>a</guid><title>Sans date</title></item>")
    source = SourceConfig(name="f", type=SourceType.FEED, url=url, interval=0.05)
    async with aiohttp.ClientSession() as session:
        poller = SourcePoller(
            source, night=night, redis=redis_client, store=store, fetcher=Fetcher(session)
        )
        first = await poller.poll_once()
        again = await poller.poll_once()
        served["feed"] = rss(
            "<item><guid>b</guid><title>Autre</title></item>",
            "<item><guid>a</guid><title>Sans date, corrigé</title></item>",
        )
        edited = await poller.poll_once()
    assert (first.added, again.appended, edited.added, edited.edited) == (1, 0, 1, 1)
    history = (await store.history()).updates
    assert [(u.uid, u.op) for u in history] == [
        ("f:a", Op.ADD), ("f:b", Op.ADD), ("f:a", Op.EDIT),
    ]  # fmt: skip
    assert history[2].at == history[0].at == history[0].seen.astimezone(night.timezone)
    assert history[1].at > history[0].at
    # Flagged in the update itself: its at is when soiree first saw it.
    assert [u.undated for u in history] == [True, True, True]
    assert (await store.history()).updates[0].to_json()["undated"] is True
    health = (await read_all_health(redis_client, store.stream))["f"]
    assert "dated when first seen" in str(health["last_warning"])


async def test_an_item_that_loses_its_date_keeps_it_and_is_not_flagged(
    feed_server: tuple[dict[str, bytes], str],
    night: Night,
    redis_client: Redis,
    store: StreamStore,
) -> None:
    """Dated at first, then served without a date: it keeps the date it had, unflagged, and
    is no edit; one dated later than first seen takes its date and loses the flag (an edit)."""
    served, url = feed_server
    served["feed"] = rss(
        f"<item><guid>a</guid><title>Daté</title>{DATE}</item>",
        "<item><guid>b</guid><title>Daté plus tard</title></item>",
    )
    source = SourceConfig(name="f", type=SourceType.FEED, url=url, interval=0.05)
    async with aiohttp.ClientSession() as session:
        poller = SourcePoller(
            source, night=night, redis=redis_client, store=store, fetcher=Fetcher(session)
        )
        first = await poller.poll_once()
        served["feed"] = rss(
            "<item><guid>a</guid><title>Daté</title></item>",
            f"<item><guid>b</guid><title>Daté plus tard</title>{DATE}</item>",
        )
        second = await poller.poll_once()
    assert (first.added, second.appended, second.edited) == (2, 1, 1)
    history = (await store.history()).updates
    assert [(u.uid, u.op, u.undated) for u in history] == [
        ("f:a", Op.ADD, False), ("f:b", Op.ADD, True), ("f:b", Op.EDIT, False),
    ]  # fmt: skip
    assert history[2].at.isoformat() == "2017-01-29T21:00:00+01:00"


async def test_a_retitled_item_without_guid_is_an_edit_not_an_add_and_a_delete(
    feed_server: tuple[dict[str, bytes], str],
    night: Night,
    redis_client: Redis,
    store: StreamStore,
) -> None:
    """No guid, no link: keyed by its title. A corrected title is a new key, but the poll also
    lost the item of the old key at the same publication date: the same item, edited (before:
    an add of the new title, and a delete of the old one)."""
    served, url = feed_server
    other = "<pubDate>Sun, 29 Jan 2017 21:05:00 +0100</pubDate>"
    served["feed"] = rss(
        f"<item><title>Valls reconnaît sa défaite</title>{other}</item>",
        f"<item><title>Hamon en tête à 58 %</title>{DATE}</item>",
    )
    source = SourceConfig(name="f", type=SourceType.FEED, url=url, interval=0.05)
    async with aiohttp.ClientSession() as session:
        poller = SourcePoller(
            source, night=night, redis=redis_client, store=store, fetcher=Fetcher(session)
        )
        first = await poller.poll_once()
        served["feed"] = rss(
            f"<item><title>Valls reconnaît sa défaite</title>{other}</item>",
            f"<item><title>Hamon en tête à 58,7 %</title>{DATE}</item>",
        )
        edited = await poller.poll_once()
        again = await poller.poll_once()
        # Two new items at the date of the lost one: which is which is unknown, so nothing is
        # guessed: two adds, and the lost one left to the delete rule (kept here: it is not
        # newer than the oldest item shown).
        served["feed"] = rss(
            f"<item><title>Valls reconnaît sa défaite</title>{other}</item>",
            f"<item><title>Hamon en tête à 58,8 %</title>{DATE}</item>",
            f"<item><title>Participation en hausse</title>{DATE}</item>",
        )
        ambiguous = await poller.poll_once()
    assert (first.added, edited.added, edited.edited, edited.deleted) == (2, 0, 1, 0)
    assert again.appended == 0
    history = (await store.history()).updates
    hamon = history[1].uid
    assert [(u.uid, u.op, u.text) for u in history[:3]] == [
        (history[0].uid, Op.ADD, "Valls reconnaît sa défaite"),
        (hamon, Op.ADD, "Hamon en tête à 58 %"),
        (hamon, Op.EDIT, "Hamon en tête à 58,7 %"),
    ]
    assert (ambiguous.added, ambiguous.edited, ambiguous.deleted) == (2, 0, 0)


def test_only_one_new_and_one_gone_derived_key_of_a_date_are_paired() -> None:
    """Pure rule: a guid is never paired, an undated item never, nor two new items of a date."""
    at = datetime(2017, 1, 29, 21, tzinfo=UTC)
    new = TextEntry.of(source="f", key="t-0123456789abcdef", at=at, text="Nouveau titre")
    old = Update(
        uid="f:t-fedcba9876543210", at=at, source="f", kind=Kind.NEWS, text="Titre", seen=SEEN
    )
    known = {old.uid: SeenEntry.of(old)}
    (followed,) = follow_retitled([new], known)
    assert followed.uid == "f:t-fedcba9876543210"
    gone = {old.uid: SeenEntry.of(old.as_delete(seen=SEEN))}
    assert follow_retitled([new], gone) == [new]
    guid = replace(old, uid="f:guid-1")
    assert follow_retitled([new], {guid.uid: SeenEntry.of(guid)}) == [new]
    undated = TextEntry.of(source="f", key="b-0123456789abcdef", at=at, text="x", undated=True)
    assert follow_retitled([undated], known) == [undated]
    twin = TextEntry.of(source="f", key="t-0000000000000000", at=at, text="Autre")
    assert follow_retitled([new, twin], known) == [new, twin]
    assert is_derived_uid("f:d-20170129T200000-2", "f")
    assert not is_derived_uid("f:https://example.org/a", "f")


def test_same_content_under_a_new_uid_is_followed_only_when_unambiguous() -> None:
    """One lost entry, one new of its time and text: the old uid. Two of each: nothing."""
    at = datetime(2017, 1, 29, 21, tzinfo=UTC)
    old = [
        Update(uid=f"l:old{i}", at=at, source="l", kind=Kind.NEWS, text="Même", seen=SEEN)
        for i in range(2)
    ]
    new = [TextEntry.of(source="l", key=f"new{i}", at=at, text="Même") for i in range(2)]
    one = {old[0].uid: SeenEntry.of(old[0])}
    assert [e.uid for e in follow_same_content(new[:1], one)] == ["l:old0"]
    both = {u.uid: SeenEntry.of(u) for u in old}
    assert follow_same_content(new, both) == new
    assert follow_same_content(new[:1], both) == new[:1]
    other = TextEntry.of(source="l", key="new0", at=at, text="Autre")
    assert follow_same_content([other], one) == [other]
