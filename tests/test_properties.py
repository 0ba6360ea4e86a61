"""Property tests (hypothesis): whatever a source sends, parsing and the update model hold.

- Parsers never raise on arbitrary input, except the one error their contract names
  (``FeedParseError``, ``ResultsParseError``): a liveblog page of any HTML, or of any bytes in
  any declared charset; a feed of any bytes; a results document of any JSON.
- Every update they give satisfies the model: plain text, shares and percentages within 0-100,
  counts non-negative, a range's low under its high, and an exact JSON round trip.
- The update model: any valid update survives its JSON text unchanged (digest included);
  ``Update.from_json`` of any JSON raises nothing but ``UpdateError``; cleaning text is
  idempotent.
- Entry diffing (:func:`ingest.sources.entry_diff.diff_entries`): applying the diff to the previous
  state gives what the poll shows; nothing older than the oldest entry shown is deleted; a
  second diff against the new state is empty.

Example counts stay modest (``max_examples`` 100-200, no deadline): the suite stays fast.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ingest.extraction.entries import update_from_text
from ingest.model.night import Night
from ingest.model.text_cleaning import clean_text
from ingest.model.update import Figures, Kind, Op, Previous, Update, UpdateError
from ingest.sources.entry_diff import SeenEntry, diff_entries
from ingest.sources.feed_parser import FeedParseError, parse_feed
from ingest.sources.html_text import decode_html
from ingest.sources.liveblog_parser import parse_liveblog
from ingest.sources.results_parser import ResultsParseError, parse_results
from replay.fixtures import find_night

NIGHT: Final[Night] = find_night("2017-01-29").night
SEEN: Final = datetime(2026, 11, 22, 2, 10, tzinfo=UTC)
PARIS: Final = timezone(timedelta(hours=1))
CANDIDATES: Final = [candidate.name for candidate in NIGHT.candidates]

FAST: Final = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


# -- what every update must satisfy ---------------------------------------------------------------


def _valid_figures(figures: Figures) -> None:
    assert figures.scope.strip()
    for share in figures.shares.values():
        assert 0 <= share <= 100
    for name in ("counted_pct", "stations_pct"):
        value = getattr(figures, name)
        assert value is None or 0 <= value <= 100, name
    for name in ("voters", "voters_low", "voters_high", "stations"):
        value = getattr(figures, name)
        assert value is None or value >= 0, name
    if figures.voters_low is not None and figures.voters_high is not None:
        assert figures.voters_low <= figures.voters_high
    assert figures.change_pct is None or math.isfinite(figures.change_pct)
    if figures.previous is not None:
        previous = figures.previous
        assert previous.voters is None or previous.voters >= 0
        assert previous.stations_pct is None or 0 <= previous.stations_pct <= 100


def assert_valid_update(update: Update) -> None:
    """``update`` satisfies the model, and its JSON text reads back to the very same update."""
    assert update.uid
    assert update.round in (None, 1, 2)
    assert update.text == clean_text(update.text)  # plain text: nothing left to clean
    if update.figures is not None:
        _valid_figures(update.figures)
    if update.speaker is not None:
        assert update.speaker.strip()
        assert "\n" not in update.speaker
    back = Update.from_json_text(update.to_json_text())
    assert back == update
    assert back.content_digest() == update.content_digest()


# -- liveblog pages: any HTML, any bytes -----------------------------------------------------------

HTML_FRAGMENTS: Final = [
    "<p>", "</p>", "<strong>", "</strong>", "<b>", "<br>", "<div class='live'>", "</div>",
    "<article class='entry' id='e1'>", "<article class=entry id=e2>", "</article>", "<time>",
    "</time>", "<time datetime='2017-01-29T20:41:00+01:00'>", "<div class='body'>", "<h2>",
    "</h2>", "<script>alert(1)</script>", "<style>p{}</style>", "<!--", "-->", "<![CDATA[",
    "]]>", "<table><tr><td>", "<li>", "&amp;", "&nbsp;", "&#0;", "&#x1b;[31m", "&#xD800;",
    "&unknown;", "\x1b[2J", "\x00", "\u202e", "\r\n", "\n\n", " ", "20h41:", "20H41 :",
    "21h05 -", "00h15:", "23h59:", "99h99:", "19h00", "29/01 21:16", "58,65%", "41,35 %",
    "à 60% du dépouillement", "1.306.852 votants", "Entre 1,7 et 2 millions", "Benoît Hamon",
    "Manuel Valls", "Valls :", '"', "«", "»", "dans la Loire", "En Aveyron", "OpinionWay",
    "participation", "contre 1 million", "sur 70%", "100000000000000000000000%",
    "-5 %", "9" * 40,
]  # fmt: skip
html_pages = st.lists(
    st.one_of(st.sampled_from(HTML_FRAGMENTS), st.text(max_size=12)), max_size=60
).map("".join)


@FAST
@given(page=html_pages, selectors=st.booleans())
def test_a_liveblog_page_of_any_html_gives_valid_updates(page: str, selectors: bool) -> None:
    """Any HTML, with the default format or with selectors, gives valid updates, never raises."""
    if selectors:
        parsed = parse_liveblog(
            page, source="live", night=NIGHT, seen=SEEN,
            entry="article.entry", time_selector="time", body=".body",
        )  # fmt: skip
    else:
        parsed = parse_liveblog(page, source="live", night=NIGHT, seen=SEEN)
    uids = [update.uid for update in parsed.updates]
    assert len(uids) == len(set(uids))
    for update in parsed.updates:
        assert_valid_update(update)
        assert update.source == "live"


CHARSETS: Final = [
    "utf-8", "UTF-8", "latin-1", "iso-8859-15", "windows-1252", "utf-16", "utf-32", "utf-7",
    "shift_jis", "klingon", "", "idna", "punycode", "undefined", "base64", "rot13", "uu",
    "unicode_escape", "hex", "zlib", "utf-8-sig", "ascii",
]  # fmt: skip


@FAST
@given(
    body=st.one_of(
        st.binary(max_size=400),
        html_pages.map(lambda page: page.encode("utf-8", "surrogatepass")),
    ),
    charset=st.one_of(st.none(), st.sampled_from(CHARSETS), st.text(max_size=10)),
    meta=st.one_of(st.just(""), st.sampled_from(CHARSETS)),
)
# Found by chance: unicode_escape warns (DeprecationWarning) on an invalid escape.
@example(body=b"\\\x00", charset="unicode_escape", meta="")
@example(body=b"\\\x00", charset=None, meta="unicode_escape")
@example(body=b"+AGEAYgBj-", charset="utf-7", meta="")
def test_a_liveblog_page_of_any_bytes_in_any_charset_gives_valid_updates(
    body: bytes, charset: str | None, meta: str
) -> None:
    """Any bytes, any declared charset (header or <meta>), decode and parse without raising."""
    if meta:
        body = f'<meta charset="{meta}">'.encode() + body
    page = decode_html(body, charset)
    assert isinstance(page, str)
    for update in parse_liveblog(page, source="live", night=NIGHT, seen=SEEN).updates:
        assert_valid_update(update)


# -- feeds: any bytes --------------------------------------------------------------------------

FEED_FRAGMENTS: Final = [
    '<?xml version="1.0" encoding="utf-8"?>', "<rss version='2.0'>", "</rss>", "<channel>",
    "</channel>", "<item>", "</item>", "<title>", "</title>", "<guid>", "</guid>",
    "<guid isPermaLink='false'>", "<link>http://127.0.0.1/a</link>", "<description>",
    "</description>", "<pubDate>Sun, 29 Jan 2017 21:30:00 +0100</pubDate>",
    "<pubDate>not a date</pubDate>", "<pubDate>Sun, 29 Jan 9999 99:99:99 +9999</pubDate>",
    "<feed xmlns='http://www.w3.org/2005/Atom'>", "</feed>", "<entry>", "</entry>",
    "<id>urn:x</id>", "<updated>2017-01-29T21:30:00+01:00</updated>", "<content type='html'>",
    "</content>", "&lt;script&gt;", "&amp;", "<![CDATA[<b>Benoît</b> 58,65%]]>", "\x00",
    "\x1b[31m", "Benoît Hamon obtient 58,65 %", "1.306.852 votants", " ", "\n",
]  # fmt: skip
feeds = st.lists(st.one_of(st.sampled_from(FEED_FRAGMENTS), st.text(max_size=12)), max_size=40).map(
    lambda parts: "".join(parts).encode("utf-8", "surrogatepass")
)


@FAST
@given(
    data=st.one_of(st.binary(max_size=300), feeds),
    content_type=st.one_of(
        st.none(), st.sampled_from(["application/rss+xml; charset=utf-8", "text/xml; charset=x"])
    ),
)
# Found by chance: an unreadable date made feedparser's deprecated updated_parsed fallback warn.
@example(
    data=b"<rss version='2.0'><channel><item><title>t</title><description>d</description>"
    b"<pubDate>not a date</pubDate></item></channel></rss>",
    content_type=None,
)
def test_a_feed_of_any_bytes_gives_valid_updates_or_says_it_is_no_feed(
    data: bytes, content_type: str | None
) -> None:
    """Any bytes give a FeedParseError or valid updates, nothing else."""
    try:
        parsed = parse_feed(data, source="feed", night=NIGHT, seen=SEEN, content_type=content_type)
    except FeedParseError:
        return
    uids = [update.uid for update in parsed.updates]
    assert len(uids) == len(set(uids))
    for update in parsed.updates:
        assert_valid_update(update)


# -- results: any JSON ---------------------------------------------------------------------------

# Any JSON value, with the numbers that break naive code: huge integers, NaN and infinities
# (Python's json reads them), negative zero.
json_numbers = st.one_of(
    st.integers(),
    st.integers(min_value=10**300, max_value=10**400),
    st.integers(max_value=-(10**300), min_value=-(10**400)),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 2, 58.65, 100, 100.0000001, -0.0, -1]),
)
json_leaves = st.one_of(st.none(), st.booleans(), json_numbers, st.text(max_size=20))


def _json_containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Lists and objects of ``inner`` (a named function: hypothesis misreads this lambda)."""
    return st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    )


