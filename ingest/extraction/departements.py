"""The official list of French départements, and finding them in French text.

The list (INSEE code and official name, 101 départements) ships as ``departements.tsv`` next to
this module and is loaded once, with :mod:`importlib.resources`, so it is found the same way in
a checkout, an editable install and a wheel.

:func:`find_departements` recognises a département by its whole name, with or without accents,
hyphens or apostrophes (``Deux Sèvres``, ``Deux-Sevres``, ``Bouches-du-Rhône``), longest name
first, and never inside a longer name (``Loire`` is not found in ``Haute-Loire``,
``Loire-Atlantique`` or ``Saône-et-Loire``, nor ``Garonne`` in ``Haute-Garonne``). The name must
carry a capital letter in the text (``en somme`` is not the Somme).

Each mention says whether it is *locative*: it places what the sentence says in the département
("dans la Loire", "en Aveyron", "dans les Yvelines", "du département de la Loire", or a line
or a sentence that opens with the name and a colon as a label: "Vienne : ...", "... fait le
plein. Val-de-Marne : Emmanuel Macron 80,32 %"). Extraction scopes figures by
locative mentions only: "le député des Yvelines" names a département without placing anything
in it. Names that are also common words, rivers, cities or regions (``Lot``, ``Var``, ``Nord``,
``Loire``, ``Vienne``, ``Paris``...) are reported only in a locative context.

:func:`fold_text` (accent- and case-insensitive text with a map back to the original offsets)
is shared with the rest of extraction.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Final

__all__ = [
    "AMBIGUOUS_NAMES",
    "Departement",
    "DepartementMention",
    "departement_by_code",
    "departement_named",
    "departements",
    "find_departements",
    "fold_text",
]

DATA_FILE: Final = "departements.tsv"
EXPECTED_COUNT: Final = 101

# Names that are also common words ("lot", "var", "cher", "somme", "manche"), rivers
# ("Loire", "Rhône", "Marne"), cities ("Vienne", "Paris") or regions ("Savoie", "Nord"): found only
# where the text places something in them.
AMBIGUOUS_NAMES: Final = frozenset(
    {
        "Ain",
        "Allier",
        "Aube",
        "Aude",
        "Calvados",
        "Charente",
        "Cher",
        "Creuse",
        "Dordogne",
        "Doubs",
        "Drôme",
        "Essonne",
        "Eure",
        "Gard",
        "Gers",
        "Gironde",
        "Guyane",
        "Indre",
        "Isère",
        "Jura",
        "Landes",
        "Loire",
        "Lot",
        "Manche",
        "Marne",
        "Mayenne",
        "Meuse",
        "Moselle",
        "Nord",
        "Oise",
        "Orne",
        "Paris",
        "Rhône",
        "Sarthe",
        "Savoie",
        "Somme",
        "Tarn",
        "Var",
        "Vendée",
        "Vienne",
        "Vosges",
        "Yonne",
    }
)
# Islands take "à" ("à Mayotte", "à La Réunion"), and so does Paris, a city and a département
# ("À Paris, Benoît Hamon obtient ..."); the others "en" or "dans le/la/les".
_TAKES_A: Final = frozenset({"Mayotte", "La Réunion", "Paris"})

_NAME_SEPARATOR: Final = r"[\s\-\u2010\u2011\u2013'\u2019]+"
_LOCATIVE_BEFORE: Final = re.compile(
    r"(?:\b(?:dans|en)\s+(?:(?:le|la|les)\s+|l['\u2019]\s*)?"
    r"|\bdepartements?\s+(?:de\s+(?:la\s+|l['\u2019]\s*)?|du\s+|des\s+|d['\u2019]\s*))$"
)
_A_BEFORE: Final = re.compile(r"\ba\s+$")
_HEADING_AFTER: Final = re.compile(r"[^\S\n]*:")


@dataclass(frozen=True, slots=True)
class Departement:
    """A French département: its INSEE code (``"42"``, ``"2A"``, ``"974"``) and official name."""

    code: str
    name: str


@dataclass(frozen=True, slots=True)
class DepartementMention:
    """Where a text names a département; ``locative`` when it places something in it."""

    departement: Departement
    start: int
    end: int
    locative: bool


# One extraction folds the same text in each of its readers (mentions, places, territories,
# rounds): the last few texts are kept (the result is immutable).
@lru_cache(maxsize=8)
def fold_text(text: str) -> tuple[str, tuple[int, ...]]:
    """``text`` casefolded and without accents, and for each folded character its source index.

    ``"Benoît"`` folds to ``"benoit"``; a match ``[i, j)`` in the folded text covers
    ``[offsets[i], offsets[j - 1] + 1)`` in ``text``.
    """
    folded: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        if char.isascii():
            folded.append(char.lower())
            offsets.append(index)
            continue
        for piece in unicodedata.normalize("NFKD", char.casefold()):
            if not unicodedata.combining(piece):
                folded.append(piece)
                offsets.append(index)
    return "".join(folded), tuple(offsets)


def _fold(text: str) -> str:
    return fold_text(text)[0]


def _parse_table(raw: str) -> tuple[Departement, ...]:
    rows: list[Departement] = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        code, separator, name = line.partition("\t")
        if not separator or not code or not name or "\t" in name:
            raise ValueError(f"{DATA_FILE}:{number}: expected 'code<TAB>name', got {line!r}")
        rows.append(Departement(code=code.strip(), name=name.strip()))
    if len(rows) != EXPECTED_COUNT or len({row.code for row in rows}) != EXPECTED_COUNT:
        raise ValueError(f"{DATA_FILE}: expected {EXPECTED_COUNT} distinct départements")
    return tuple(rows)


@cache
def departements() -> tuple[Departement, ...]:
    """The 101 départements, in the order of their codes."""
    raw = resources.files(__package__ or "ingest.extraction").joinpath(DATA_FILE).read_text("utf-8")
    return _parse_table(raw)


@cache
def _by_key() -> dict[str, Departement]:
    return {_key(item.name): item for item in departements()}


def _key(name: str) -> str:
    return " ".join(re.split(_NAME_SEPARATOR, _fold(name).strip()))


def departement_by_code(code: str) -> Departement | None:
    """The département with INSEE code ``code`` (``"2a"`` and ``"2A"`` alike), or None."""
    wanted = code.strip().upper()
    if wanted.isdigit() and len(wanted) == 1:
        wanted = "0" + wanted
    return next((item for item in departements() if item.code == wanted), None)


def departement_named(name: str) -> Departement | None:
    """The département that ``name`` designates (``"Deux Sevres"`` -> Deux-Sèvres), or None."""
    return _by_key().get(_key(name))


@cache
def _name_pattern() -> re.Pattern[str]:
    """One alternation of every folded name, longest first, never inside a longer name."""
    names = sorted(departements(), key=lambda item: len(item.name), reverse=True)
    alternatives = [
        _NAME_SEPARATOR.join(re.escape(part) for part in re.split(_NAME_SEPARATOR, _fold(n.name)))
        for n in names
    ]
    return re.compile(r"(?<![\w\-])(?:" + "|".join(alternatives) + r")(?![\w\-])")


#: What may close the sentence before a label: "… fait le plein. Val-de-Marne : …".
_SENTENCE_END: Final = re.compile(r"[.!?](?:[^\S\n]*[\u00bb\"\u201d)])?[^\S\n]+$")


def _opens_line(folded: str, start: int) -> bool:
    """Whether ``start`` opens a line or a sentence (after "." "!" or "?" and a space)."""
    line_start = folded.rfind("\n", 0, start) + 1
    before = folded[line_start:start]
    return not before.strip() or _SENTENCE_END.search(before) is not None


def _is_locative(folded: str, start: int, end: int, departement: Departement) -> bool:
    window = max(0, start - 40)
    if _LOCATIVE_BEFORE.search(folded, window, start):
        return True
    if departement.name in _TAKES_A and _A_BEFORE.search(folded, window, start):
        return True
    return _opens_line(folded, start) and bool(_HEADING_AFTER.match(folded, end))


def find_departements(text: str) -> list[DepartementMention]:
    """Every mention of a département in ``text``, in order (see the module docstring)."""
    folded, offsets = fold_text(text)
    found: list[DepartementMention] = []
    for match in _name_pattern().finditer(folded):
        start, end = offsets[match.start()], offsets[match.end() - 1] + 1
        if not any(char.isupper() for char in text[start:end]):
            continue
        departement = _by_key()[_key(match.group())]
        locative = _is_locative(folded, match.start(), match.end(), departement)
        if departement.name in AMBIGUOUS_NAMES and not locative:
            continue
        found.append(DepartementMention(departement, start, end, locative))
    return found
