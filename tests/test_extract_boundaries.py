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

from ingest.extraction.departements import find_departements
from ingest.extraction.document import MAX_INPUT_LENGTH, split_time_prefix
from ingest.extraction.extract import extract
from ingest.extraction.figures import extract_scoped_figures
from ingest.extraction.french_numbers import find_numbers, find_ranges
from ingest.model.update import Kind
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
    "Benoît Hamon réalise un score de 58 % face à Manuel Valls (42 %).",
]


@pytest.mark.parametrize("text", CREDITED)
def test_a_candidate_credited_with_a_share_gets_it(text: str) -> None:
    """'crédité de 58 %', 'un score de 58 %' give the share to the candidate they are said of."""
    assert figures_of(text)["shares"] == {"Benoît Hamon": 58, "Manuel Valls": 42}


def test_a_range_of_shares_is_no_share() -> None:
    """'entre 55 % et 60 %' for a candidate is a range, not a share to pick an end of."""
    text = "Selon Harris Interactive, Benoît Hamon obtiendrait entre 55 % et 60 % des voix."
    assert figures_of(text) == {}
    assert kind_of(text) is Kind.ESTIMATE


LOCAL = [
    "Sur St Etienne, Benoît Hamon obtient 62 %.",
    "Sur Saint-Denis, Benoît Hamon obtient 75 %.",
    "Benoît Hamon obtient 75 % sur Saint-Denis.",
    "Benoît Hamon obtient 70 % à la Roque-d'Anthéron.",
    "Benoît Hamon obtient 66 % au niveau national comme à Lille.",
    "Benoît Hamon obtient 66 % hors de France comme à Lille.",
    "À la Roque-d'Anthéron, Benoît Hamon obtient 70 %.",
]


@pytest.mark.parametrize("text", LOCAL)
def test_a_commune_share_is_no_national_share(text: str) -> None:
    """A share in one commune ('Sur Saint-Denis', 'à la Roque-d'Anthéron') gives no figures."""
    assert extract_scoped_figures(text, NIGHT) == []


AMBIGUOUS = [
    "Le député de la Creuse, la sénatrice de l'Allier et le maire de Vienne soutiennent Benoît"
    " Hamon.",
    "Crues : la Loire, le Rhône, la Marne, la Meuse, la Moselle et la Somme sous surveillance.",
    "Les élus du Nord, du Var, du Gard, du Gers, du Lot, du Tarn, du Cher et du Jura réunis par"
    " le Paris-Saint-Germain.",
]


@pytest.mark.parametrize("text", AMBIGUOUS)
def test_names_that_are_also_rivers_or_cities_place_nothing_outside_a_place(text: str) -> None:
    """'le député de la Creuse', 'la Loire' in flood: no département, so no scope."""
    assert find_departements(text) == []


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


def test_a_failed_range_does_not_stop_the_search() -> None:
    """'Entre 2, voire 3 millions' is no range; the range after it is still found."""
    text = "Entre 2, voire 3 millions de votants attendus, et entre 55 % et 60 % pour Benoît Hamon."
    assert [(item.low, item.high) for item in find_ranges(text)] == [(55, 60)]


def test_the_40_000th_character_is_read_and_the_next_is_not() -> None:
    """MAX_INPUT_LENGTH is 40 000 characters: a share whose % sign is the 40 000th counts; one
    character more of text before it, and the sign is cut (docs/extraction.md)."""
    assert MAX_INPUT_LENGTH == 40_000
    filler = "Les militants attendent les premiers résultats dans la salle de la Mutualité. "
    share = "\n\nSelon un sondage Elabe, Benoît Hamon obtiendrait 58 %"
    for length, shares in ((40_000, {"Benoît Hamon": 58}), (40_001, None)):
        text = (filler * 600)[: length - len(share)] + share
        assert len(text) == length
        assert figures_of(text).get("shares") == shares
        assert figures_of(text + " et Manuel Valls 42 %.").get("shares") == shares


