"""Liveblog markup: times in attributes, entries of sibling elements, their checks and keys."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.model.night import Night
from ingest.model.text_cleaning import clean_text
from ingest.sources.config import ingest_config_from_mapping
from ingest.sources.entry_diff import SeenEntry, diff_entries
from ingest.sources.liveblog_markup import EntryMode, TimeSpec, read_time_spec
from ingest.sources.liveblog_parser import LiveblogPage, parse_liveblog
from ingest.sources.source_config import SourceConfigError
from replay.night_fixture import NightFixture

SEEN = datetime(2026, 1, 1, tzinfo=UTC)
LIVEBLOG = {"name": "live", "type": "liveblog", "url": "http://127.0.0.1:1/", "interval": 5}
SIBLINGS: dict[str, Any] = {"entry_mode": EntryMode.SIBLINGS, "container": "dl", "body": "dd"}


@pytest.fixture(scope="module")
def night(sources_night: NightFixture) -> Night:
    """The night of 29 January 2017 (Europe/Paris)."""
    return sources_night.night


def parse(page: str, night: Night, **keys: Any) -> LiveblogPage:
    """``page`` parsed as source ``s``."""
    return parse_liveblog(page, source="s", night=night, seen=SEEN, **keys)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("time", TimeSpec("time", None)),
        ("@data-time", TimeSpec(None, "data-time")),
        ("@DateTime", TimeSpec(None, "datetime")),
        ("span.t@title", TimeSpec("span.t", "title")),
        ("header time @ datetime", TimeSpec("header time", "datetime")),
        ('a[href*="@"]', TimeSpec('a[href*="@"]', None)),
        ('a[href*="@"]@data-ts', TimeSpec('a[href*="@"]', "data-ts")),
    ],
)
def test_time_spec_syntax(written: str, expected: TimeSpec) -> None:
    """A selector, an @attribute of the entry, or both; '@' inside brackets stays CSS."""
    assert read_time_spec(written) == expected


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"entry": "li", "time": "@"}, "after '@' comes an attribute name"),
        ({"entry": "li", "time": "@data time"}, "after '@' comes an attribute name"),
        ({"entry": "li", "time": "span[[@title"}, "not a valid CSS selector"),
        ({"entry": "li", "time": 5}, "time must be a string"),
        ({"entry": "li", "entry_mode": "pairs"}, "entry_mode must be elements or siblings"),
        ({"entry": "li", "container": "ul"}, 'container is for entry_mode = "siblings"'),
        ({"entry_mode": "siblings", "time": "dt"}, "needs container and time"),
        ({"entry_mode": "siblings", "container": "dl"}, "needs container and time"),
        ({"entry_mode": "siblings", "container": "dl[", "time": "dt"}, "container: not a valid"),
        ({"entry_mode": "siblings", "container": "dl", "time": "@id"}, "must select the head"),
        ({"entry_mode": "siblings", "container": "dl", "time": "dt", "entry": "dt"}, "no entry"),
        ({"time": "@data-time"}, "need an entry selector"),
    ],
)
def test_bad_markup_keys_are_refused(keys: dict[str, Any], message: str) -> None:
    """Each bad markup key is an error naming the source, never a surprise at poll time."""
    with pytest.raises(SourceConfigError, match=r"^f: source 'live': ") as caught:
        ingest_config_from_mapping({"source": [{**LIVEBLOG, **keys}]}, origin="f")
    assert message in str(caught.value)


def test_siblings_keys_are_loaded() -> None:
    """A siblings source keeps its mode, container, head and body selectors."""
    keys = {"entry_mode": "siblings", "container": "dl.fil", "time": "dt@data-t", "body": "dd"}
    (source,) = ingest_config_from_mapping({"source": [{**LIVEBLOG, **keys}]}).sources
    assert (source.entry_mode, source.container, source.time, source.body) == (
        EntryMode.SIBLINGS,
        "dl.fil",
        "dt@data-t",
        "dd",
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("19h45", (29, 19, 45)),
        ("19:45", (29, 19, 45)),
        ("19 h 45", (29, 19, 45)),
        ("19H45", (29, 19, 45)),
        ("01h10", (30, 1, 10)),
        ("29/01 21:16", (29, 21, 16)),
        ("2017-01-29T19:45:00+01:00", (29, 19, 45)),
        ("2017-01-29T18:45:00Z", (29, 19, 45)),
        ("2017-01-29T19:45", (29, 19, 45)),
        ("2017-01-30 à 00h45", (30, 0, 45)),
        ("1485715500", (29, 19, 45)),
        ("1485715500000", (29, 19, 45)),
    ],
)
def test_attribute_time_forms(night: Night, value: str, expected: tuple[int, int, int]) -> None:
    """Every form of time an attribute may hold becomes the instant in the night's zone."""
    page = f'<ul><li data-time="{value}">Texte</li></ul>'
    (entry,) = parse(page, night, entry="li", time_selector="@data-time").entries
    local = entry.at.astimezone(night.timezone)
    assert (local.day, local.hour, local.minute) == expected
    assert local.utcoffset() == night.instant(local.time()).utcoffset()


