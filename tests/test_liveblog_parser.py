"""Tests for ingest.sources.liveblog_parser: pages to updates, times, identity and order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ingest.model.night import Night
from ingest.model.update import Kind
from ingest.sources.liveblog_parser import RawEntry, derive_keys, parse_liveblog, parse_time_text
from ingest.sources.source_config import LiveblogOrder
from replay.emulated.documents import liveblog_html
from replay.night_fixture import NightFixture

SEEN = datetime(2026, 1, 1, tzinfo=UTC)
EMULATED_SELECTORS: dict[str, Any] = {
    "entry": "article.entry",
    "time_selector": "time",
    "body": ".body",
}


@pytest.fixture(scope="module")
def night(sources_night: NightFixture) -> Night:
    """The night of 29 January 2017."""
    return sources_night.night


def default_page(*lines: str) -> str:
    """A page in the default format: one <p><strong>HHhMM:</strong> text</p> per line."""
    paragraphs = []
    for line in lines:
        written, _, text = line.partition(": ")
        paragraphs.append(f"<p><strong>{written}:</strong> {text}</p>")
    return f"<html><body><div class='live'>{''.join(paragraphs)}</div></body></html>"


def test_default_format_reads_hhmm_paragraphs(night: Night) -> None:
    """Paragraphs starting with 21h15: are entries; the time is cut from the text."""
    page = default_page(
        "21h15: Benoît Hamon va proposer à Jean-Luc Mélenchon",
        "20h41: Benoît Hamon vainqueur avec 58.65% des voix",
    )
    updates = parse_liveblog(page, source="live", night=night, seen=SEEN).updates
    assert [u.uid for u in updates] == ["live:2041", "live:2115"]
    assert updates[1].text == "Benoît Hamon va proposer à Jean-Luc Mélenchon"
    assert updates[1].at == datetime(2017, 1, 29, 21, 15, tzinfo=night.timezone)
    assert updates[0].kind is Kind.COUNT


def test_default_format_capital_h(night: Night) -> None:
    """12H05 is a time like 12h05."""
    page = default_page("12H05: Selon le Lab d'Europe 1, la participation a doublé")
    (update,) = parse_liveblog(page, source="live", night=night, seen=SEEN).updates
    assert update.uid == "live:1205"
    assert update.at.hour == 12
    assert update.at.minute == 5


def test_two_entries_at_the_same_minute_counted_from_the_oldest(night: Night) -> None:
    """Newest first on the page: the lower 21h01 is the older one and keeps 2101."""
    page = default_page(
        '21h02: Benoit Hamon: "Je mesure votre confiance"',
        '21h01: Benoît Hamon: "Votre mobilisation me donne une force"',
        "21h01: Benoît Hamon démarre son discours",
    )
    updates = parse_liveblog(page, source="live", night=night, seen=SEEN).updates
    by_uid = {u.uid: u.text for u in updates}
    assert by_uid["live:2101"] == "Benoît Hamon démarre son discours"
    assert by_uid["live:2101-2"].startswith("Benoît Hamon: ")
    assert [u.uid for u in updates] == ["live:2101", "live:2101-2", "live:2102"]


def test_derive_keys_prefers_element_ids(night: Night) -> None:
    """An entry with an id keeps it; others get HHMM[-n]."""
    at = datetime(2017, 1, 29, 21, 1, tzinfo=night.timezone)
    entries = [RawEntry(None, at, "a"), RawEntry("custom", at, "b"), RawEntry(None, at, "c")]
    assert derive_keys(entries, night) == ["2101", "custom", "2101-3"]


def test_continuation_paragraphs_and_preamble(night: Night) -> None:
    """Paragraphs after an entry continue it; text before the first time and footers do not."""
    page = (
        "<body><p>Bienvenue dans ce direct</p><div>"
        "<p><strong>21h16:</strong> Premier paragraphe</p><p>Deuxième paragraphe</p>"
        "<h3>Intertitre</h3><p>orphelin</p>"
        "<p>21h10 - Plus ancien</p></div><footer><p>© journal</p></footer></body>"
    )
    updates = parse_liveblog(page, source="live", night=night, seen=SEEN).updates
    assert [(u.uid, u.text) for u in updates] == [
        ("live:2110", "Plus ancien"),
        ("live:2116", "Premier paragraphe\n\nDeuxième paragraphe"),
    ]


def test_after_midnight_is_the_next_day(night: Night) -> None:
    """A bare 00h30 on the night of the 29th is the 30th."""
    (update,) = parse_liveblog(
        default_page("00h30: Fin du direct"), source="live", night=night, seen=SEEN
    ).updates
    assert update.at == datetime(2017, 1, 30, 0, 30, tzinfo=night.timezone)


def test_selectors_on_the_emulated_page_match_the_fixtures(sources_night: NightFixture) -> None:
    """The emulated page read with its selectors gives every entry's key, time and text."""
    night = sources_night.night
    end = datetime(2017, 12, 31, tzinfo=night.timezone)
    page = liveblog_html(sources_night, end, page_size=1000)
    updates = parse_liveblog(
        page, source="liveblog", night=night, seen=SEEN, **EMULATED_SELECTORS
    ).updates
    expected = [(f"liveblog:{e.key}", e.at, e.text) for e in sources_night.liveblog]
    assert [(u.uid, u.at, u.text) for u in updates] == expected