def test_fifteen_decimals_are_read_and_sixteen_are_not() -> None:
    """MAX_DIGITS bounds the decimals too; a number keeps the text it was written as."""
    found = find_numbers("0,123456789012345 et 0,1234567890123456 et 58,72 %")
    assert [(number.value, number.raw) for number in found] == [
        (0.123456789012345, "0,123456789012345"),
        (58.72, "58,72 %"),
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
            "Benoît Hamon obtient 58 % des voix. Les sondages le donnaient perdant il y a un mois.",
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
        ("Participation : \u22123 % par rapport au premier tour.", -3),  # U+2212 minus
        ("Participation : -3 % par rapport au premier tour.", -3),
        ("Affluence : \u2212 8 % dans le Lot à midi.", -8),
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
    """'+2 %', a minus sign (U+2212), '-3 %' and 'en recul de 3 %' are signed turnout changes."""
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
def test_a_year_before_a_departement_is_no_count_of_voters(text: str, expected: int | None) -> None:
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
def test_time_prefix_hours_at_their_edges(line: str, expected: tuple[time, str] | None) -> None:
    """23h59 is a time of the night, 24h00 is not."""
    assert split_time_prefix(line) == expected


# -- structure: paragraphs, headings, sentences, scopes ---------------------------------------


def scopes_of(text: str) -> dict[str, dict[str, Any]]:
    """Every scope's figures of ``text`` as JSON, without the empty fields."""
    return {
        scoped.figures.scope: {
            key: value
            for key, value in scoped.figures.to_json().items()
            if value not in (None, {}) and key != "scope"
        }
        for scoped in extract_scoped_figures(text, NIGHT)
    }


def test_figures_of_a_later_paragraph_stay_national() -> None:
    """Stations, change, count and shares after a paragraph about the Lot are national."""
    text = (
        "Dans le Lot, 8.000 votants à midi.\n"
        "Sur 60 % des bureaux, la participation est en hausse de 5 %.\n"
        "À 60 % du dépouillement, Benoît Hamon obtient 58 %."
    )
    assert scopes_of(text) == {
        "Lot": {"voters": 8000, "as_of": "12:00"},
        "national": {
            "shares": {"Benoît Hamon": 58},
            "counted_pct": 60,
            "stations_pct": 60,
            "change_pct": 5,
        },
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Près de 60 % des bureaux ont transmis leurs chiffres. Sur 61,5 % des bureaux, la"
            " participation est en hausse de près de 5 %. Elle est en hausse de 5,2 % à 17h.",
            {"stations_pct": 61.5, "change_pct": 5.2},
        ),
        (
            "À près de 60 % du dépouillement, Benoît Hamon mène. À 61,5 % du dépouillement,"
            " Benoît Hamon obtient 58 %.",
            {"counted_pct": 61.5},
        ),
        (
            "Près de 2 millions de votants à 17h. Au total, 2.150.000 votants à 17h.",
            {"voters": 2_150_000},
        ),
        (
            "La participation dépasse les 2 millions de votants. Au total, 2.150.000 votants.",
            {"voters": 2_150_000},
        ),
    ],
)
def test_an_exact_figure_replaces_an_approximate_one(text: str, expected: dict[str, Any]) -> None:
    """'près de 60 %' then '61,5 %': the exact value stands, whichever field it is."""
    figures = figures_of(text)
    assert {key: figures[key] for key in expected} == expected


def test_the_primary_figures_are_national_even_when_a_departement_comes_first() -> None:
    """The Lot's 60 % comes first, the national 58 % is the primary figure."""
    text = "Dans le Lot, Benoît Hamon obtient 60 %. Au niveau national, il obtient 58 %."
    assert figures_of(text)["shares"] == {"Benoît Hamon": 58}
    assert scopes_of(text)["Lot"]["shares"] == {"Benoît Hamon": 60}


def test_a_heading_without_a_place_sets_no_place() -> None:
    """'Résultats nationaux' after a paragraph on the Lot: what follows is national."""
    text = (
        "Dans le Lot, Benoît Hamon obtient 60 %.\nRésultats nationaux\nBenoît Hamon obtient 58 %."
    )
    assert scopes_of(text) == {
        "Lot": {"shares": {"Benoît Hamon": 60}},
        "national": {"shares": {"Benoît Hamon": 58}},
    }


def test_a_heading_is_at_most_120_characters_without_final_punctuation() -> None:
    """A 120-character heading naming the Vienne scopes what follows; a longer line does not."""
    heading = "Vienne : " + "résultats " * 12
    heading = heading[:120].rstrip() + "s" * (120 - len(heading[:120].rstrip()))
    assert len(heading) == 120
    assert scopes_of(heading + "\nBenoît Hamon obtient 60 %.") == {
        "Vienne": {"shares": {"Benoît Hamon": 60}}
    }
    long_line = (
        "Dans la Vienne, Benoît Hamon devance très nettement Manuel Valls, selon les résultats"
        " communiqués par la fédération socialiste du département"
    )
    assert len(long_line) > 120
    assert scopes_of(long_line + "\nBenoît Hamon obtient 60 %.") == {
        "national": {"shares": {"Benoît Hamon": 60}}
    }