json_values = st.recursive(json_leaves, _json_containers, max_leaves=20)
figure_names = st.sampled_from(
    ["scope", "shares", "counted_pct", "voters", "voters_low", "voters_high", "stations",
     "stations_pct", "as_of", "change_pct", "previous", "bogus"]
)  # fmt: skip
figures_json = st.dictionaries(
    figure_names,
    st.one_of(
        json_numbers,
        json_values,
        st.dictionaries(st.sampled_from([*CANDIDATES, "", " ", "\x1b"]), json_numbers, max_size=3),
        st.fixed_dictionaries({}, optional={"voters": json_numbers, "stations_pct": json_numbers}),
        st.sampled_from(["national", "Loire", "20:00", "25:61", ""]),
    ),
    max_size=6,
)
# A checkpoint as a results endpoint would write it (so that the figures get parsed), and
# anything at all in its place.
plausible_checkpoint = st.fixed_dictionaries(
    {
        "id": st.sampled_from(["c1", "c2", "c3"]),
        "kind": st.sampled_from(["count", "turnout", "estimate"]),
        "text": st.sampled_from(["Résultats partiels", "Participation à 17h"]),
        "published": st.sampled_from(["2017-01-29T20:41:00+01:00", "2017-01-29T17:00:00Z"]),
        "figures": figures_json,
    },
    optional={"round": st.sampled_from([1, 2])},
)
any_checkpoint = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.sampled_from(["c1", "bad id", ""]), json_values),
        "kind": st.one_of(st.sampled_from(["count", "nope"]), json_values),
        "text": st.one_of(st.sampled_from(["Résultats", "", " ", "\x1b[2J"]), json_values),
        "published": st.one_of(
            st.sampled_from(["2017-01-29T20:41:00", "9999-12-31T23:59:59+14:00", "not a date"]),
            json_values,
        ),
        "round": st.one_of(st.sampled_from([1, 2, 3, True]), json_values),
        "figures": st.one_of(figures_json, json_values),
    },
)
results_documents = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"checkpoints": st.lists(plausible_checkpoint | any_checkpoint, max_size=4)},
        optional={"night": st.one_of(st.just("2017-01-29"), json_values), "latest": json_values},
    ),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=results_documents, as_bytes=st.booleans())
