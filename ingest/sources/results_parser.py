"""A results endpoint's JSON to updates: one per turnout or count checkpoint. Pure.

The shape is ``docs/sources.md`` ("Results")::

    {"night": "2017-01-29", "updated": "...", "latest": {...},
     "checkpoints": [{"id": "turnout-1200", "published": "2017-01-29T13:05:00+01:00",
                      "kind": "turnout", "round": 2, "text": "...", "figures": {...}}, ...]}

Each checkpoint becomes ``uid = <source>:<id>``, ``at = published`` (in the night's time zone),
``kind``, ``round``, ``figures`` (validated by :meth:`ingest.model.update.Figures.from_json`) and
``text`` as given (cleaned). ``latest`` only repeats a checkpoint and is not read. A checkpoint
that does not validate is left out and reported; the others still count.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from ingest.extraction.entries import update_from_checkpoint
from ingest.model.errors import SoireeError
from ingest.model.night import Night
from ingest.model.update import Figures, Kind, Update, UpdateError, parse_instant

__all__ = ["ResultsPage", "ResultsParseError", "parse_results"]

_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,119}")


class ResultsParseError(SoireeError, ValueError):
    """The document is not the results JSON at all (not JSON, or no ``checkpoints`` list)."""


@dataclass(frozen=True, slots=True)
class ResultsPage:
    """The updates of one results document, and what was wrong with checkpoints left out."""

    updates: list[Update]
    problems: list[str] = field(default_factory=list)


def _checkpoint(raw: object, *, source: str, night: Night, seen: datetime) -> Update:
    if not isinstance(raw, Mapping):
        raise UpdateError("expected a JSON object")
    id_ = raw.get("id")
    if not isinstance(id_, str) or not _ID.fullmatch(id_):
        raise UpdateError(f"id: expected letters, digits, '.', '_' or '-', got {id_!r}")
    kind_raw = raw.get("kind")
    try:
        kind = Kind(str(kind_raw))
    except ValueError:
        raise UpdateError(f"{id_}: unknown kind {kind_raw!r}") from None
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        raise UpdateError(f"{id_}: text must be a non-empty string")
    round_ = raw.get("round")
    if round_ is not None and (isinstance(round_, bool) or round_ not in (1, 2)):
        raise UpdateError(f"{id_}: round must be 1 or 2")
    published = parse_instant(raw.get("published"), field_name=f"{id_}: published")
    return update_from_checkpoint(
        source=source,
        key=id_,
        at=published.astimezone(night.timezone),
        kind=kind,
        figures=Figures.from_json(raw.get("figures", {})),
        text=text,
        round_=round_,
        seen=seen,
    )


def parse_results(data: bytes | str, *, source: str, night: Night, seen: datetime) -> ResultsPage:
    """Parse the results JSON; raise :class:`ResultsParseError` if it is not that document."""
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise ResultsParseError(f"not JSON: {error}") from None
    if not isinstance(document, Mapping):
        raise ResultsParseError("expected a JSON object with a 'checkpoints' list")
    checkpoints = document.get("checkpoints")
    if not isinstance(checkpoints, list):
        raise ResultsParseError("no 'checkpoints' list in the document")
    updates: list[Update] = []
    problems: list[str] = []
    named = document.get("night")
    if isinstance(named, str) and named != night.slug:
        problems.append(f"the document is for night {named!r}, not {night.slug!r}")
    keys: set[str] = set()
    for index, raw in enumerate(checkpoints):
        try:
            update = _checkpoint(raw, source=source, night=night, seen=seen)
        except UpdateError as error:
            problems.append(f"checkpoint {index + 1}: {error}")
            continue
        if update.uid in keys:
            problems.append(f"checkpoint {index + 1}: {update.uid} appears twice; first kept")
            continue
        keys.add(update.uid)
        updates.append(update)
    return ResultsPage(updates=updates, problems=problems)