def test_a_heading_line_that_names_a_departement_scopes_its_own_figures() -> None:
    """'Vienne : Benoît Hamon obtient 60 %.' is the Vienne's 60 %."""
    assert scopes_of("Vienne : Benoît Hamon obtient 60 %.") == {
        "Vienne": {"shares": {"Benoît Hamon": 60}}
    }


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Mme. Hidalgo apporte son soutien à Benoît Hamon.", Kind.RALLY),
        ("Le Dr. Lefèvre, médecin à Trappes, apporte son soutien à Benoît Hamon.", Kind.RALLY),
        (
            "Le Dr. Lefèvre a voté à Trappes. Sylvia Pinel apporte son soutien à Benoît Hamon.",
            Kind.NEWS,
        ),
        ("...\nLes bureaux de vote sont fermés", Kind.NEWS),
        ("Un plan B? Arnaud Montebourg apporte son soutien à Benoît Hamon.", Kind.NEWS),
        ("Plan B... Arnaud Montebourg apporte son soutien à Benoît Hamon.", Kind.NEWS),
        ("...", Kind.NEWS),
    ],
)
def test_the_headline_is_the_first_sentence_abbreviations_included(text: str, kind: Kind) -> None:
    """'Mme.' and 'Dr.' end no sentence, 'B?' and 'B...' do; a later sentence's cue is not ours."""
    assert kind_of(text) is kind


def test_a_blank_line_does_not_end_the_text() -> None:
    """A line of spaces between two paragraphs: the second is still read."""
    text = "Benoît Hamon obtient 58 %.\n   \nManuel Valls obtient 42 %."
    assert figures_of(text)["shares"] == {"Benoît Hamon": 58, "Manuel Valls": 42}


@pytest.mark.parametrize(
    ("text", "shares"),
    [
        (
            "Benoît Hamon devance Manuel Valls. Il obtient 58 %, Manuel Valls 42 %.",
            {"Benoît Hamon": 58, "Manuel Valls": 42},
        ),
        (
            "Bureau unanime : Benoît Hamon 100 %, Manuel Valls 0 %.",
            {"Benoît Hamon": 100, "Manuel Valls": 0},
        ),
        (
            "Premiers résultats : 58 % à Benoît Hamon, 42 % à Manuel Valls.",
            {"Benoît Hamon": 58, "Manuel Valls": 42},
        ),
        (
            "Benoît Hamon 58 %, Manuel Valls obtient 42 %.",
            {"Benoît Hamon": 58, "Manuel Valls": 42},
        ),
        (
            "Jean Luc Bennahmias obtient 1 %, Benoît Hamon 36 %, Manuel Valls 31 %.",
            {"Jean-Luc Bennahmias": 1, "Benoît Hamon": 36, "Manuel Valls": 31},
        ),
        (
            "Jean-Luc  Bennahmias obtient 1 %, loin derrière.",  # two spaces, as pasted
            {"Jean-Luc Bennahmias": 1},
        ),
    ],
)
def test_shares_go_to_their_candidates(text: str, shares: dict[str, float]) -> None:
    """'Il obtient' after two names, 0 % and 100 %, 'à Name', a name written without hyphen."""
    assert figures_of(text)["shares"] == shares


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Hors de France, 12.000 votants ; au niveau national, 1,2 million de votants.",
            {"voters": 1_200_000},
        ),
        (
            "Entre 1,5 et 2 millions de votants, contre 1,2 million la semaine dernière.",
            {
                "voters_low": 1_500_000,
                "voters_high": 2_000_000,
                "previous": {"voters": 1_200_000},
            },
        ),
        ("Entre 15 et 20 minutes d'attente devant les bureaux parisiens.", {}),
        (
            "Entre 1,5 et 2 millions de votants, dont 12.000 dans le Lot.",
            {"voters_low": 1_500_000, "voters_high": 2_000_000},
        ),
    ],
)
def test_counts_around_ranges_and_abroad(text: str, expected: dict[str, Any]) -> None:
    """Abroad is dropped, a range's 'contre' is the comparison, minutes are no voters."""
    found = figures_of(text)
    found.pop("scope", None)
    assert found == expected


def test_a_range_after_a_place_belongs_to_it() -> None:
    """'Dans le Lot, entre 8.000 et 9.000 votants': the Lot's range."""
    assert scopes_of("Dans le Lot, entre 8.000 et 9.000 votants à midi.") == {
        "Lot": {"voters_low": 8000, "voters_high": 9000, "as_of": "12:00"}
    }


def test_a_count_after_a_range_is_not_part_of_it() -> None:
    """'entre 1,5 et 2 millions de votants, dont 12.000 dans le Lot': the Lot's 12.000."""
    text = "Entre 1,5 et 2 millions de votants, dont 12.000 dans le Lot."
    assert scopes_of(text)["Lot"] == {"voters": 12_000}