def test_missing_and_garbled_attribute_times_skip_one_entry_each(night: Night) -> None:
    """Each entry without a readable time is named and counted; the others still count."""
    page = (
        '<ul><li data-time="19h45">Bon</li>'
        "<li>Sans attribut</li>"
        '<li id="x" data-time="bientôt">Illisible</li>'
        '<li data-time="25h99">Hors cadran</li>'
        '<li data-time="99999999999999999999">Trop grand</li>'
        '<li data-time="2017-13-45T10:00">Mauvaise date</li>'
        '<li data-time="20h00"></li></ul>'
    )
    parsed = parse(page, night, entry="li", time_selector="@data-time")
    assert [(e.uid, e.text) for e in parsed.entries] == [("s:1945", "Bon")]
    assert parsed.problems[:3] == [
        "entry #2: no data-time attribute",
        "entry x: data-time 'bientôt' is no time it could read",
        "entry #4: data-time '25h99' is no time it could read",
    ]
    assert parsed.problems[-1] == "entry #7: no text"
    assert parsed.skipped["no_date"] == 5
    assert parsed.skipped["no_text"] == 1


@pytest.mark.parametrize(
    "value",
    [
        "9999-12-31T23:59:59-01:00",
        "0001-01-01T00:00:00+01:00",
        "0001-01-01T00:00:00",
        "1853-01-01T12:00:00",
        "1853-01-01 à 20h41",
        "29/01/1853 20h41",
    ],
)
def test_a_time_out_of_the_calendar_skips_only_its_entry(night: Night, value: str) -> None:
    """A datetime past year 9999 once in the night's zone failed the whole page
    (OverflowError); one before 1970 took Paris's old local mean time (+00:09:21), an offset
    no update may carry. Either is no time it could read, for that entry alone."""
    page = f'<ul><li data-time="{value}">Ailleurs</li><li data-time="19h45">Bon</li></ul>'
    parsed = parse(page, night, entry="li", time_selector="@data-time")
    assert [(e.uid, e.text) for e in parsed.entries] == [("s:1945", "Bon")]
    assert parsed.skipped["no_date"] == 1
    # With a time element, its text is the time when its attribute cannot be read.
    page = f'<article><time datetime="{value}">20h41</time><p>Ailleurs</p></article>'
    (entry,) = parse(page, night, entry="article", time_selector="time", body="p").entries
    assert entry.at.isoformat() == "2017-01-29T20:41:00+01:00"


def test_hostile_attribute_value_is_quoted_on_one_short_line(night: Night) -> None:
    """A huge, multi-line attribute value is cut and kept on one line in the message."""
    page = f'<ul><li data-time="{"x" * 500}\n\x1b[31m">Texte</li></ul>'
    (problem,) = parse(page, night, entry="li", time_selector="@data-time").problems
    assert "\n" not in problem
    assert len(problem) < 120


def test_time_from_a_descendant_attribute_is_not_in_the_text(night: Night) -> None:
    """span.t@title: the title is the time, and the span's own text is left out of the entry."""
    page = '<div class="p"><span class="t" title="21h16">il y a 5 min</span> Texte.</div>'
    (entry,) = parse(page, night, entry="div.p", time_selector="span.t@title").entries
    assert (entry.at.hour, entry.at.minute, entry.text) == (21, 16, "Texte.")
    parsed = parse('<div class="p">Texte.</div>', night, entry="div.p", time_selector="span@t")
    assert parsed.problems == ["entry #1: no 'span' element in it"]


def test_siblings_heads_without_time_skip_their_paragraphs(night: Night) -> None:
    """A head with no readable time skips its run; text before the first head is no entry."""
    page = (
        "<dl><dd>Avant tout</dd>"
        "<dt>20h41</dt><dd>Un</dd>"
        "<dt>plus tard</dt><dd>Orphelin</dd>"
        "<dt id='v'>20h50</dt>"
        "<dt>21h02</dt><dd>Deux</dd><dd>Suite</dd></dl>"
    )
    parsed = parse(page, night, time_selector="dt", **SIBLINGS)
    assert [(e.uid, e.text) for e in parsed.entries] == [
        ("s:2041", "Un"),
        ("s:2102", "Deux\n\nSuite"),
    ]
    assert parsed.problems == ["entry #2: no time it could read", "entry v: no text"]


