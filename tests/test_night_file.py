"""Tests for ingest.model.night_file: the night file read strictly, problems by file, key, line."""

from __future__ import annotations

import json
import re
import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs in the dev extras
import pytest

from ingest.model.night import NightError
from ingest.model.night_contest import PLACE_KEYS, SEATS_KEYS
from ingest.model.night_file import (
    CANDIDATE_KEYS,
    NIGHT_KEYS,
    NightFileError,
    default_stream,
    load_night,
    night_from_text,
)
from tests.conftest import ROOT

GOOD = """\
slug = "2017-05-07"
title = "Présidentielle, second tour"
date = 2017-05-07
round = 2
timezone = "Europe/Paris"

[[candidates]]
name = "Emmanuel Macron"
aliases = ["Macron"]

[[candidates]]
name = "Marine Le Pen"
aliases = ["Le Pen", "Mme Le Pen"]
"""

BUNDLED = ROOT / "fixtures" / "2017-01-29" / "night.toml"
SCHEMA = json.loads((ROOT / "docs" / "night.schema.json").read_text(encoding="utf-8"))


def problems(text: str, origin: str = "my/night.toml") -> list[str]:
    """The problems of ``text`` as a night file (none: a failing assertion)."""
    with pytest.raises(NightFileError) as raised:
        night_from_text(text, origin=origin)
    return list(raised.value.problems)


def test_a_good_file_gives_its_night() -> None:
    """Every key read; the stream named from the slug; early_hour defaulted."""
    night = night_from_text(GOOD)
    assert (night.slug, night.title, night.date, night.round) == (
        "2017-05-07",
        "Présidentielle, second tour",
        date(2017, 5, 7),
        2,
    )
    assert night.timezone.key == "Europe/Paris"
    assert night.stream == "soiree:night:2017-05-07" == default_stream("2017-05-07")
    assert night.early_hour == 5
    assert [(c.name, c.aliases) for c in night.candidates] == [
        ("Emmanuel Macron", ("Macron",)),
        ("Marine Le Pen", ("Le Pen", "Mme Le Pen")),
    ]


def test_the_least_a_night_needs() -> None:
    """date, round and candidates: slug, title, time zone and stream have defaults."""
    night = night_from_text('date = "2022-04-10"\nround = 1\ncandidates = [{name = "A B"}]\n')
    assert (night.slug, night.title, night.timezone.key) == (
        "2022-04-10",
        "2022-04-10",
        "Europe/Paris",
    )
    assert night.stream == "soiree:night:2022-04-10"


def test_a_misspelt_key_is_one_line_naming_file_key_and_line() -> None:
    """`alias` for `aliases`: an error on its line, with the key meant, not a silent drop."""
    text = GOOD.replace('aliases = ["Macron"]', 'alias = ["Macron"]')
    assert problems(text) == [
        "my/night.toml:9: candidates[1].alias: unknown key (did you mean 'aliases'?)"
    ]
    assert problems(GOOD.replace("title =", "titel =")) == [
        "my/night.toml:2: titel: unknown key (did you mean 'title'?)"
    ]


def test_an_unknown_table_is_named_on_its_header() -> None:
    """`[colours]`: an unknown key, on the line of its header."""
    assert problems(GOOD + '\n[colours]\nmacron = "#ffcc00"\n') == [
        "my/night.toml:15: colours: unknown key (known: slug, title, date, round, timezone,"
        " stream, early_hour, candidates, roles, election, seats, places, polls_close,"
        " polls_close_in)"
    ]


def test_a_duplicate_alias_is_one_line_naming_file_key_and_line() -> None:
    """The same alias twice for one candidate, or one spelling for two candidates."""
    twice = GOOD.replace('["Macron"]', '["Macron", "Macron"]')
    assert problems(twice) == ["my/night.toml:9: candidates[1].aliases: 'Macron' twice"]
    shared = GOOD.replace('["Le Pen", "Mme Le Pen"]', '["Le Pen", "macron"]')
    assert problems(shared) == [
        "my/night.toml:13: candidates[2].aliases: duplicate alias: 'macron' already"
        " designates candidates[1] (Emmanuel Macron)"
    ]


