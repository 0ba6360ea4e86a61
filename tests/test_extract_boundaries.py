"""Extraction at its edges: ranges, signs, estimate cues, rounds, years, hours and places.

The sentences are written the way wire agencies, regional dailies and TV liveblogs write an
election night, not copied from the seeds; :func:`corpus` hands them (and
:data:`VOCABULARY_SENTENCES`) to ``tests/test_vocabulary_coverage.py``, which checks that every
word of the extraction vocabularies is needed by one of them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import time
from typing import Any

import pytest

from ingest.extract import extract, extract_scoped_figures, split_time_prefix
from ingest.french_numbers import find_ranges
from ingest.update import Kind
from tests.test_extract import NIGHT


def figures_of(text: str) -> dict[str, Any]:
    """The primary figures of ``text`` as JSON, without the empty fields."""
    found = extract(text, NIGHT).figures
    if found is None:
        return {}
    return {key: value for key, value in found.to_json().items() if value not in (None, {})}


def kind_of(text: str) -> Kind:
    """The kind of ``text`` on the night."""
    return extract(text, NIGHT).kind


# -- shares -----------------------------------------------------------------------------------

CREDITED = [
    "Primaire : selon un sondage Elabe, Benoît Hamon est crédité de 58 % contre 42 % pour Manuel"
    " Valls.",
    "Benoît Hamon, crédité de près de 58 %, devance nettement Manuel Valls (42 %).",
]


@pytest.mark.parametrize("text", CREDITED)
def test_a_candidate_credited_with_a_share_gets_it(text: str) -> None:
    """'crédité de 58 %' gives the share to the candidate it is said of."""
    assert figures_of(text)["shares"] == {"Benoît Hamon": 58, "Manuel Valls": 42}


def test_a_range_of_shares_is_no_share() -> None:
    """'entre 55 % et 60 %' for a candidate is a range, not a share to pick an end of."""
    text = "Selon Harris Interactive, Benoît Hamon obtiendrait entre 55 % et 60 % des voix."
    assert figures_of(text) == {}
    assert kind_of(text) is Kind.ESTIMATE


# -- ranges (french_numbers) ------------------------------------------------------------------


def test_percent_ranges_written_with_two_signs_or_one() -> None:
    """'entre 55 % et 60 %' and 'entre 55 et 60 %' are percent ranges; '55 % et 60 votants' not."""
    for text in ("entre 55 % et 60 % des voix", "Entre 55 et 60 % des voix"):
        (found,) = find_ranges(text)
        assert (found.low, found.high, found.percent) == (55, 60, True)
    assert find_ranges("entre 55 % et 60 votants") == []


def test_several_ranges_in_one_text_are_all_found() -> None:
    """Two ranges, with something not a range between them, come back in order."""
    text = (
        "Entre 1,5 et 2 millions de votants selon le PS, soit 3 et 4 de plus qu'en 2011, "
        "et entre 55 % et 60 % pour Benoît Hamon"
    )
    found = find_ranges(text)
    assert [(item.low, item.high, item.percent) for item in found] == [
        (1_500_000, 2_000_000, False),
        (55, 60, True),
    ]


def test_a_multiplier_on_both_ends_applies_once() -> None:
    """'entre 1,5 million et 2 millions' is 1.5 to 2 million, not 1.5 trillion."""
    (found,) = find_ranges("Entre 1,5 million et 2 millions de votants")
    assert (found.low, found.high) == (1_500_000, 2_000_000)
    assert figures_of("Entre 1,5 million et 2 millions de votants à midi.") == {
        "scope": "national",
        "voters_low": 1_500_000,
        "voters_high": 2_000_000,
        "as_of": "12:00",
    }


def test_a_range_with_equal_ends_is_kept() -> None:
    """'entre 2 et 2 millions' is a range of one value (a careless but valid range)."""
    (found,) = find_ranges("entre 2 et 2 millions de votants")
    assert (found.low, found.high) == (2_000_000, 2_000_000)
    assert figures_of("Entre 2 et 2 millions de votants.")["voters_low"] == 2_000_000


def test_a_voters_range_after_a_percent_range_is_read() -> None:
    """A percent range is skipped, the voters range after it still counts."""
    text = "Entre 15 % et 20 % des inscrits, soit entre 1,5 et 2 millions de votants."
    assert figures_of(text)["voters_high"] == 2_000_000


def test_a_voters_range_at_the_largest_count_is_kept_and_above_is_dropped() -> None:
    """A high end of MAX_VOTERS (100 million) is kept; above it is not a count."""
    assert figures_of("Entre 90 et 100 millions de votants.")["voters_high"] == 100_000_000
    assert "voters_high" not in figures_of("Entre 90 et 101 millions de votants.")


# -- estimate or count ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # The cue in the headline only.
        (
            "Benoît Hamon en tête selon un sondage Elabe. Il obtient 58 % contre 42 % pour"
            " Manuel Valls.",
            Kind.ESTIMATE,
        ),
        # The cue in the sentence stating the shares only.
        (
            "Benoît Hamon en tête. Selon un sondage Elabe, il obtient 58 % contre 42 % pour"
            " Manuel Valls.",
            Kind.ESTIMATE,
        ),
        # The cue in the sentence of the second share only.
        (
            "Benoît Hamon obtient 58 % des voix. Selon l'institut Odoxa, Manuel Valls obtient"
            " 42 %.",
            Kind.ESTIMATE,
        ),
        # A cue in a later sentence that states no share.
        (
            "Benoît Hamon obtient 58 % des voix. Les sondages le donnaient perdant il y a un"
            " mois.",
            Kind.COUNT,
        ),
        # A share of the count makes it a count, cue or not.
        (
            "Selon les premières tendances, à 60 % du dépouillement, Benoît Hamon obtient 58 %.",
            Kind.COUNT,
        ),
        ("Benoît Hamon obtient 58 % contre 42 % pour Manuel Valls.", Kind.COUNT),
    ],
)
def test_estimate_cues_in_the_headline_or_in_the_sentence(text: str, kind: Kind) -> None:
    """Shares are an estimate when the headline or their own sentence cites one."""
    assert kind_of(text) is kind
    assert figures_of(text)["shares"]


# -- rounds -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "round_"),
    [
        ("Benoît Hamon 58,7 %, Manuel Valls 41,3 %.", 2),
        ("Benoît Hamon 36 %, Manuel Valls 31 %, Arnaud Montebourg 17 %.", 1),
        ("Benoît Hamon 36 %, Manuel Valls 31 %, Arnaud Montebourg 17 %, Vincent Peillon 7 %.", 1),
    ],
)
def test_three_candidates_or_more_on_a_second_round_night_are_a_first_round(
    text: str, round_: int
) -> None:
    """A second round is a duel: shares for three candidates are first-round figures."""
    assert extract(text, NIGHT).round == round_
    assert [scoped.round for scoped in extract_scoped_figures(text, NIGHT)] == [round_]
    assert extract(text, replace(NIGHT, round=1)).round == 1


# -- turnout changes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "change"),
    [
        ("Participation : +2 % par rapport au premier tour.", 2),
        ("Participation : −3 % par rapport au premier tour.", -3),  # U+2212 minus
        ("Participation : -3 % par rapport au premier tour.", -3),
        ("Affluence : − 8 % dans le Lot à midi.", -8),
        ("La participation est en recul de 3 % par rapport au premier tour.", -3),
        ("La participation est en hausse de 4,5 % sur une semaine.", 4.5),
        ("Les votants sont en baisse de 2 % à 17h.", -2),
        ("La participation connaît une chute de près de 6 %.", -6),
        ("La participation affiche une diminution de 1,5 % sur une semaine.", -1.5),
        ("La participation est en augmentation de 7 % à midi.", 7),
        ("La participation est en progression de 5 % dans l'après-midi.", 5),
        ("Participation : un bond de 11 % par rapport à dimanche dernier.", 11),
    ],
)
def test_signed_and_worded_turnout_changes(text: str, change: float) -> None:
    """'+2 %', '−3 %' (U+2212), '-3 %' and 'en recul de 3 %' are signed turnout changes."""
    assert kind_of(text) is Kind.TURNOUT
    assert figures_of(text)["change_pct"] == change


# -- counts, years and places -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("La participation est la plus forte depuis 2011 dans le Lot.", None),
        ("La participation reste faible : 1900 en Lozère.", None),
        ("La participation reste faible : 2100 en Lozère.", None),
        ("La participation reste faible : 1899 en Lozère.", 1899),
        ("La participation reste faible : 2101 en Lozère.", 2101),
        ("La participation reste faible : 2.011 en Lozère.", 2011),
        ("La participation reste faible : 2 mille en Lozère.", 2000),
    ],
)
def test_a_year_before_a_departement_is_no_count_of_voters(
    text: str, expected: int | None
) -> None:
    """A bare 1900-2100 before a place is a year; grouped, multiplied or outside, voters."""
    assert figures_of(text).get("voters") == expected


def test_none_voted_is_a_count() -> None:
    """0 voters is a count (a bureau that never opened), not a missing figure."""
    assert figures_of("Dans le Lot, 0 votants à 9h.")["voters"] == 0


# -- hours ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "as_of"),
    [
        ("À 17h, 12.000 votants dans le Lot.", "17:00"),
        ("12.000 votants à 23h dans le Lot.", "23:00"),
        ("12.000 votants à 24h dans le Lot.", None),
        ("12.000 votants à minuit dans le Lot.", "00:00"),
        ("12.000 votants à midi dans le Lot.", "12:00"),
        ("12.000 votants dans le Lot contre 9.000 à midi.", None),
    ],
)
def test_as_of_hours_at_their_edges(text: str, as_of: str | None) -> None:
    """'à 23h' and 'à minuit' are times; 'à 24h' is none; a time after 'contre' is not ours."""
    assert figures_of(text).get("as_of") == as_of


@pytest.mark.parametrize(
    ("line", "expected"),
    [("23h59: Dernière entrée", (time(23, 59), "Dernière entrée")), ("24h00: Trop tard", None)],
)
def test_time_prefix_hours_at_their_edges(
    line: str, expected: tuple[time, str] | None
) -> None:
    """23h59 is a time of the night, 24h00 is not."""
    assert split_time_prefix(line) == expected


# -- the corpus for tests/test_vocabulary_coverage.py -----------------------------------------

#: Sentences that need a word of a vocabulary (see tests/test_vocabulary_coverage.py).
VOCABULARY_SENTENCES: list[str] = []


def corpus() -> list[str]:
    """Every sentence of this module."""
    texts = list(CREDITED) + VOCABULARY_SENTENCES
    for test in (
        test_estimate_cues_in_the_headline_or_in_the_sentence,
        test_three_candidates_or_more_on_a_second_round_night_are_a_first_round,
        test_signed_and_worded_turnout_changes,
        test_a_year_before_a_departement_is_no_count_of_voters,
        test_as_of_hours_at_their_edges,
    ):
        marks = getattr(test, "pytestmark", [])
        for mark in marks:
            if mark.name == "parametrize":
                texts += [row[0] for row in mark.args[1]]
    return texts
