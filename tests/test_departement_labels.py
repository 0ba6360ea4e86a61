"""A département named as a label opening a sentence ("… le plein. Val-de-Marne : …") places
the figures after it, in several styles; a name that is not such a label places nothing.

Sentences of our own, one class: the label rule of ``ingest.extraction.departements`` (a line
or a sentence that opens with the name and a colon).
"""

from __future__ import annotations

import pytest

from ingest.extraction.departements import find_departements
from ingest.extraction.extract import extract
from replay.fixtures import find_night

MACRON, LE_PEN = "Emmanuel Macron", "Marine Le Pen"


def scopes(text: str) -> list[tuple[str, dict[str, float]]]:
    """Every scope the text states, with its shares, as the night of 7 May 2017 reads it."""
    found = extract(text, find_night("2017-05-07").night)
    figures = [] if found.figures is None else [found.figures, *found.more_figures]
    return [(item.scope, dict(item.shares)) for item in figures]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # national site: a sentence of context, then labels
        (
            "En Île-de-France, le président élu fait le plein. Val-de-Marne : Emmanuel Macron "
            "80,32 %, Marine Le Pen 19,68 %. Seine-et-Marne : Emmanuel Macron 63,86 %, "
            "Marine Le Pen 36,14 %.",
            [
                ("Val-de-Marne", {MACRON: 80.32, LE_PEN: 19.68}),
                ("Seine-et-Marne", {MACRON: 63.86, LE_PEN: 36.14}),
            ],
        ),
        # wire agency: short names, a département that is also a common word
        (
            "Les résultats tombent. Nord : Macron 56,90 %, Le Pen 43,10 %.",
            [("Nord", {MACRON: 56.9, LE_PEN: 43.1})],
        ),
        # regional daily: no space before the colon
        (
            "La candidate a voté à Hénin-Beaumont. Aisne: Marine Le Pen 52,91 %, "
            "Emmanuel Macron 47,09 %.",
            [("Aisne", {LE_PEN: 52.91, MACRON: 47.09})],
        ),
        # TV channel: after a quotation that ends on "!"
        (
            "« C'est une victoire ! » Pas-de-Calais : Marine Le Pen 52,05 %, "
            "Emmanuel Macron 47,95 %.",
            [("Pas-de-Calais", {LE_PEN: 52.05, MACRON: 47.95})],
        ),
        # national figures first, then a label: each keeps its own
        (
            "Au niveau national, Emmanuel Macron obtient 66,10 %. Paris : 89,68 % pour "
            "Emmanuel Macron.",
            [("national", {MACRON: 66.1}), ("Paris", {MACRON: 89.68})],
        ),
    ],
)
def test_a_label_opening_a_sentence_places_its_figures(
    text: str, expected: list[tuple[str, dict[str, float]]]
) -> None:
    assert scopes(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # a name inside a sentence, not opening it: not a label
        "Le score de Marine Le Pen dans le bassin minier, Nord : un fief, reste à 33,90 %.",
        # after a semicolon: not a sentence start
        "Marine Le Pen obtient 33,90 % ; Nord : une surprise.",
        # a name that opens a sentence without a colon is no label
        "Emmanuel Macron obtient 66,10 %. Nord et Pas-de-Calais restent indécis.",
    ],
)
def test_a_name_that_is_no_label_places_nothing(text: str) -> None:
    assert not any(mention.locative for mention in find_departements(text))
    assert all(scope == "national" for scope, _ in scopes(text))
