"""The gallery of liveblog structures in docs/sources.md, each parsed with its own keys.

The examples (HTML written by us, modelled on real liveblog structures) are read from the
document itself, so that the contract and its tests cannot drift apart: each one's TOML keys
are loaded as a sources file's would be, and the times, texts and keys found are checked.
"""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ingest.model.night import Night
from ingest.sources.config import ingest_config_from_mapping
from ingest.sources.liveblog_parser import parse_liveblog
from ingest.sources.source_config import SourceConfig
from replay.night_fixture import NightFixture

DOC = Path(__file__).resolve().parents[1] / "docs" / "sources.md"
SEEN = datetime(2026, 1, 1, tzinfo=UTC)
_EXAMPLE = re.compile(
    r"^##### (?P<number>\d+)\. (?P<title>[^\n]+)\n+```html\n(?P<html>.*?)\n```\n+"
    r"```toml\n(?P<toml>.*?)\n```",
    re.MULTILINE | re.DOTALL,
)

# Per example: (key, "HH:MM" in the night's zone, text), oldest first.
EXPECTED: dict[int, list[tuple[str, str, str]]] = {
    1: [
        ("post-1", "20:00", "Les bureaux de vote sont fermés.\n\nPremières estimations."),
        ("post-2", "20:41", "Benoît Hamon arrive en tête avec 58,65 % des voix."),
    ],
    2: [
        ("1945", "19:45", "Participation à 17 heures : 1,3 million de votants."),
        ("1952", "19:52", "Manuel Valls a voté à Évry."),
        ("2005", "20:05", "Premiers résultats attendus vers 20 h 30."),
    ],
    3: [
        ("2102", "21:02", "Manuel Valls reconnaît sa défaite."),
        ("2116", "21:16", "Jean-Luc Mélenchon réagit."),
    ],
    4: [
        ("2041", "20:41", "Benoît Hamon l'emporte.\n\nIl parlera à 21 h 30."),
        ("m-2102", "21:02", "Manuel Valls reconnaît sa défaite."),
    ],
    5: [
        ("2205", "22:05", "Valls appelle à voter Hamon.\n\nIl l'a dit depuis son QG."),
        (
            "2215",
            "22:15",
            "Hamon remercie ses électeurs\n\n« Ce soir, la gauche relève la tête », a-t-il dit.",
        ),
    ],
    6: [
        ("2330", "23:30", "Benoît Hamon quitte la Mutualité."),
        ("2340", "23:40", "Fin de ce direct."),
    ],
    7: [
        ("2310", "23:10", "Participation définitive : 2 millions de votants."),
        ("2325", "23:25", "Fin du dépouillement à Paris."),
    ],
    8: [
        ("p-8790", "21:02", "Manuel Valls reconnaît sa défaite."),
        ("p-8812", "21:16", "Jean-Luc Mélenchon réagit."),
    ],
}


def gallery() -> dict[int, tuple[str, str, str]]:
    """The examples of docs/sources.md: number -> (title, html, toml)."""
    return {
        int(match["number"]): (match["title"], match["html"], match["toml"])
        for match in _EXAMPLE.finditer(DOC.read_text(encoding="utf-8"))
    }


def source_of(toml: str) -> SourceConfig:
    """The example's keys loaded as one liveblog source of a sources file."""
    keys: dict[str, Any] = tomllib.loads(toml)
    table = {"name": "live", "type": "liveblog", "url": "http://127.0.0.1:1/", "interval": 5}
    config = ingest_config_from_mapping({"source": [{**table, **keys}]}, origin="gallery")
    return config.sources[0]


@pytest.fixture(scope="module")
def night(sources_night: NightFixture) -> Night:
    """The night of 29 January 2017 (Europe/Paris)."""
    return sources_night.night


def test_the_gallery_has_every_structure() -> None:
    """At least six examples, each with a checked expectation (none left untested)."""
    assert sorted(gallery()) == sorted(EXPECTED)
    assert len(EXPECTED) >= 6


@pytest.mark.parametrize("number", sorted(EXPECTED))
def test_gallery_example(number: int, night: Night) -> None:
    """Each example's entries: keys, wall times in the night's zone, texts; nothing skipped."""
    title, html, toml = gallery()[number]
    source = source_of(toml)
    page = parse_liveblog(
        html,
        source="live",
        night=night,
        seen=SEEN,
        entry=source.entry,
        time_selector=source.time,
        body=source.body,
        order=source.order,
        entry_mode=source.entry_mode,
        container=source.container,
    )
    assert page.problems == [], title
    found = [
        (
            entry.uid.removeprefix("live:"),
            f"{entry.at.astimezone(night.timezone):%H:%M}",
            entry.text,
        )
        for entry in page.entries
    ]
    assert found == EXPECTED[number], title
    assert all(entry.at.date() == night.date for entry in page.entries)
    assert all(entry.at.utcoffset() is not None for entry in page.entries)
