"""Official codes for the scopes results are given for, so that a map joins on them. Pure.

- ``national``: ``FR``, ``iso-3166-1`` (France);
- a département (``ingest/extraction/departements.tsv``): ``42``, ``2A``, ``insee-departement``;
- a région (the 18 régions since 2016, :data:`ingest.extraction.territories.REGIONS`): ``84``,
  ``insee-region``;
- an overseas collectivité (:data:`ingest.extraction.territories.COLLECTIVITES`): ``987``,
  ``insee-collectivite``;
- the French abroad as a whole (``Français de l'étranger``): ``ZZ``, ``interieur-resultats``
  (the code the Ministry of the Interior's result files give them);
- a country (abroad): ``BE``, ``iso-3166-1``;
- anything else (Lyon, Marseille, a name a source gives): none.

Names are matched whole, without accents, case, hyphens or apostrophes (``Auvergne Rhone
Alpes`` is 84). The level (département, outre-mer, étranger, région) is the board's own
(:func:`ticker.board.scope_levels.scope_level`); this module only adds the codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from ingest.extraction.departements import departement_named, fold_text
from ingest.extraction.territories import ABROAD, COLLECTIVITES, REGIONS

__all__ = ["ScopeCode", "scope_code"]

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
_COLLECTIVITE_BY_KEY: Final = {_key(name): code for code, name in COLLECTIVITES}
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
    if key in _COLLECTIVITE_BY_KEY:
        return ScopeCode(_COLLECTIVITE_BY_KEY[key], "insee-collectivite")
    if key == _key(ABROAD):
        return ScopeCode("ZZ", "interieur-resultats")
    if key in _COUNTRY_BY_KEY:
        return ScopeCode(_COUNTRY_BY_KEY[key], "iso-3166-1")
    return None