def test_a_duplicate_candidate_is_an_error() -> None:
    """A candidate listed twice (accents and case aside) is named on its second table."""
    text = GOOD + '\n[[candidates]]\nname = "Emmanuel MACRON"\n'
    assert problems(text) == [
        "my/night.toml:16: candidates[3].name: duplicate candidate: 'Emmanuel MACRON' already"
        " designates candidates[1] (Emmanuel Macron)"
    ]


def test_a_missing_date_is_one_line_naming_file_and_key() -> None:
    """No date: one line; it has no line of its own, so none is given."""
    text = GOOD.replace("date = 2017-05-07\n", "")
    assert problems(text) == ["my/night.toml: date: missing (the night's date, YYYY-MM-DD)"]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("round = 2", 'round = "2"', "my/night.toml:4: round: must be 1 or 2, got '2'"),
        ("round = 2", "round = 3", "my/night.toml:4: round: must be 1 or 2, got 3"),
        ("date = 2017-05-07", 'date = "7 mai 2017"', "my/night.toml:3: date: must be a date"),
        ("date = 2017-05-07", "date = 2017-05-07T20:00:00", "my/night.toml:3: date: must be"),
        ('timezone = "Europe/Paris"', 'timezone = "Paris"', "my/night.toml:5: timezone: must be"),
        ('slug = "2017-05-07"', 'slug = "Mai 2017"', "my/night.toml:1: slug: must be lowercase"),
        ('slug = "2017-05-07"', "slug = 7", "my/night.toml:1: slug: must be lowercase"),
        ('title = "Présidentielle, second tour"', "title = ''", "my/night.toml:2: title:"),
        ('["Macron"]', '"Macron"', "my/night.toml:9: candidates[1].aliases: must be a list"),
        ('name = "Marine Le Pen"', "name = 1", "my/night.toml:12: candidates[2].name: missing"),
        (
            'aliases = ["Macron"]',
            'aliases = ["Macron"]\ncolour = "blue"',
            "my/night.toml:10: candidates[1].colour: must be a hex colour #rrggbb, got 'blue'",
        ),
        ('aliases = ["Macron"]', 'aliases = ["Macron"]\ncolour = "#12345"', "my/night.toml:10: "),
        ('aliases = ["Macron"]', 'aliases = ["Macron"]\ncolour = "#1234567"', "my/night.toml:10"),
        ('aliases = ["Macron"]', 'aliases = ["Macron"]\ncolour = "#12345g"', "my/night.toml:10"),
        ('aliases = ["Macron"]', 'aliases = ["Macron"]\ncolour = "#123456\\n"', "my/night.toml:10"),
        ('aliases = ["Macron"]', 'aliases = ["Macron"]\ncolour = 0x123456', "my/night.toml:10"),
        (
            'aliases = ["Macron"]',
            'aliases = ["Macron"]\ncolour = "#123456;}<b>"',
            "my/night.toml:10: candidates[1].colour: must be a hex colour",
        ),
    ],
)
def test_wrong_types_and_values_name_file_key_and_line(old: str, new: str, expected: str) -> None:
    """Each wrong value is one problem, on the key's line."""
    assert old in GOOD
    found = problems(GOOD.replace(old, new, 1))
    assert len(found) == 1, found
    assert found[0].startswith(expected), found


def test_every_problem_is_listed_and_the_error_says_how_many() -> None:
    """Several problems: all of them, in the exception's problems; its message names the first."""
    text = GOOD.replace("round = 2", "round = 0").replace("title =", "titre =")
    with pytest.raises(NightFileError) as raised:
        night_from_text(text, origin="n.toml")
    assert len(raised.value.problems) == 2
    assert str(raised.value).startswith("n.toml:2: titre: unknown key")
    assert "(and 1 more problem: `soiree night check n.toml` lists them)" in str(raised.value)


def test_bad_toml_and_unreadable_files_are_one_line(tmp_path: Path) -> None:
    """Not TOML, not there, a folder: one line naming the file, never a traceback."""
    assert problems("date = 2017-05-\n", origin="x.toml")[0].startswith("x.toml: not valid TOML")
    with pytest.raises(NightError, match="no such night file"):
        load_night(tmp_path / "absent.toml")
    with pytest.raises(NightError, match="is a directory"):
        load_night(tmp_path)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe")
    with pytest.raises(NightError, match="not UTF-8"):
        load_night(binary)


