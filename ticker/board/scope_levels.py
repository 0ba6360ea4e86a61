"""What kind of place a scope of the board is (``département``, ``outre-mer``, ``région`` ...).
Pure.
"""

from __future__ import annotations

from typing import Final

from ingest.extraction.departements import departement_named
from ingest.extraction.territories import territory_level
from ingest.model.night import fold

__all__ = ["LOCAL_LEVELS", "scope_level"]


def scope_level(scope: str) -> str:
    """What kind of place a scope is: ``département``, ``outre-mer``, ``étranger``, ``ville``
    (Lyon, Marseille) or ``région`` (a région, or any other name a source gives)."""
    departement = departement_named(scope)
    if departement is not None:
        return "outre-mer" if departement.code.startswith("97") else "département"
    level = territory_level(scope)
    if level is not None:
        return level
    folded = fold(scope).casefold()
    if "etranger" in folded or "hors de france" in folded:
        return "étranger"
    if "outre-mer" in folded or "outre mer" in folded:
        return "outre-mer"
    return "région"


#: The board's level of a place of the night file, by its ``scope_kind``.
LOCAL_LEVELS: Final = {"commune": "commune", "canton": "canton", "constituency": "circonscription"}