def test_a_results_document_of_any_json_gives_valid_updates_or_a_parse_error(
    document: Any, as_bytes: bool
) -> None:
    """Any JSON (huge numbers, NaN included) gives a ResultsParseError or valid updates."""
    text = json.dumps(document, allow_nan=True)
    data: bytes | str = text.encode() if as_bytes else text
    try:
        parsed = parse_results(data, source="results", night=NIGHT, seen=SEEN)
    except ResultsParseError:
        return
    for update in parsed.updates:
        assert_valid_update(update)


@FAST
@given(data=st.binary(max_size=200))
def test_results_of_any_bytes_never_raise_anything_else(data: bytes) -> None:
    """Bytes that are not JSON at all are a ResultsParseError; JSON gives one or valid updates."""
    try:
        json.loads(data)
    except ValueError:  # UnicodeDecodeError included
        with pytest.raises(ResultsParseError, match="not JSON"):
            parse_results(data, source="results", night=NIGHT, seen=SEEN)
        return
    with contextlib.suppress(ResultsParseError):
        for update in parse_results(data, source="results", night=NIGHT, seen=SEEN).updates:
            assert_valid_update(update)


# -- the update model ---------------------------------------------------------------------------

percentages = st.floats(min_value=0, max_value=100, allow_nan=False)
counts = st.integers(min_value=0, max_value=10**12)
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
instants = st.builds(
    lambda moment, zone: moment.replace(tzinfo=UTC).astimezone(zone),
    st.datetimes(
        min_value=datetime(1990, 1, 1),  # noqa: DTZ001 - hypothesis takes naive bounds
        max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    ),
    offsets,
)
names = (
    st.text(min_size=1, max_size=40)
    .map(lambda name: clean_text(name, max_length=200))
    .filter(lambda name: bool(name) and "\n" not in name)
)