def test_hostile_keys_are_shown_as_data() -> None:
    """A key holding an escape sequence is shown quoted, never as a terminal command."""
    found = problems('"\\u001b[2J" = 1\n' + GOOD)
    assert found == [
        "my/night.toml: '\\x1b[2J': unknown key (known: slug, title, date, round, timezone,"
        " stream, early_hour, candidates, roles, election, seats, places, polls_close,"
        " polls_close_in)"
    ]


def test_a_colour_is_read_in_lower_case_and_is_never_a_spelling() -> None:
    """``colour = "#3A6EA5"`` gives the candidate "#3a6ea5"; without one, None."""
    night = night_from_text(
        GOOD.replace('aliases = ["Macron"]', 'aliases = ["Macron"]\ncolour = "#3A6EA5"')
    )
    macron, le_pen = night.candidates
    assert (macron.colour, le_pen.colour) == ("#3a6ea5", None)
    assert "#3a6ea5" not in [spelling.casefold() for spelling in macron.spellings]


def test_the_bundled_night_is_valid() -> None:
    """29 January 2017 reads, and names its stream as the default would."""
    night = load_night(BUNDLED)
    assert night.stream == default_stream(night.slug)
    assert len(night.candidates) == 6


def _as_json(value: Any) -> Any:
    """TOML values as JSON would hold them (dates as ISO text)."""
    if isinstance(value, dict):
        return {key: _as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_json(item) for item in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def test_the_schema_knows_the_keys_the_reader_knows() -> None:
    """docs/night.schema.json has exactly the keys of the reader, and accepts what it accepts."""
    assert set(SCHEMA["properties"]) == set(NIGHT_KEYS)
    candidate = SCHEMA["$defs"]["candidate"]
    assert set(candidate["properties"]) == set(CANDIDATE_KEYS)
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for text in (GOOD, BUNDLED.read_text(encoding="utf-8")):
        validator.validate(_as_json(tomllib.loads(text)))
    bad = _as_json(tomllib.loads(GOOD.replace('aliases = ["Macron"]', 'alias = ["Macron"]')))
    assert not validator.is_valid(bad)
    coloured = GOOD.replace('aliases = ["Macron"]', 'aliases = ["Macron"]\ncolour = "#3a6ea5"')
    validator.validate(_as_json(tomllib.loads(coloured)))
    for wrong in ('"blue"', '"#3a6ea"', '"#3a6ea5 "', '"#3a6ea5\\n"'):
        spoilt = GOOD.replace('aliases = ["Macron"]', f'aliases = ["Macron"]\ncolour = {wrong}')
        assert not validator.is_valid(_as_json(tomllib.loads(spoilt))), wrong
    assert not validator.is_valid(_as_json(tomllib.loads(GOOD.replace("date = 2017-05-07", ""))))


def test_far_from_the_night() -> None:
    """A day either side of the night (midnight to early_hour next day) is near; beyond, far."""
    night = night_from_text(GOOD)
    zone = night.timezone
    start = datetime(2017, 5, 7, tzinfo=zone)
    end = datetime(2017, 5, 8, 5, tzinfo=zone)
    assert not night.far_from(start - timedelta(days=1))
    assert not night.far_from(end + timedelta(days=1))
    assert night.far_from(start - timedelta(days=1, seconds=1))
    assert night.far_from(end + timedelta(days=1, seconds=1))
    assert night.far_from(datetime(2012, 5, 6, 20, tzinfo=zone))


def test_every_example_of_the_docs_is_a_valid_night() -> None:
    """Each ```toml block of docs/night.md reads as a night, and the schema accepts it."""
    text = (ROOT / "docs" / "night.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) >= 4
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for block in blocks:
        night = night_from_text(block, origin="docs/night.md")
        assert night.candidates
        validator.validate(_as_json(tomllib.loads(block)))


def test_the_docs_table_lists_every_key() -> None:
    """docs/night.md's table has a row for every key the reader knows, and no other."""
    text = (ROOT / "docs" / "night.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `([a-z_.]+)` \|", text, flags=re.MULTILINE))
    nested = {f"seats.{key}" for key in SEATS_KEYS} | {f"places.{key}" for key in PLACE_KEYS}
    assert rows == set(NIGHT_KEYS) | {f"candidates.{key}" for key in CANDIDATE_KEYS} | nested
