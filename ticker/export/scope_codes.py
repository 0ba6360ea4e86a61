"""Official codes for the scopes results are given for, so that a map joins on them. Pure.

========================  ==================  =================================================
scope                     ``code``            ``code_system``
========================  ==================  =================================================
``national``              ``FR``              ``iso-3166-1`` (France)
a département             ``42``, ``2A``      ``insee-departement``
(``ingest/extraction/departements.tsv``) a région                  ``84``
``insee-region`` (the 18 régions since 2016) a country (abroad)        ``BE``
``iso-3166-1`` anything else             none                none
========================  ==================  =================================================

Names are matched whole, without accents, case, hyphens or apostrophes (``Auvergne Rhone
Alpes`` is 84). The level (département, outre-mer, étranger, région) is the board's own
(:func:`ticker.board.night_board.scope_level`); this module only adds the codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from ingest.extraction.departements import departement_named, fold_text

__all__ = ["ScopeCode", "scope_code"]

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

#: Countries where the primary had polling stations for French voters abroad (ISO 3166-1).
COUNTRIES: Final = (
    ("DE", "Allemagne"),
    ("BE", "Belgique"),
    ("CA", "Canada"),
    ("ES", "Espagne"),
    ("US", "États-Unis"),
    ("GB", "Royaume-Uni"),
    ("IL", "Israël"),
    ("IT", "Italie"),
    ("LU", "Luxembourg"),
    ("MA", "Maroc"),
    ("CH", "Suisse"),
    ("TN", "Tunisie"),
)

_SEPARATORS: Final = re.compile(r"[\s\-\u2010\u2011\u2013'\u2019]+")


@dataclass(frozen=True, slots=True)
class ScopeCode:
    """A scope's official code and the code list it belongs to."""

    code: str
    system: str


def _key(name: str) -> str:
    return " ".join(_SEPARATORS.split(fold_text(name.strip())[0])).strip()


_REGION_BY_KEY: Final = {_key(name): code for code, name in REGIONS}
_COUNTRY_BY_KEY: Final = {_key(name): code for code, name in COUNTRIES}


def scope_code(scope: str) -> ScopeCode | None:
    """The official code of ``scope`` (see the module docstring), or None if it has none."""
    if scope == "national":
        return ScopeCode("FR", "iso-3166-1")
    departement = departement_named(scope)
    if departement is not None:
        return ScopeCode(departement.code, "insee-departement")
    key = _key(scope)
    if key in _REGION_BY_KEY:
        return ScopeCode(_REGION_BY_KEY[key], "insee-region")
    if key in _COUNTRY_BY_KEY:
        return ScopeCode(_COUNTRY_BY_KEY[key], "iso-3166-1")
    return None
