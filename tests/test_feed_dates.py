"""Feed dates read in the night's time zone, and dates far from the night flagged, not shifted.

Real feed text (RSS 2.0 and Atom as sites publish them), a summer night (UTC+2) whose zone a
UTC reading would get wrong by two hours.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from redis.asyncio import Redis

from ingest.model.night_file import night_from_text
from ingest.polling.fetch import Fetcher
from ingest.polling.poller import SourcePoller
from ingest.sources.feed_parser import FeedPage, parse_feed
from ingest.sources.source_config import SourceConfig, SourceType
from ingest.store.health import read_all_health
from ingest.store.stream_store import StreamStore
from tests.plugins.ingest import serve_test_app

NIGHT = night_from_text(
    'date = 2017-05-07\nround = 2\ntimezone = "Europe/Paris"\n'
    '[[candidates]]\nname = "Emmanuel Macron"\n[[candidates]]\nname = "Marine Le Pen"\n'
)
SEEN = datetime(2017, 5, 7, 18, 30, tzinfo=UTC)

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Politique - Le Quotidien</title>
<link>https://quotidien.example/politique</link><description>Le fil</description>
<item><title>Présidentielle : les bureaux de vote ferment à 20 heures</title>
<guid isPermaLink="false">art-1</guid><pubDate>Sun, 07 May 2017 19:45:00</pubDate>
<description>&lt;p&gt;Les derniers bureaux ferment dans les grandes villes.&lt;/p&gt;</description>
</item>
<item><title>Participation à 17 heures : 65,30 %</title>
<guid isPermaLink="false">art-2</guid><pubDate>Sun, 07 May 2017 17:20:00 +0200</pubDate>
<description>La participation s'établit à 65,30 % à 17 heures.</description></item>
<item><title>Il y a cinq ans, le second tour de 2012</title>
<guid isPermaLink="false">art-3</guid><pubDate>Sun, 06 May 2012 20:00:00</pubDate>
<description>Retour sur la soirée du 6 mai 2012.</description></item>
</channel></rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Le direct</title><id>urn:direct</id>
<updated>2017-05-07T21:00:00</updated>
<entry><id>urn:e1</id><title>Emmanuel Macron élu président</title>
<published>2017-05-07T20:00:00</published><updated>2017-05-07T20:00:00</updated>
<content type="html">&lt;p&gt;Premières estimations à 20 heures.&lt;/p&gt;</content></entry>
</feed>
"""


def _at(uid: str, page: FeedPage) -> str:
    """The ``at`` of the update ``uid`` of ``page``, as ISO text."""
    return {update.uid: update for update in page.updates}[uid].at.isoformat()


def test_zone_less_rss_dates_are_wall_times_of_the_night() -> None:
    """`Sun, 07 May 2017 19:45:00` (no zone) is 19:45 in Paris, +02:00, not 21:45."""
    page = parse_feed(RSS.encode(), source="quotidien", night=NIGHT, seen=SEEN)
    assert _at("quotidien:art-1", page) == "2017-05-07T19:45:00+02:00"
    assert _at("quotidien:art-2", page) == "2017-05-07T17:20:00+02:00"  # its own offset


def test_zone_less_atom_dates_are_wall_times_of_the_night() -> None:
    """`2017-05-07T20:00:00` in Atom: 20:00 in Paris."""
    page = parse_feed(ATOM.encode(), source="direct", night=NIGHT, seen=SEEN)
    assert _at("direct:urn:e1", page) == "2017-05-07T20:00:00+02:00"
    assert page.problems == []


def test_an_item_years_away_is_kept_dated_and_flagged() -> None:
    """The 2012 item keeps its own date, never shifted; the parse says it is far off."""
    page = parse_feed(RSS.encode(), source="quotidien", night=NIGHT, seen=SEEN)
    assert _at("quotidien:art-3", page) == "2012-05-06T20:00:00+02:00"
    assert len(page.updates) == 3
    assert page.problems == [
        "1 item(s) dated more than a day from the night of 2017-05-07: kept with their date"
        " (first: 'quotidien:art-3', 2012-05-06T20:00:00+02:00)"
    ]