@pytest.mark.parametrize(
    ("text", "scope", "expected"),
    [
        ("Benoît Hamon obtient 58 % dans le Lot.", "Lot", {"shares": {"Benoît Hamon": 58}}),
        (
            "Entre 8.000 et 9.000 votants dans le Lot à midi.",
            "Lot",
            {"voters_low": 8000, "voters_high": 9000, "as_of": "12:00"},
        ),
        (
            "1,6 million de votants au premier tour, 2 millions ce dimanche.",
            "national",
            {"previous": {"voters": 1_600_000, "round": 1}},
        ),
        ("100 millions de votants, un chiffre impossible.", "national", {"voters": 100_000_000}),
        (
            "Pas 200 millions de votants, mais 2 millions de votants.",
            "national",
            {"voters": 2_000_000},
        ),
    ],
)
def test_figures_followed_by_their_place_or_their_round(
    text: str, scope: str, expected: dict[str, Any]
) -> None:
    """'58 % dans le Lot' is the Lot's; 'au premier tour' compares; 100 million still counts."""
    assert scopes_of(text) == {scope: expected}


@pytest.mark.parametrize(
    ("text", "round_"),
    [
        ("Comme au premier tour, Benoît Hamon arrive en tête.", None),
        ("Manuel Valls, qui avait tout misé, est battu au second tour.", 2),
        ("Comme au premier tour, Benoît Hamon arrive en tête du second tour.", 2),
        # A look ahead to the second round is no round stated; the round after it is.
        (
            "Qualifié pour le second tour, Benoît Hamon est arrivé en tête du premier tour dans"
            " le Finistère.",
            1,
        ),
        (
            "Le second tour opposera Benoît Hamon à Manuel Valls ; au premier tour, la"
            " participation s'élevait à 1,6 million.",
            1,
        ),
    ],
)
def test_the_round_is_the_first_one_mentioned_outside_a_comparison(
    text: str, round_: int | None
) -> None:
    """'Comme au premier tour' compares; a comparison in an earlier clause does not count."""
    assert extract(text, NIGHT).round == round_


@pytest.mark.parametrize(
    "text",
    [
        "Benoît Hamon mène largement. Les sondages donnaient 58 %.",
        "Le vainqueur obtient 58 % des voix.",
    ],
)
def test_a_share_nobody_is_given_is_dropped(text: str) -> None:
    """A share with no cue towards the last-named candidate, or with nobody named: no figures."""
    assert extract_scoped_figures(text, NIGHT) == []


MARKED = [
    "Participation : 12.000 votants à l'étranger à midi.",
    "Dans le Lot, 8.000 votants ; 1,2 million de votants en France entière.",
    "Dans le Lot, 8.000 votants, et 1,2 million de votants au niveau national.",
]


def test_a_figure_followed_by_abroad_or_national_belongs_there() -> None:
    """'12.000 votants à l'étranger' is the French abroad's; '... en France entière' is national."""
    assert scopes_of(MARKED[0]) == {"Français de l'étranger": {"voters": 12000, "as_of": "12:00"}}
    assert scopes_of(MARKED[1]) == {"Lot": {"voters": 8000}, "national": {"voters": 1_200_000}}
    assert scopes_of(MARKED[2]) == {"Lot": {"voters": 8000}, "national": {"voters": 1_200_000}}


# -- the corpus for tests/test_vocabulary_coverage.py -----------------------------------------