@st.composite
def figures(draw: st.DrawFn) -> Figures:
    """Any valid figures."""
    low = draw(st.none() | counts)
    high = None if low is None else draw(st.none() | st.integers(min_value=low, max_value=10**13))
    return Figures(
        scope=draw(st.sampled_from(["national", "Loire", "Aveyron"]) | names),
        shares=draw(st.dictionaries(st.sampled_from(CANDIDATES) | names, percentages, max_size=4)),
        counted_pct=draw(st.none() | percentages),
        voters=draw(st.none() | counts),
        voters_low=low,
        voters_high=high,
        stations=draw(st.none() | counts),
        stations_pct=draw(st.none() | percentages),
        as_of=draw(st.none() | st.from_regex(r"[0-2][0-9]:[0-5][0-9]", fullmatch=True)),
        change_pct=draw(st.none() | st.floats(allow_nan=False, allow_infinity=False)),
        previous=draw(
            st.none()
            | st.builds(
                Previous,
                voters=st.none() | counts,
                stations_pct=st.none() | percentages,
                round=st.none() | st.sampled_from([1, 2]),
            )
        ),
    )


@st.composite
def updates(draw: st.DrawFn) -> Update:
    """Any valid update, as read back from a stream (id and op included, or not)."""
    stream_id = draw(st.none() | st.tuples(counts, counts).map(lambda pair: f"{pair[0]}-{pair[1]}"))
    return Update(
        uid=draw(st.text(min_size=1, max_size=200)),
        at=draw(instants),
        source=draw(st.sampled_from(["liveblog", "articles", "results"]) | names),
        kind=draw(st.sampled_from(list(Kind))),
        text=clean_text(draw(st.text(max_size=300))),
        seen=draw(instants),
        op=draw(st.sampled_from(list(Op))),
        speaker=draw(st.none() | names),
        figures=draw(st.none() | figures()),
        round=draw(st.none() | st.sampled_from([1, 2])),
        id=stream_id,
    )


@settings(max_examples=200, deadline=None)
@given(update=updates())
def test_any_valid_update_round_trips_through_json_exactly(update: Update) -> None:
    """Every field survives the JSON text (and its digest with it); figures stay in bounds."""
    assert_valid_update(update)
    assert json.loads(update.to_json_text()) == update.to_json()


@settings(max_examples=200, deadline=None)
@given(
    update=updates(),
    field=st.sampled_from(
        ["id", "uid", "op", "at", "seen", "source", "kind", "text", "speaker", "figures", "round"]
    ),
    value=st.one_of(json_values, figures_json),
)
def test_from_json_raises_only_update_error_whatever_a_field_holds(
    update: Update, field: str, value: Any
) -> None:
    """A valid update's JSON with any one field set to any JSON value: UpdateError or valid."""
    data = update.to_json()
    data[field] = value
    try:
        parsed = Update.from_json(json.loads(json.dumps(data, allow_nan=True)))
    except UpdateError:
        return
    assert_valid_update(parsed)