@pytest_asyncio.fixture
async def feed_url() -> AsyncIterator[str]:
    """A real HTTP server of the RSS above."""

    async def feed(_: web.Request) -> web.Response:
        return web.Response(body=RSS.encode(), content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/feed.xml", feed)
    runner, base_url = await serve_test_app(app)
    try:
        yield base_url + "/feed.xml"
    finally:
        await runner.cleanup()


async def test_a_far_dated_item_is_in_the_sources_health(
    feed_url: str, redis_client: Redis, store: StreamStore
) -> None:
    """Polled for real: all three items are in the stream, and the health's warning says so."""
    source = SourceConfig(name="quotidien", type=SourceType.FEED, url=feed_url, interval=1)
    async with aiohttp.ClientSession() as session:
        poller = SourcePoller(
            source, night=NIGHT, redis=redis_client, store=store, fetcher=Fetcher(session)
        )
        assert (await poller.poll_once()).added == 3
    by_uid = {update.uid: update for update in (await store.history()).updates}
    assert by_uid["quotidien:art-3"].at.isoformat() == "2012-05-06T20:00:00+02:00"
    health = (await read_all_health(redis_client, store.stream))["quotidien"]
    assert "1 item(s) dated more than a day from the night of 2017-05-07" in str(
        health["last_warning"]
    )


_OFFSET = re.compile(r"[+-]\d{2}:\d{2}$")


@pytest.mark.parametrize(
    ("tag", "written"),
    [
        ("pubDate", "Fri, 31 Dec 9999 23:59:59 -0100"),
        ("pubDate", "Mon, 01 Jan 0001 00:00:00 +0100"),
        ("pubDate", "Sat, 01 Jan 1853 12:00:00"),
        ("dc:date", "9999-12-31T23:59:59-01:00"),
        ("dc:date", "0001-01-01T00:00:00+01:00"),
        ("dc:date", "0001-01-01T00:00:00"),
    ],
)
def test_a_date_no_calendar_reads_costs_only_its_own_date(tag: str, written: str) -> None:
    """A date past year 9999 once in UTC, before 1970 (the zone's old local mean time, an
    offset in seconds no update may carry) is no date it can read: the item is dated when
    first seen, and the feed's other items are kept (before: the whole feed failed)."""
    document = (
        '<?xml version="1.0"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel><title>t</title><item><guid>odd</guid><title>Daté ailleurs</title>"
        f"<{tag}>{written}</{tag}></item><item><guid>ok</guid><title>Daté</title>"
        "<pubDate>Sun, 07 May 2017 19:45:00 +0200</pubDate></item></channel></rss>"
    ).encode()
    page = parse_feed(document, source="f", night=NIGHT, seen=SEEN)
    assert [update.uid for update in page.updates] == ["f:odd", "f:ok"]
    assert _at("f:odd", page) == SEEN.astimezone(NIGHT.timezone).isoformat()
    assert page.undated == {"f:odd"}
    assert all(_OFFSET.search(update.at.isoformat()) for update in page.updates)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("dimanche 7 mai 2017 19:45", "2017-05-07T19:45:00+02:00"),
        ("Dimanche 7 mai 2017 à 19h45", "2017-05-07T19:45:00+02:00"),
        ("7 mai 2017, 19 h 45", "2017-05-07T19:45:00+02:00"),
        ("1er mai 2017 08:05:30", "2017-05-01T08:05:30+02:00"),
        ("7 MAI 2017", "2017-05-07T00:00:00+02:00"),
        ("29 janvier 2017 21h00", "2017-01-29T21:00:00+01:00"),
        ("3 décembre 2016 à 9h00", "2016-12-03T09:00:00+01:00"),
        ("3 aout 2016 à 9h00", "2016-08-03T09:00:00+02:00"),
    ],
)
def test_a_date_written_in_french_is_a_wall_time_of_the_night(written: str, expected: str) -> None:
    """French newsrooms' feeds write `dimanche 7 mai 2017 à 19h45`: no reader of RFC 822 or
    ISO 8601 reads it (before: the item was dated when first seen); it is a wall time of the
    night's zone, like any date without an offset."""
    document = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><guid>g</guid>'
        f"<title>Titre</title><pubDate>{written}</pubDate></item></channel></rss>"
    ).encode()
    page = parse_feed(document, source="f", night=NIGHT, seen=SEEN)
    assert _at("f:g", page) == expected
    assert page.undated == frozenset()


@pytest.mark.parametrize("written", ["31 février 2017 10h00", "7 mai 2017 à 25h00", "7 mai"])
def test_a_french_date_that_is_no_date_leaves_the_item_undated(written: str) -> None:
    """No such day, no such hour, no year: no date it could read, dated when first seen."""
    document = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><guid>g</guid>'
        f"<title>Titre</title><pubDate>{written}</pubDate></item></channel></rss>"
    ).encode()
    assert parse_feed(document, source="f", night=NIGHT, seen=SEEN).undated == {"f:g"}
