"""Every région, collectivité and city of ``ingest/extraction/territories.py`` scopes the figures
of a sentence that places them there.

The sentences are written by us, in the styles of an election night's liveblogs (a locative
opening, "en région", "dans les", "à" for the collectivités that take it, a heading line); they
are also part of the corpus of ``tests/test_vocabulary_coverage.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from ingest.extraction.figures import extract_scoped_figures
from ingest.extraction.territories import (
    ABROAD,
    CITIES,
    COLLECTIVITES,
    REGIONS,
    find_territories,
    territory_level,
)
from tests.test_extract import NIGHT

#: (sentence, the scope its figures get, those figures).
NAMED: list[tuple[str, str, dict[str, Any]]] = [
    (
        "En Île-de-France, la participation atteint 21,4 % à midi, en léger recul.",
        "Île-de-France",
        {"rate_pct": 21.4, "as_of": "12:00"},
    ),
    (
        "Dans le Centre-Val de Loire, Benoît Hamon recueille 56,2 % des suffrages exprimés.",
        "Centre-Val de Loire",
        {"shares": {"Benoît Hamon": 56.2}},
    ),
    (
        "En Bourgogne-Franche-Comté, 84.000 votants ont été recensés à 17 heures.",
        "Bourgogne-Franche-Comté",
        {"voters": 84000, "as_of": "17:00"},
    ),
    (
        "Normandie : Benoît Hamon 57,8 %, Manuel Valls 42,2 %.",
        "Normandie",
        {"shares": {"Benoît Hamon": 57.8, "Manuel Valls": 42.2}},
    ),
    (
        "Dans les Hauts-de-France, Manuel Valls résiste mieux avec 45,1 % des voix.",
        "Hauts-de-France",
        {"shares": {"Manuel Valls": 45.1}},
    ),
    (
        "Dans le Grand Est, 212.000 votants à midi selon les organisateurs.",
        "Grand Est",
        {"voters": 212000, "as_of": "12:00"},
    ),
    (
        "Dans les Pays de la Loire, la participation s'établit à 23,9 % à midi.",
        "Pays de la Loire",
        {"rate_pct": 23.9, "as_of": "12:00"},
    ),
    (
        "En Bretagne, terre socialiste, Benoît Hamon obtient 60,2 % des voix.",
        "Bretagne",
        {"shares": {"Benoît Hamon": 60.2}},
    ),
    (
        "En région Nouvelle-Aquitaine, 310.000 électeurs s'étaient déplacés à 17h.",
        "Nouvelle-Aquitaine",
        {"voters": 310000, "as_of": "17:00"},
    ),
    (
        "En Occitanie, Benoît Hamon l'emporte avec 59,4 % des voix.",
        "Occitanie",
        {"shares": {"Benoît Hamon": 59.4}},
    ),
    (
        "En région Auvergne-Rhône-Alpes, Manuel Valls limite l'écart avec 44 % des voix.",
        "Auvergne-Rhône-Alpes",
        {"shares": {"Manuel Valls": 44}},
    ),
    (
        "En Provence-Alpes-Côte d'Azur, l'abstention dépasse 60 % en fin d'après-midi.",
        "Provence-Alpes-Côte d'Azur",
        {"abstention_pct": 60},
    ),
    (
        "En Corse, la participation reste faible : 11,2 % à 17h.",
        "Corse",
        {"rate_pct": 11.2, "as_of": "17:00"},
    ),
    (
        "À Saint-Pierre-et-Miquelon, seuls 312 votants se sont déplacés.",
        "Saint-Pierre-et-Miquelon",
        {"voters": 312},
    ),
    (
        "À Saint-Barthélemy, Manuel Valls arrive en tête avec 61 % des voix.",
        "Saint-Barthélemy",
        {"shares": {"Manuel Valls": 61}},
    ),
    (
        "À Saint-Martin, la participation ne dépasse pas 9 % à la clôture.",
        "Saint-Martin",
        {"rate_pct": 9},
    ),
    (
        "À Wallis-et-Futuna, Benoît Hamon obtient 52,3 % des suffrages.",
        "Wallis-et-Futuna",
        {"shares": {"Benoît Hamon": 52.3}},
    ),
    (
        "En Polynésie française, où l'on a voté samedi, Benoît Hamon recueille 54 %.",
        "Polynésie française",
        {"shares": {"Benoît Hamon": 54}},
    ),
    (
        "En Nouvelle-Calédonie, où le scrutin s'est tenu samedi, 7.450 électeurs ont voté.",
        "Nouvelle-Calédonie",
        {"voters": 7450},
    ),
    (
        "À Lyon, Benoît Hamon est crédité de 63 % dans les bureaux dépouillés.",
        "Lyon",
        {"shares": {"Benoît Hamon": 63}},
    ),
    (
        "À Marseille, 41.000 votants ont été enregistrés à la mi-journée.",
        "Marseille",
        {"voters": 41000},
    ),
]


def _scopes(text: str) -> dict[str, dict[str, Any]]:
    return {
        scoped.figures.scope: {
            key: value
            for key, value in scoped.figures.to_json().items()
            if value not in (None, {}) and key != "scope"
        }
        for scoped in extract_scoped_figures(text, NIGHT)
    }


@pytest.mark.parametrize(("text", "scope", "figures"), NAMED)
def test_a_territory_named_scopes_its_figures(
    text: str, scope: str, figures: dict[str, Any]
) -> None:
    """The figures go to the territory the sentence places them in, and to nothing else."""
    assert _scopes(text) == {scope: figures}


@pytest.mark.parametrize(("text", "scope", "figures"), NAMED)
def test_a_mention_spans_the_name_as_written(
    text: str, scope: str, figures: dict[str, Any]
) -> None:
    """The mention covers the name, accents and hyphens included, not a character more."""
    assert figures
    assert [(m.scope, text[m.start : m.end]) for m in find_territories(text)] == [(scope, scope)]


def test_every_territory_but_the_overseas_regions_has_a_sentence() -> None:
    """The five overseas régions are départements too (test_departements.py); every other
    territory is named by one sentence above, and its level is known."""
    named = {scope for _, scope, _ in NAMED}
    metropolitan = {name for code, name in REGIONS if not code.startswith("0")}
    assert named == metropolitan | {name for _, name in COLLECTIVITES} | set(CITIES)
    levels = {territory_level(scope) for scope in named}
    assert levels == {"région", "outre-mer", "ville"}
    assert territory_level(ABROAD) == "étranger"
    assert territory_level("Français de l\u2019étranger") == "étranger"  # another apostrophe
    assert territory_level("Lot") is None


def corpus() -> list[str]:
    """The sentences of this module."""
    return [text for text, _, _ in NAMED]
