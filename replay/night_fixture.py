"""A night's fixtures as values: the liveblog, the articles and the results checkpoints.

A night lives in ``fixtures/<slug>/`` (see ``fixtures/2017-01-29/README.md``)::

    night.toml         the night's configuration (ingest.model.night)
    liveblog.json      the liveblog's entries, oldest first, with their times
    articles.json      the feed's articles, with their publication times (estimated ones marked)
    checkpoints.json   the results endpoint's turnout and count checkpoints

Every record names the seed text it comes from, or says it was written for soiree (``"seed":
"written"``: then the night's ``README.md`` must say so). This module holds the values and the
names of the files; :mod:`replay.fixtures` finds and loads a night (with
:mod:`replay.fixture_files`, one reader per file, and :mod:`replay.fixture_fields`, the strict
reading of a record). Pure: no I/O at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from ingest.model.errors import SoireeError
from ingest.model.night import Night
from ingest.model.update import Figures, Kind

__all__ = [
    "ARTICLES_FILE",
    "CHECKPOINTS_FILE",
    "CHECKPOINT_KINDS",
    "INTRO_KEY",
    "LIVEBLOG_FILE",
    "README_FILE",
    "WRITTEN",
    "WRITTEN_NOTICE",
    "Article",
    "Checkpoint",
    "FixtureError",
    "LiveblogEntry",
    "NightFixture",
]

LIVEBLOG_FILE: Final = "liveblog.json"
ARTICLES_FILE: Final = "articles.json"
CHECKPOINTS_FILE: Final = "checkpoints.json"

#: The kinds a results endpoint publishes.
CHECKPOINT_KINDS: Final = (Kind.TURNOUT, Kind.COUNT)

#: The key of the liveblog's text above its timestamped entries.
INTRO_KEY: Final = "intro"

#: The ``seed`` of a record written for soiree rather than taken from a seed text.
WRITTEN: Final = "written"
#: What the README of a night holding written records must say (case aside).
WRITTEN_NOTICE: Final = "written for soiree"
README_FILE: Final = "README.md"


class FixtureError(SoireeError, ValueError):
    """A night's fixtures are missing, unreadable or inconsistent; the message says where."""


@dataclass(frozen=True, slots=True)
class LiveblogEntry:
    """One liveblog entry: its key, its time as written, its instant and its text.

    ``key`` is ``HHMM`` (``"2041"``), ``HHMM-2`` for a second entry at the same minute, or
    ``"intro"`` for the text above the timestamped entries (then ``intro`` is true).
    """

    key: str
    time_written: str
    at: datetime
    text: str
    seed: str
    intro: bool = False


@dataclass(frozen=True, slots=True)
class Article:
    """One feed article, with its publication time (``published_estimated`` if no seed gives it)."""

    guid: str
    seed: str
    title: str | None
    published: datetime
    published_estimated: bool
    estimate_reason: str | None
    round: int
    text: str


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One results-endpoint checkpoint: turnout or count figures, and when they became known.

    ``at`` is the time the figures refer to (``12:00`` for the turnout "à midi"); ``published``
    is when the endpoint shows them (never before a seed could know them). ``at_estimated``
    marks a checkpoint whose times no seed gives; ``estimate_reason`` says why they were chosen.
    """

    id: str
    at: datetime
    at_estimated: bool
    published: datetime
    kind: Kind
    round: int
    figures: Figures
    text: str
    seed: str
    quote: str
    estimate_reason: str | None = None


@dataclass(frozen=True, slots=True)
class NightFixture:
    """A night and its three sources' data, each in the order the night published it."""

    night: Night
    directory: Path
    liveblog_source: str
    liveblog: tuple[LiveblogEntry, ...]
    feed_source: str
    articles: tuple[Article, ...]
    results_source: str
    checkpoints: tuple[Checkpoint, ...]
