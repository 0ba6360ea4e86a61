"""The contest keys of a night file: election, lists (head, label), seats, places."""

from __future__ import annotations

import pytest

from ingest.model.night_file import NightFileError, night_from_text

LISTS = """date = 2020-06-28
round = 2
election = "municipal"

[[candidates]]
name = "Poitiers collectif"
head = "Léonore Moncond'huy"
label = "EELV"

[[candidates]]
name = "Poitiers demain"
head = "Alain Claeys"
label = "PS"

[seats]
total = 53
rule = "majority-bonus"

[[places]]
kind = "commune"
name = "Poitiers"
code = "86194"

[[places]]
kind = "canton"
name = "Poitiers"
code = "8611"
"""


def problems(text: str) -> list[str]:
    with pytest.raises(NightFileError) as caught:
        night_from_text(text, origin="n.toml")
    return list(caught.value.problems)


def test_a_municipal_night_has_its_lists_seats_and_places() -> None:
    night = night_from_text(LISTS)
    assert night.election == "municipal"
    assert night.seats is not None
    assert (night.seats.total, night.seats.rule) == (53, "majority-bonus")
    assert night.candidate_named("alain claeys") == "Poitiers demain"
    assert night.candidate_named("EELV") == "Poitiers collectif"
    assert [(p.scope, p.code) for p in night.places] == [
        ("Poitiers", "86194"),
        ("canton de Poitiers", "8611"),
    ]


def test_bad_contest_keys_are_each_named() -> None:
    text = (
        LISTS.replace('"municipal"', '"municipale"')
        .replace('"majority-bonus"', '"bonus"')
        .replace('code = "86194"', 'code = "Poitiers"')
        .replace('label = "PS"', 'label = "EELV"')
    )
    found = problems(text)
    assert any("election: must be one of" in line and "'municipal'" in line for line in found)
    assert any("seats.rule: must be one of" in line for line in found)
    assert any("places[1].code: must be an official code" in line for line in found)
    assert any("candidates[2].label: duplicate" in line for line in found)
    assert len(found) == 4


def test_the_same_place_twice_and_seats_out_of_range_are_errors() -> None:
    text = LISTS.replace('kind = "canton"', 'kind = "commune"').replace("53", "0")
    found = problems(text)
    assert any("places[2].name" in line and "already" in line for line in found)
    assert any("seats.total" in line for line in found)


def test_unknown_contest_keys_are_named_as_every_unknown_key_of_the_file() -> None:
    """``[seats]`` and ``[[places]]`` name an unknown key as the rest of the file does: the
    close key, else the known ones (``ingest.model.toml_checks.unknown_key``)."""
    text = LISTS.replace("total = 53", "totl = 53\ntotal = 53").replace(
        'code = "8611"', 'code = "8611"\nregion = "x"'
    )
    assert problems(text) == [
        "n.toml:15: seats.totl: unknown key (did you mean 'total'?)",
        "n.toml:20: places[2].region: unknown key (known: kind, name, code)",
    ]