def test_siblings_time_from_the_head_attribute(night: Night) -> None:
    """dt@data-t: the head's attribute is the time, its text (a title) the first paragraph."""
    page = '<dl><dt data-t="2017-01-29T20:41:00+01:00">Résultats</dt><dd>Hamon gagne</dd></dl>'
    (entry,) = parse(page, night, time_selector="dt@data-t", **SIBLINGS).entries
    assert (entry.at.hour, entry.at.minute) == (20, 41)
    assert entry.text == "Résultats\n\nHamon gagne"


def test_siblings_on_garbage_markup_do_not_crash(night: Night) -> None:
    """Unclosed, misnested and binary markup gives what it can, never an exception."""
    for page in ("", "<dl><dt>20h41<dd>Un", "<dl>\x00<dt>\ufffd</dt></dl></dl><dd>x", "<<dl>>"):
        parsed = parse(page, night, time_selector="dt", **SIBLINGS)
        assert all(entry.at.tzinfo is not None for entry in parsed.entries)
    (entry,) = parse("<dl><dt>20h41<dd>Un", night, time_selector="dt", **SIBLINGS).entries
    assert entry.text == "Un"


def _state(page: LiveblogPage, night: Night) -> dict[str, SeenEntry]:
    return {e.uid: SeenEntry.of(e.to_update(night=night, seen=SEEN)) for e in page.entries}


@pytest.mark.parametrize(
    ("keys", "first", "second"),
    [
        (
            {"time_selector": "dt", **SIBLINGS},
            "<dl><dt>20h50</dt><dd>C</dd><dt>20h45</dt><dd>B</dd><dt>20h41</dt><dd>A</dd></dl>",
            "<dl><dt>20h55</dt><dd>D</dd><dt>20h45</dt><dd>B</dd>"
            "<dt>20h41</dt><dd>A modifié</dd></dl>",
        ),
        (
            {"entry": "li", "time_selector": "@data-time"},
            '<ul><li data-time="20h50">C</li><li data-time="20h45">B</li>'
            '<li data-time="20h41">A</li></ul>',
            '<ul><li data-time="20h55">D</li><li data-time="20h45">B</li>'
            '<li data-time="20h41">A modifié</li></ul>',
        ),
    ],
)
def test_keys_are_stable_across_polls(
    night: Night, keys: dict[str, Any], first: str, second: str
) -> None:
    """Between two polls: a new entry is new, an edited one changed, a vanished one deleted."""
    before = parse(first, night, **keys)
    after = parse(second, night, **keys)
    assert [e.uid for e in before.entries] == ["s:2041", "s:2045", "s:2050"]
    assert parse(first, night, **keys).entries == before.entries
    diff = diff_entries(_state(before, night), after.entries)
    assert sorted(e.uid for e in diff.new_or_changed) == ["s:2041", "s:2055"]
    assert [u.uid for u in diff.deleted] == ["s:2050"]


FRAGMENTS = [
    "<dl>", "</dl>", "<dt>", "</dt>", "<dd>", "</dd>", "<h3>", "</h3>", "<p>", "</p>",
    "<ul>", "<li data-time='19h45'>", "<li data-time='bientôt'>", "<li data-time=>", "<li>",
    "</li>", "<dt data-t='1485715500'>", "<dt id='x'>", "<dt id=''>", "<h3 id='a b'>",
    "20 h 41", "21:02", "99h99", "2017-13-45T10:00", "9" * 30, "\x00", "\x1b[31m", "<!--",
    "<script>alert(1)</script>", "&#x1b;", "\u202e", "<div class='pub'>", "</div>", " ", "\u2013",
]  # fmt: skip
MODES: list[dict[str, Any]] = [
    {"time_selector": "dt", **SIBLINGS},
    {"time_selector": "dt@data-t", **SIBLINGS},
    {"entry_mode": EntryMode.SIBLINGS, "container": "body", "time_selector": "h3"},
    {"entry": "li", "time_selector": "@data-time"},
    {"entry": "dl", "time_selector": "dt@data-t", "body": "dd"},
]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    page=st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=50).map(
        "".join
    ),
    keys=st.sampled_from(MODES),
)
def test_any_markup_gives_entries_or_skips_never_an_exception(
    sources_night: NightFixture, page: str, keys: dict[str, Any]
) -> None:
    """Any HTML in any mode: entries with distinct uids, aware times and clean one-line skips."""
    parsed = parse(page, sources_night.night, **keys)
    uids = [entry.uid for entry in parsed.entries]
    assert len(uids) == len(set(uids))
    for entry in parsed.entries:
        assert entry.at.tzinfo is not None
        assert entry.text == clean_text(entry.text)
        assert entry.text
    assert all("\n" not in problem for problem in parsed.problems)
    assert sum(parsed.skipped.values()) <= len(parsed.problems)