#: Sentences that need a word of a vocabulary (see tests/test_vocabulary_coverage.py).
VOCABULARY_SENTENCES: list[str] = [
    "Mme. Hidalgo apporte son soutien à Benoît Hamon.",
    "Mlle. Durand, militante à Lille, se rallie à Benoît Hamon.",
    "D'après MM. Dabi et Fourquet, de l'Ifop, Benoît Hamon l'emporte largement.",
    "Le Dr. Lefèvre, médecin à Trappes, apporte son soutien à Benoît Hamon.",
    "Le maire de St. Ouen apporte son soutien à Benoît Hamon.",
    "La maire de Ste. Geneviève annonce son soutien à Manuel Valls.",
    "Me. Dupond, avocat du PS, annonce son soutien à Benoît Hamon.",
    "Participation hors de France : 12.000 votants à midi.",
    "Forte participation chez les expatriés : 15.000 votants à 17h.",
    "Avant le second tour, Manuel Valls multiplie les meetings.",
    "En vue du second tour, Benoît Hamon mise sur les abstentionnistes.",
    "Avant ce second tour, la Haute autorité a ajouté des bureaux.",
    "Manuel Valls fait mieux qu'au premier tour.",
    "Le score est le même que lors du premier tour.",
    "Benoît Hamon progresse, contre 36 % au premier tour.",
    "Jamais la gauche n'a autant mobilisé depuis le premier tour de 2011.",
    "Comme au premier tour, Benoît Hamon arrive en tête.",
    "Les militants qui avaient voté Manuel Valls au premier tour hésitent.",
    "Vincent Peillon avait soutenu la candidature au premier tour de son ami.",
    "La participation était plus forte au premier tour.",
    "Les bureaux étaient pleins au premier tour.",
    "Manuel Valls espérait mieux au premier tour.",
    "Les sondeurs prévoyaient une victoire au premier tour.",
    "60 % des bulletins ont été dépouillés : Benoît Hamon 58 %, Manuel Valls 42 %.",
    "70 % des voix sont dépouillées : Benoît Hamon 58,4 %, Manuel Valls 41,6 %.",
    "80 % des votes dépouillés : Benoît Hamon 58,5 %, Manuel Valls 41,5 %.",
    "50 % des bureaux de vote dépouillés : Benoît Hamon 57,9 %, Manuel Valls 42,1 %.",
    "2 millions de votants contre 1,6 million au premier tour.",
    "1,6 million de votants la semaine dernière, 2 millions ce dimanche.",
    "2,6 millions de votants en 2011, moins de 2 millions cette année.",
    "À la Roque-d'Anthéron, Benoît Hamon obtient 70 %.",
    "Benoît Hamon obtient 70 % à la Roque-d'Anthéron.",
    "Sur St Etienne, Benoît Hamon obtient 62 %.",
    "Sur Ste Foy, Manuel Valls obtient 55 %.",
    "Sur Saint-Denis, Benoît Hamon obtient 75 %.",
    "Sur Sainte-Geneviève-des-Bois, Benoît Hamon obtient 61 %.",
    "Benoît Hamon obtient 70 % dans plusieurs bureaux.",
    "Benoît Hamon obtient 72 % sur certains bureaux.",
    "Benoît Hamon obtient 71 % dans quelques bureaux.",
    "Benoît Hamon obtient 73 % dans de nombreux bureaux.",
    "Benoît Hamon obtient 74 % dans nombre de bureaux.",
    "Benoît Hamon obtient 69 % dans la plupart des bureaux.",
    "Au bureau de vote de Trappes, Benoît Hamon obtient 80 %.",
    "Au bureau de Lille-Centre, Benoît Hamon obtient 64 %.",
    "Dans la commune de Trappes, Benoît Hamon obtient 80 %.",
    "Dans la ville de Lille, Benoît Hamon obtient 66 %.",
    "Dans le village de Vernon, Manuel Valls obtient 52 %.",
    "Dans le canton d'Evry, Manuel Valls obtient 60 %.",
    "François de Rugy : « Je voterai pour Manuel Valls »",
    "Marie du Bois : « Une belle victoire pour la gauche »",
    "Anne des Roches : « Les militants ont parlé »",
    "Jean le Rond : « Un soir historique »",
    "Pierre la Fontaine : « Nous attendons les résultats »",
    "Rudi van Dantzig : « La gauche européenne regarde la France »",
    "Otto von Habsburg : « Un moment démocratique »",
    "Paolo di Canio : « Bravo à Benoît Hamon »",
    "Lula da Silva : « Félicitations à Benoît Hamon »",
    "Mohamed el Baradei : « Un exemple de démocratie »",
    "Ahmed ben Bella : « Une soirée importante »",
    "Premiers résultats : 58 % des suffrages pour Benoît Hamon, 42 % pour Manuel Valls.",
    "Premiers résultats : 58 % des voix pour Benoît Hamon, 42 % pour Manuel Valls.",
    "Premiers résultats : 58 % des votes exprimés pour Benoît Hamon.",
    "Premiers résultats : 58 % au profit de Benoît Hamon.",
    "Premiers résultats : 58 % en faveur de Benoît Hamon.",
    "Premiers résultats : 58 % des voix à Benoît Hamon.",
    "Benoît Hamon l'emporte nettement, 58 % des suffrages.",
    "Benoît Hamon l'emporte nettement, 58 % des voix.",
    "Benoît Hamon l'emporte nettement, 58 % des votes.",
    "Benoît Hamon l'emporte nettement, 58 % des exprimés.",
    "Benoît Hamon l'emporte nettement, 58 % d'intentions de vote.",
    "Plus de 2 millions de personnes ont voté à 17h.",
    "1,7 million de Français se sont déplacés à 19h.",
    "12.000 citoyens ont participé dans le Lot.",
    "500.000 sympathisants ont voté à midi.",
    "Benoît Hamon obtient 62 % des voix dans la Creuse.",
    "Benoît Hamon obtient 62 % de voix en Corrèze.",
    "Benoît Hamon obtient 63 % des suffrages dans l'Aveyron.",
    "Benoît Hamon obtient 64 % des votes exprimés dans la Nièvre.",
    "Benoît Hamon obtient 65 % des votes dans la Nièvre.",
    "12.000 électeurs dans le Lot à midi.",
    "Participation : 9.000 personnes dans le Cantal à midi.",
    "La participation : 60 % des bureaux de vote dans le Gers à 17h.",
    "La participation : 60 % des bureaux dans le Gers à 17h.",
    "12.000 votants dans les Landes à midi.",
    "Dans le Lot, Benoît Hamon obtient 60 %. Au niveau national, il obtient 58 %.",
    "Dans le Lot, Benoît Hamon obtient 60 %. Sur le plan national, il obtient 58 %.",
    "Dans le Lot, Benoît Hamon obtient 60 %. À l'échelle nationale, il obtient 58 %.",
    "Dans le Lot, Benoît Hamon obtient 60 %. Dans toute la France, il obtient 58 %.",
    "Dans le Lot, Benoît Hamon obtient 60 %. France entière, il obtient 58 %.",
    "Benoît Hamon se félicite d'une participation à 65 %.",
    "Manuel Valls déplore une abstention à 40 %.",
    "Arnaud Montebourg, éliminé au premier tour, soutient Benoît Hamon.",
    "Benoît Hamon était arrivé en tête du 1er tour.",
    "Benoît Hamon arrive en tête du 1er tour avec une large avance.",
    "Le second tour oppose Benoît Hamon à Manuel Valls.",
    "Le deuxième tour oppose Benoît Hamon à Manuel Valls.",
    "2ème tour : Benoît Hamon favori face à Manuel Valls",
    "2nd tour : Benoît Hamon favori face à Manuel Valls",
    "Benoît Hamon l'emporte avec 58 %, loin devant Manuel Valls.",
    "Benoît Hamon a obtenu 58 %, un score net.",
    "Benoît Hamon obtiendrait 58 %, d'après les remontées des fédérations.",
    "Benoît Hamon recueille 58 %, loin devant Manuel Valls.",
    "Benoît Hamon réunit 58 %, loin devant Manuel Valls.",
    "Benoît Hamon rallie 58 %, loin devant Manuel Valls.",
    "Benoît Hamon remporte 58 %, un résultat sans appel.",
    "Benoît Hamon emporte 58 %, un résultat sans appel.",
    "Benoît Hamon fait un score de 58 % face à Manuel Valls.",
    "Benoît Hamon l'emporte avec 58 %, Manuel Valls contre 42 %.",
    "Benoît Hamon, avec les 58 % annoncés par la Haute autorité, devance Manuel Valls.",
    "Participation : 60 % des bureaux ont transmis leurs chiffres, 1,2 million de votants.",
    "1,2 million d'électeurs s'étaient déplacés à midi.",
    "Plus de 600.000 électrices ont voté à midi.",
    "1,6 million de participants à 19h.",
    "Un million de votants à midi selon le PS.",
    "Deux millions de votants attendus ce soir.",
    "Trois millions de votants ? Le PS n'y croit pas.",
    "Quatre mille votants dans la Lozère à midi.",
    "Cinq mille votants en Ariège à midi.",
    "Six mille votants dans le Cantal à 17h.",
    "Sept mille votants en Corrèze à midi.",
    "Huit mille votants dans la Creuse à 17h.",
    "Neuf mille votants dans le Gers à 17h.",
    "Dix mille votants dans le Lot à 17h.",
    "Onze mille votants en Haute-Marne à midi.",
    "Douze mille votants dans la Meuse à midi.",
    "Treize mille votants dans l'Orne à midi.",
    "Quatorze mille votants dans le Jura à 17h.",
    "Quinze mille votants en Savoie à midi.",
    "Seize mille votants dans l'Aube à 17h.",
    "Vingt mille votants dans la Sarthe à 17h.",
    "Trente mille votants en Gironde à midi.",
    "Quarante mille votants dans le Nord à midi.",
    "Cinquante mille votants dans le Rhône à midi.",
    "Soixante mille votants à Paris à midi.",
    "Cent mille votants dans les Bouches-du-Rhône à 17h.",
    "Le programme de Benoît Hamon coûterait 300 milliards d'euros, selon Manuel Valls.",
    "Le revenu universel coûterait un milliard par mois, selon ses adversaires.",
    "Benoît Hamon obtient 58 pour cent des voix.",
    "Panne du serveur 10.0.0.1 du PS à 20h.",
    "Le député de la Creuse, la sénatrice de l'Allier et le maire de Vienne soutiennent Benoît"
    " Hamon.",
    "Crues : la Loire, le Rhône, la Marne, la Meuse, la Moselle et la Somme sous surveillance.",
    "Les élus du Nord, du Var, du Gard, du Gers, du Lot, du Tarn, du Cher et du Jura réunis par"
    " le Paris-Saint-Germain.",
    "Les fédérations de l'Ain, de l'Aube, de l'Aude, de l'Eure, de l'Oise, de l'Orne et de"
    " l'Indre votent Hamon.",
    "Les militants de l'Isère, de l'Essonne et de l'Yonne ont voté tôt.",
    "Les militants de la Charente, de la Dordogne, de la Drôme, de la Gironde et de la Guyane"
    " se mobilisent.",
    "Les élus de la Manche, de la Mayenne, de la Sarthe, de la Savoie et de la Vendée"
    " soutiennent Manuel Valls.",
    "Les élus des Landes, des Vosges, du Doubs et du Calvados soutiennent Benoît Hamon.",
    "3.000 votants à Mayotte à midi.",
    "12.000 votants à La Réunion à midi.",
    "Dans le département de la Loire, 12.000 votants à midi.",
    "Dans le département du Lot, 8.000 votants à midi.",
    "Dans le département des Landes, 9.000 votants à midi.",
    "Sortie des urnes : Benoît Hamon largement devant Manuel Valls",
    "Les instituts donnent Benoît Hamon vainqueur de la primaire",
    "Première projection : Benoît Hamon l'emporterait nettement",
    "Benoît Hamon vainqueur, selon des sources du PS",
    "Victoire de Benoît Hamon (sources PS à l'AFP)",
    "Benoît Hamon en tête selon des sources socialistes",
    "Benoît Hamon l'emporte, selon des sources proches de la Haute autorité",
    "Manuel Valls reconnaîtrait sa défaite, selon des sources internes",
    "Selon des sources concordantes, Benoît Hamon est le vainqueur",
    "Premières tendances : Benoît Hamon creuse l'écart",
    "Ifop : Benoît Hamon donné gagnant du second tour",
    "D'après une enquête Ipsos pour France Télévisions, le match est plié",
    "Elabe place Benoît Hamon loin devant",
    "OpinionWay confirme l'avance de Benoît Hamon",
    "Odoxa donnait Manuel Valls distancé dès jeudi",
    "BVA : Benoît Hamon large favori",
    "Harris Interactive voit Benoît Hamon l'emporter",
    "Kantar publie sa dernière enquête d'opinion",
    "Sofres : Benoît Hamon creuse l'écart",
    "Les sondages donnaient Benoît Hamon gagnant",
    "Viavoice : l'écart se resserre entre les deux finalistes",
    "Forte affluence dans les bureaux de vote parisiens",
    "Les votants se pressent devant les urnes à Lille",
    "L'abstention pourrait atteindre un record ce soir",
    "Forte mobilisation des électeurs : un peu plus de 10.000 en Aveyron à midi.",
    "Mobilisation des électrices : 9.000 en Lozère à midi.",
    "Ils se sont déplacés en nombre : 15.000 dans le Gers à 17h.",
    "Affluence record : 20.000 en Corrèze à 17h.",
    "Les votants sont 7.000 dans la Creuse à midi.",
    "Fermeture des bureaux de vote en métropole",
    "Clôture des bureaux de vote à 19h",
    "Les bureaux de vote ouvrent à 9h",
    "Les bureaux de vote ont fermé en métropole",
    "Les bureaux de vote ont ouvert leurs portes à 9h",
    "Les bureaux de vote vont fermer dans une heure",
    "Les bureaux de vote vont ouvrir dans quelques minutes",
    "Les bureaux de vote sont désormais fermés",
    "Les bureaux de vote sont déjà ouverts outre-mer",
    "Début du dépouillement à Solférino",
    "Fin du dépouillement dans les bureaux parisiens",
    "Le dépouillement commence dans les bureaux parisiens",
    "Le dépouillement a commencé à Lyon",
    "Le dépouillement débute à Marseille",
    "Le dépouillement a débuté à Bordeaux",
    "Proclamation des résultats attendue vers 22h",
    "Manuel Valls a voté à Evry",
    "Benoît Hamon est allé voter à Trappes",
    "Benoît Hamon a glissé son bulletin dans l'urne à Trappes",
    "Ségolène Royal se dit prête à aider Benoît Hamon",
    "Martine Aubry se dit disponible pour soutenir Benoît Hamon",
    "Anne Hidalgo se dit prête à accompagner Benoît Hamon",
    "Christiane Taubira se dit disponible pour rejoindre Benoît Hamon",
    "Arnaud Montebourg se dit prêt à travailler avec Benoît Hamon",
    "Arnaud Montebourg apporte son soutien à Benoît Hamon",
    "Vincent Peillon apportera son soutien à Benoît Hamon",
    "Sylvia Pinel annonce son soutien à Benoît Hamon",
    "François de Rugy affiche son soutien à Manuel Valls",
    "Jean-Luc Bennahmias déclare son soutien à Benoît Hamon",
    "Martine Aubry réaffirme son soutien à Benoît Hamon",
    "Anne Hidalgo confirme son soutien à Benoît Hamon",
    "Christiane Taubira officialise son soutien à Benoît Hamon",
    "Vincent Peillon se rallie à Benoît Hamon",
    "Sylvia Pinel se range derrière Benoît Hamon",
    "Jean-Luc Bennahmias rallie le camp de Benoît Hamon",
    "Un proche de Manuel Valls rejoint la campagne de Benoît Hamon",
    "Une députée frondeuse rejoint l'équipe de Benoît Hamon",
    "Le maire de Lille rejoint les rangs de Benoît Hamon",
    "Sylvia Pinel appelle à voter pour Benoît Hamon",
    "François de Rugy appelle ses électeurs à voter en faveur de Manuel Valls",
    "Dépouillement à un peu plus de 60 % : Benoît Hamon 58,2 %, Manuel Valls 41,8 %.",
    "Dépouillement à un peu moins de 60 % : Benoît Hamon 58,2 %, Manuel Valls 41,8 %.",
    "Dépouillement de plus de 60 % des bulletins : Benoît Hamon 58,2 %, Manuel Valls 41,8 %.",
    "Dépouillement sur moins de 40 % : Benoît Hamon 58,2 %, Manuel Valls 41,8 %.",
    "Dépouillement à près de 60 % : Benoît Hamon 58,2 %, Manuel Valls 41,8 %.",
    "Dépouillement proche de 70 % : Benoît Hamon 58,2 %, Manuel Valls 41,8 %.",
    "Dépouillement à autour de 50 % : Benoît Hamon 58 %, Manuel Valls 42 %.",
    "Dépouillement au-delà de 75 % : Benoît Hamon 58,6 %, Manuel Valls 41,4 %.",
    "Dépouillement à presque 80 % : Benoît Hamon 58,6 %, Manuel Valls 41,4 %.",
    "Dépouillement à environ 85 % : Benoît Hamon 58,6 %, Manuel Valls 41,4 %.",
    "Dépouillement à quelque 30 % : Benoît Hamon 57 %, Manuel Valls 43 %.",
    "Dépouillement à quasiment 90 % : Benoît Hamon 58,6 %, Manuel Valls 41,4 %.",
    "Dépouillement à au moins 20 % : Benoît Hamon 56 %, Manuel Valls 44 %.",
    "Dépouillement à pas loin de 95 % : Benoît Hamon 58,7 %, Manuel Valls 41,3 %.",
    "Dépouillement de l'ordre de 40 % : Benoît Hamon 57 %, Manuel Valls 43 %.",
    "Le dépouillement dépasse 80 % : Benoît Hamon 58,6 %, Manuel Valls 41,4 %.",
    "Le dépouillement frôle même 90 % : Benoît Hamon 58,6 %, Manuel Valls 41,4 %.",
    "Résultats partiels portant sur 60 % des bureaux : Benoît Hamon 58 %, Manuel Valls 42 %.",
    "Résultats sur 45 % des bureaux : Benoît Hamon 57 %, Manuel Valls 43 %.",
    "Au-delà de 2 millions de votants à 19h.",
    "Au moins 2 millions de votants selon la Haute autorité.",
    "Au moins les 2 millions de votants de dimanche dernier seront atteints.",
    "La participation dépasse les 2 millions de votants. Au total, 2.150.000 votants à 17h.",
]


def corpus() -> list[str]:
    """Every sentence of this module."""
    texts = CREDITED + LOCAL + AMBIGUOUS + MARKED + VOCABULARY_SENTENCES
    for test in (
        test_estimate_cues_in_the_headline_or_in_the_sentence,
        test_three_candidates_or_more_on_a_second_round_night_are_a_first_round,
        test_signed_and_worded_turnout_changes,
        test_a_year_before_a_departement_is_no_count_of_voters,
        test_as_of_hours_at_their_edges,
        test_an_exact_figure_replaces_an_approximate_one,
        test_the_headline_is_the_first_sentence_abbreviations_included,
        test_shares_go_to_their_candidates,
        test_counts_around_ranges_and_abroad,
        test_figures_followed_by_their_place_or_their_round,
        test_the_round_is_the_first_one_mentioned_outside_a_comparison,
    ):
        marks = getattr(test, "pytestmark", [])
        for mark in marks:
            if mark.name == "parametrize":
                texts += [row[0] for row in mark.args[1]]
    return list(dict.fromkeys(texts))  # each once, in order