@FAST
@given(document=json_values | updates().map(lambda update: json.loads(update.to_json_text())))
def test_from_json_of_any_json_raises_only_update_error(document: Any) -> None:
    """Any JSON value is an update or an UpdateError (and an update's own JSON is the update)."""
    try:
        parsed = Update.from_json(document)
    except UpdateError:
        return
    assert_valid_update(parsed)
    assert json.loads(parsed.to_json_text()) == document


@FAST
@given(raw=st.text())
def test_cleaning_text_is_idempotent(raw: str) -> None:
    """Clean text stays as it is when cleaned again (what from_json relies on)."""
    once = clean_text(raw)
    assert clean_text(once) == once
    assert clean_text(raw, max_length=50) == clean_text(
        clean_text(raw, max_length=50), max_length=50
    )


@FAST
@given(text=html_pages, at=instants)
def test_an_entry_of_any_text_is_a_valid_update(text: str, at: datetime) -> None:
    """Any entry text (French or not, numbers or not) makes a valid update."""
    assert_valid_update(
        update_from_text(source="live", key="k", at=at, text=text, night=NIGHT, seen=SEEN)
    )


# -- entry diffing -------------------------------------------------------------------------------


def _entry(key: int, minute: int, version: int) -> Update:
    return Update(
        uid=f"live:{key}",
        at=datetime(2017, 1, 29, 20, 0, tzinfo=PARIS) + timedelta(minutes=minute),
        source="live",
        kind=Kind.NEWS,
        text=f"entrée {key}, version {version}",
        seen=SEEN,
    )


entries = st.builds(
    _entry,
    key=st.integers(min_value=0, max_value=12),
    minute=st.integers(min_value=0, max_value=30),
    version=st.integers(min_value=0, max_value=2),
)
previous_states = st.dictionaries(
    st.integers(min_value=0, max_value=12),
    st.tuples(st.integers(0, 30), st.integers(0, 2), st.booleans()),
    max_size=10,
).map(
    lambda raw: {
        f"live:{key}": SeenEntry.of(
            _entry(key, minute, version).as_delete(seen=SEEN)
            if deleted
            else _entry(key, minute, version)
        )
        for key, (minute, version, deleted) in raw.items()
    }
)


def _apply(
    previous: Mapping[str, SeenEntry], new: Sequence[Update], gone: Sequence[Update]
) -> dict[str, SeenEntry]:
    """The state after a diff, as the poller writes it."""
    state = dict(previous)
    state.update({update.uid: SeenEntry.of(update) for update in new})
    state.update({update.uid: SeenEntry.of(update.as_delete(seen=SEEN)) for update in gone})
    return state


@settings(max_examples=200, deadline=None)
@given(previous=previous_states, current=st.lists(entries, max_size=10))
def test_applying_a_diff_gives_what_the_poll_shows_and_deletes_only_what_it_may(
    previous: dict[str, SeenEntry], current: list[Update]
) -> None:
    """diff_entries: apply(previous, diff) shows the poll; deletes obey the oldest-shown rule."""
    diff = diff_entries(previous, current)
    shown: dict[str, Update] = {}
    for update in current:
        shown.setdefault(update.uid, update)  # a uid twice: the first counts
    after = _apply(previous, diff.new_or_changed, diff.deleted)
    # Every entry shown is in the state, live, with the content shown.
    for uid, update in shown.items():
        assert not after[uid].deleted
        assert after[uid].digest == update.content_digest()
    # New or changed: exactly the entries shown that were unknown, deleted, or different.
    assert [u.uid for u in diff.new_or_changed] == [
        uid
        for uid, update in shown.items()
        if uid not in previous
        or previous[uid].deleted
        or previous[uid].digest != update.content_digest()
    ]
    floor = min((update.at for update in shown.values()), default=None)
    deleted = {update.uid for update in diff.deleted}
    for uid, seen in previous.items():
        missing_and_live = uid not in shown and not seen.deleted
        if floor is not None and missing_and_live and seen.update.at > floor:
            assert uid in deleted  # gone from the middle of what the page covers
        else:
            assert uid not in deleted  # shown, already deleted, or fell off the end
    assert [u.at for u in diff.deleted] == sorted(u.at for u in diff.deleted)
    # Nothing more to do for the same poll.
    assert diff_entries(after, current).empty
