"""The ticker's colours and labels: one place to retune what the newsroom sees. Pure.

Colours are the 16 standard ones (they read on any terminal and any theme, light or dark);
meaning never rests on colour alone, so a ``NO_COLOR`` terminal shows the same words: every
badge carries its label, every state its symbol. A candidate's own colour (night file,
``hello``) is a true colour used only on its share bar, beside its figure written as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from rich.color import Color
from rich.style import Style

from ingest.model.update import Kind

__all__ = [
    "BADGE_WIDTH",
    "BORDER",
    "CANDIDATE_STYLES",
    "DELETED",
    "ERROR",
    "FRESH",
    "FRESH_SECONDS",
    "MUTED",
    "OK",
    "TITLE",
    "WARNING",
    "Badge",
    "badge_of",
    "candidate_style",
    "hex_style",
]


@dataclass(frozen=True, slots=True)
class Badge:
    """How one kind of update is labelled in the feed."""

    label: str
    style: str


_BADGES: Final[dict[Kind, Badge]] = {
    Kind.COUNT: Badge("RÉSULTATS", "bold black on green"),
    Kind.ESTIMATE: Badge("ESTIMATION", "bold black on yellow"),
    Kind.TURNOUT: Badge("PARTICIP.", "bold black on cyan"),
    Kind.SPEECH: Badge("DISCOURS", "bold white on blue"),
    Kind.RALLY: Badge("RALLIEMENT", "bold white on magenta"),
    Kind.MILESTONE: Badge("ÉTAPE", "bold black on white"),
    Kind.NEWS: Badge("INFO", "white on bright_black"),
    Kind.ALERT: Badge("ALERTE", "bold white on red"),
}

#: Width of the badge column: the longest label and a space either side.
BADGE_WIDTH: Final = max(len(badge.label) for badge in _BADGES.values()) + 2


def badge_of(kind: Kind) -> Badge:
    """The badge of ``kind``."""
    return _BADGES[kind]


#: Candidates' colours, in the order candidates first appear in the night's figures.
CANDIDATE_STYLES: Final = ("magenta", "cyan", "yellow", "green", "blue", "red")


#: A night file's candidate colour, as ``hello`` and the night file give it: ``#rrggbb``.
_HEX_COLOUR: Final = re.compile(r"#[0-9a-f]{6}")


def hex_style(colour: object) -> Style | None:
    """The style of a candidate's colour (``"#3a6ea5"``), built from its three numbers, never
    parsed as markup; None for anything but a six-digit lower-case hex colour."""
    if not isinstance(colour, str) or _HEX_COLOUR.fullmatch(colour) is None:
        return None
    red, green, blue = (int(colour[start : start + 2], 16) for start in (1, 3, 5))
    return Style(color=Color.from_rgb(red, green, blue))


def candidate_style(index: int) -> str:
    """The colour of the ``index``-th candidate to appear (cycling past the palette)."""
    return CANDIDATE_STYLES[index % len(CANDIDATE_STYLES)]


#: How long something new stays highlighted, in seconds.
FRESH_SECONDS: Final = 8.0

# Styles shared by several panels.
TITLE: Final = "bold"
MUTED: Final = "dim"
FRESH: Final = "bold reverse"
DELETED: Final = "dim strike"
OK: Final = "green"
WARNING: Final = "yellow"
ERROR: Final = "bold red"
BORDER: Final = "bright_black"
#: The alert banner (docs/alerts.md).
ALERT: Final = "bold white on red"
