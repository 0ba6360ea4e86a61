"""The ticker's colours and labels: one place to retune what the newsroom sees. Pure.

Colours are the 16 standard ones (they read on any terminal and any theme, light or dark);
meaning never rests on colour alone, so a ``NO_COLOR`` terminal shows the same words: every
badge carries its label, every state its symbol.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

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
