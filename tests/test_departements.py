"""The list of French départements and their recognition in French text."""

from __future__ import annotations

from importlib import resources

import pytest

from ingest.extraction.departements import (
    AMBIGUOUS_NAMES,
    departement_by_code,
    departement_named,
    departements,
    find_departements,
    fold_text,
)


def test_the_list_has_the_101_departements() -> None:
    """101 départements, distinct codes and names: 96 in mainland France and Corsica, 5 overseas."""
    items = departements()
    assert len(items) == 101
    assert len({item.code for item in items}) == 101
    assert len({item.name for item in items}) == 101
    assert sum(len(item.code) == 3 for item in items) == 5
    assert departement_by_code("20") is None


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("01", "Ain"),
        ("12", "Aveyron"),
        ("13", "Bouches-du-Rhône"),
        ("2A", "Corse-du-Sud"),
        ("2B", "Haute-Corse"),
        ("21", "Côte-d'Or"),
        ("42", "Loire"),
        ("46", "Lot"),
        ("75", "Paris"),
        ("78", "Yvelines"),
        ("79", "Deux-Sèvres"),
        ("83", "Var"),
        ("86", "Vienne"),
        ("90", "Territoire de Belfort"),
        ("974", "La Réunion"),
        ("976", "Mayotte"),
    ],
)
def test_official_names_by_code(code: str, name: str) -> None:
    """Codes give the official INSEE names."""
    found = departement_by_code(code)
    assert found is not None
    assert found.name == name


def test_codes_are_read_leniently() -> None:
    """Codes are read leniently: "2a" is 2A and "1" is 01."""
    assert departement_by_code("2a") == departement_by_code("2A")
    assert departement_by_code("1") == departement_by_code("01")


def test_data_file_ships_inside_the_package() -> None:
    """The TSV sits inside the ingest package, so a wheel carries it."""
    assert resources.files("ingest.extraction").joinpath("departements.tsv").is_file()


def test_ambiguous_names_are_departements() -> None:
    """Every name listed as ambiguous is the name of a département."""
    names = {item.name for item in departements()}
    assert names >= AMBIGUOUS_NAMES


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("Deux Sèvres", "Deux-Sèvres"),
        ("deux-sevres", "Deux-Sèvres"),
        ("BOUCHES DU RHONE", "Bouches-du-Rhône"),
        ("Cote d\u2019Or", "Côte-d'Or"),
        ("Haute Garonne", "Haute-Garonne"),
        ("la reunion", "La Réunion"),
    ],
)
def test_names_without_accents_or_hyphens(written: str, name: str) -> None:
    """Names are recognised whatever their accents, case, hyphens or apostrophes."""
    found = departement_named(written)
    assert found is not None
    assert found.name == name


def mentions(text: str) -> list[tuple[str, str, bool]]:
    """(official name, text as written, locative) of every mention."""
    return [
        (m.departement.name, text[m.start : m.end], m.locative) for m in find_departements(text)
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("En Aveyron, Benoit Hamon l'emporte", [("Aveyron", "Aveyron", True)]),
        ("Dans le Lot, où Manuel Valls", [("Lot", "Lot", True)]),
        ("Dans la Loire les résultats", [("Loire", "Loire", True)]),
        (
            "En Vienne comme en Deux Sèvres",
            [("Vienne", "Vienne", True), ("Deux-Sèvres", "Deux Sèvres", True)],
        ),
        ("Dans la Vienne là aussi", [("Vienne", "Vienne", True)]),
        ("Dans le Var, c'est Manuel Valls", [("Var", "Var", True)]),
        (
            "Dans les Bouches-du-Rhône Benoît Hamon",
            [("Bouches-du-Rhône", "Bouches-du-Rhône", True)],
        ),
        ("Trappes dans les Yvelines", [("Yvelines", "Yvelines", True)]),
        ("du département de la Loire", [("Loire", "Loire", True)]),
        ("Vienne : Benoit Hamon devance Manuel Valls", [("Vienne", "Vienne", True)]),
        ("Deux Sèvres : Hamon en tête", [("Deux-Sèvres", "Deux Sèvres", True)]),
        (
            "à la Réunion et à Mayotte",
            [("La Réunion", "la Réunion", True), ("Mayotte", "Mayotte", True)],
        ),
    ],
)
def test_locative_mentions(text: str, expected: list[tuple[str, str, bool]]) -> None:
    """Locative phrases ("dans la", "en", "département de", "Name :") place things there."""
    assert mentions(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Le député des Yvelines", [("Yvelines", "Yvelines", False)]),
        ("sa permanence de Haute-Garonne", [("Haute-Garonne", "Haute-Garonne", False)]),
        ("Dans la Haute-Loire", [("Haute-Loire", "Haute-Loire", True)]),
        (
            "en Loire-Atlantique et en Saône-et-Loire",
            [
                ("Loire-Atlantique", "Loire-Atlantique", True),
                ("Saône-et-Loire", "Saône-et-Loire", True),
            ],
        ),
        ("en Lot-et-Garonne", [("Lot-et-Garonne", "Lot-et-Garonne", True)]),
        ("en Haute Vienne", [("Haute-Vienne", "Haute Vienne", True)]),
    ],
)
def test_longest_name_wins_and_genitives_are_not_locative(
    text: str, expected: list[tuple[str, str, bool]]
) -> None:
    """A name inside a longer name is not found; a genitive mention is not locative."""
    assert mentions(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "un lot de consolation",
        "en somme, la manche est gagnée",
        "Le Lot est une rivière",
        "la Loire déborde à Nantes",
        "le Paris-Roubaix",
        "le Nord de la France",
        "Vienne, la capitale autrichienne",
        "qu'il vienne",
        "Pays de la Loire",
        "Rhône-Alpes",
    ],
)
def test_ambiguous_names_need_a_locative_context(text: str) -> None:
    """Lot, Loire, Paris, Nord, Vienne... are common words, rivers or cities without context."""
    assert mentions(text) == []


def test_fold_text_maps_back_to_the_original() -> None:
    """Folding removes accents and case, and maps every folded character to its source."""
    text = "Benoît ÉTÉ ﬁn"
    folded, offsets = fold_text(text)
    assert folded == "benoit ete fin"
    assert len(offsets) == len(folded)
    assert text[offsets[folded.index("ete")]] == "É"
    assert offsets[-1] == len(text) - 1