def test_time_element_text_and_missing_parts(night: Night) -> None:
    """Without datetime, the time's text is read; entries lacking time or body are reported."""
    page = (
        "<article class=e id=a><span class=t>29/01 21:16</span><div class=b>Intro</div></article>"
        "<article class=e id=b><span class=t>?</span><div class=b>Sans heure</div></article>"
        "<article class=e id=c><div class=b>Pas d'élément</div></article>"
        "<article class=e id=d><span class=t>20h00</span></article>"
    )
    parsed = parse_liveblog(
        page, source="s", night=night, seen=SEEN, entry="article.e", time_selector=".t", body=".b"
    )
    assert [(u.uid, u.at.hour, u.at.minute) for u in parsed.updates] == [("s:a", 21, 16)]
    assert len(parsed.problems) == 3


def test_entry_selector_without_time_selector_cuts_the_prefix(night: Night) -> None:
    """With only an entry selector, the time is the HHhMM at the start of its text."""
    page = "<ul><li class=x>21h15: Un</li><li class=x>21h20 : Deux</li><li class=x>rien</li></ul>"
    parsed = parse_liveblog(page, source="s", night=night, seen=SEEN, entry="li.x")
    assert [(u.uid, u.text) for u in parsed.updates] == [("s:2115", "Un"), ("s:2120", "Deux")]
    assert parsed.problems == ["entry #3: no time it could read"]


def test_order_option_and_duplicate_ids(night: Night) -> None:
    """oldest-first pages number same-minute entries top down; a repeated id keeps the oldest."""
    page = default_page("21h01: premier", "21h01: second")
    parsed = parse_liveblog(
        page, source="s", night=night, seen=SEEN, order=LiveblogOrder.OLDEST_FIRST
    )
    assert [(u.uid, u.text) for u in parsed.updates] == [
        ("s:2101", "premier"),
        ("s:2101-2", "second"),
    ]
    dup = "<p id=x>21h01: a</p><p id=x>21h00: b</p>"
    parsed = parse_liveblog(dup, source="s", night=night, seen=SEEN)
    assert [(u.uid, u.text) for u in parsed.updates] == [("s:x", "b")]
    assert "appears twice" in parsed.problems[0]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("20h41", (29, 20, 41)),
        ("12H05", (29, 12, 5)),
        ("29/01 21:16", (29, 21, 16)),
        ("30/01/2017 à 01h05", (30, 1, 5)),
        ("02h10", (30, 2, 10)),
    ],
)
def test_parse_time_text(night: Night, written: str, expected: tuple[int, int, int]) -> None:
    """Liveblog times as written become instants of the night."""
    instant = parse_time_text(written, night)
    assert instant is not None
    assert (instant.day, instant.hour, instant.minute) == expected
    assert instant.tzinfo is night.timezone


def test_garbage_pages_do_not_crash(night: Night) -> None:
    """Broken markup, binary junk and empty pages give what they can, never an exception."""
    for page in ("", "<<<>>>", "\x00\x01\ufffd" * 100):
        assert parse_liveblog(page, source="s", night=night, seen=SEEN).updates == []
    junk = "\x00\x01\ufffd" * 100
    for page in (
        "<p><strong>21h15:</strong> ok<p",
        junk + "<p>21h15: ok</p>" + junk,
        "<div><p>21h15 : ok</div></span></p>",
    ):
        (update,) = parse_liveblog(page, source="s", night=night, seen=SEEN).updates
        assert (update.at.hour, update.at.minute, update.text) == (21, 15, "ok"), page[-40:]


def test_date_only_datetime_and_selectors_inside_the_entry(night: Night) -> None:
    """A datetime holding only a date gives the day; selectors never match the entry itself."""
    page = (
        '<div class="post" id="late"><time datetime="2017-01-30">00h30</time>'
        '<div class="text">Dernière entrée</div></div>'
    )
    (update,) = parse_liveblog(
        page, source="s", night=night, seen=SEEN, entry="div.post", time_selector="time", body="div"
    ).updates
    assert update.at == datetime(2017, 1, 30, 0, 30, tzinfo=night.timezone)
    assert update.text == "Dernière entrée"
