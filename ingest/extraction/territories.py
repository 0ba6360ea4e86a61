"""Territories other than départements that results are given for: régions, overseas
collectivités, the three cities with a result of their own, the French abroad. Pure.

The lists are official: the 18 régions since 1 January 2016 with their INSEE codes (the five
overseas régions share their name with their département, which
:mod:`ingest.extraction.departements` finds), the overseas collectivités with their INSEE codes,
and Paris, Lyon and Marseille. Paris is a département (75) and a city: "à Paris" is the
département's scope, ``Paris`` (:mod:`ingest.extraction.departements`); Lyon and Marseille are
cities within the Rhône and the Bouches-du-Rhône, scopes of their own (``Lyon``, ``Marseille``).

:func:`find_territories` finds them where a text places something in them: "en Occitanie",
"dans les Hauts-de-France", "dans le Grand Est", "en région Nouvelle-Aquitaine", "à Lyon",
"à Marseille", "en Polynésie française", "à Saint-Pierre-et-Miquelon", "à Wallis-et-Futuna",
or a line that opens with the name and a colon ("Occitanie : ..."). The French abroad ("à
l'étranger", "de l'étranger", "hors de France", "expatriés") are one scope, :data:`ABROAD`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Final

from ingest.extraction.departements import fold_text

__all__ = [
    "ABROAD",
    "CITIES",
    "COLLECTIVITES",
    "REGIONS",
    "TerritoryMention",
    "find_territories",
    "territory_level",
]

#: The scope of the French abroad (the eleven constituencies of the French established abroad).
ABROAD: Final = "Français de l'étranger"

#: The régions (INSEE code, official name), 1 January 2016 onwards.
REGIONS: Final = (
    ("01", "Guadeloupe"),
    ("02", "Martinique"),
    ("03", "Guyane"),
    ("04", "La Réunion"),
    ("06", "Mayotte"),
    ("11", "Île-de-France"),
    ("24", "Centre-Val de Loire"),
    ("27", "Bourgogne-Franche-Comté"),
    ("28", "Normandie"),
    ("32", "Hauts-de-France"),
    ("44", "Grand Est"),
    ("52", "Pays de la Loire"),
    ("53", "Bretagne"),
    ("75", "Nouvelle-Aquitaine"),
    ("76", "Occitanie"),
    ("84", "Auvergne-Rhône-Alpes"),
    ("93", "Provence-Alpes-Côte d'Azur"),
    ("94", "Corse"),
)

#: Overseas collectivités and New Caledonia (INSEE code, name).
COLLECTIVITES: Final = (
    ("975", "Saint-Pierre-et-Miquelon"),
    ("977", "Saint-Barthélemy"),
    ("978", "Saint-Martin"),
    ("986", "Wallis-et-Futuna"),
    ("987", "Polynésie française"),
    ("988", "Nouvelle-Calédonie"),
)

#: The collectivités written with "à" ("à Saint-Martin", "à Wallis-et-Futuna"); the others take
#: "en" ("en Polynésie française", "en Nouvelle-Calédonie").
_TAKE_A: Final = frozenset(
    {"Saint-Pierre-et-Miquelon", "Saint-Barthélemy", "Saint-Martin", "Wallis-et-Futuna"}
)

#: Cities with a result of their own besides their département's (Paris is also département 75).
CITIES: Final = ("Lyon", "Marseille")

_SEPARATOR: Final = r"[\s\-\u2010\u2011\u2013'\u2019]+"
# The five overseas régions are found as départements; Corse takes "en".
_METROPOLITAN: Final = tuple(name for code, name in REGIONS if not code.startswith("0"))
_LOCATIVE: Final = r"\b(?:en|dans)\s+(?:(?:la|le|les)\s+|l['\u2019]\s*)?(?:r[eé]gion\s+)?"
_ABROAD: Final = re.compile(
    r"\b(?:de|à)\s+l['\u2019]étranger\b|\bhors\s+de\s+France\b|\bexpatriés\b", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class TerritoryMention:
    """Where a text places something in a territory, and the scope it names."""

    scope: str
    start: int
    end: int


def _alternation(names: tuple[str, ...]) -> str:
    folded = [fold_text(name)[0] for name in sorted(names, key=len, reverse=True)]
    return "|".join(_SEPARATOR.join(map(re.escape, re.split(_SEPARATOR, n))) for n in folded)


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], dict[str, str]], ...]:
    """(pattern over folded text, folded key -> official name), for each kind of territory."""
    areas = _METROPOLITAN + tuple(name for _, name in COLLECTIVITES)
    names_of = {_key(name): name for name in areas + CITIES}
    areas_pattern = re.compile(_LOCATIVE + r"(?P<name>" + _alternation(areas) + r")(?![\w\-])")
    cities_pattern = re.compile(r"\ba\s+(?P<name>" + _alternation(CITIES) + r")(?![\w\-])")
    collectivites = tuple(name for _, name in COLLECTIVITES if name in _TAKE_A)
    a_pattern = re.compile(r"\ba\s+(?P<name>" + _alternation(collectivites) + r")(?![\w\-])")
    # A line that opens with the name and a colon: "Occitanie : Macron en tête".
    heading = re.compile(
        r"^[^\S\n]*(?P<name>" + _alternation(areas + CITIES) + r")[^\S\n]*:", re.MULTILINE
    )
    return (
        (areas_pattern, names_of),
        (cities_pattern, names_of),
        (a_pattern, names_of),
        (heading, names_of),
    )


def _key(name: str) -> str:
    return " ".join(re.split(_SEPARATOR, fold_text(name)[0].strip()))


def find_territories(text: str) -> list[TerritoryMention]:
    """Every locative mention of a région, collectivité, city or the French abroad, in order."""
    folded, offsets = fold_text(text)
    found: list[TerritoryMention] = []
    for pattern, names in _patterns():
        for match in pattern.finditer(folded):
            start, end = offsets[match.start("name")], offsets[match.end("name") - 1] + 1
            if not text[start].isupper():
                continue
            name = names.get(_key(match["name"]))
            if name is not None:
                found.append(TerritoryMention(name, start, end))
    found += [TerritoryMention(ABROAD, m.start(), m.end()) for m in _ABROAD.finditer(text)]
    return sorted(found, key=lambda mention: mention.start)


def territory_level(scope: str) -> str | None:
    """``région``, ``outre-mer``, ``ville`` or ``étranger`` for a territory of these lists."""
    key = _key(scope)
    if key == _key(ABROAD):
        return "étranger"
    if key in {_key(name) for name in CITIES}:
        return "ville"
    if key in {_key(name) for _, name in COLLECTIVITES}:
        return "outre-mer"
    if key in {_key(name) for _, name in REGIONS}:
        return "région"
    return None
