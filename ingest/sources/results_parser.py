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
from ingest.model.instants import local_instant
from ingest.model.night import Night
from ingest.model.update import Figures, Kind, Update, UpdateError, parse_instant, parse_round
from ingest.sources.skipped_items import SkippedItems, SkipReason

__all__ = ["ResultsPage", "ResultsParseError", "parse_results"]

_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,119}")


class ResultsParseError(SoireeError, ValueError):
    """The document is not the results JSON at all (not JSON, or no ``checkpoints`` list)."""


@dataclass(frozen=True, slots=True)
class ResultsPage:
    """The updates of one results document, and what was wrong with checkpoints left out."""

    updates: list[Update]
    problems: list[str] = field(default_factory=list)
    #: Checkpoints left out, by :class:`ingest.sources.skipped_items.SkipReason`.
    skipped: dict[str, int] = field(default_factory=dict)


def _checkpoint(raw: object, *, source: str, night: Night, seen: datetime) -> Update:
    if not isinstance(raw, Mapping):
        raise UpdateError("expected a JSON object")
    id_ = raw.get("id")
    if not isinstance(id_, str) or not _ID.fullmatch(id_):
        shown = repr(id_[:40]) if isinstance(id_, str) else f"a JSON {type(id_).__name__}"
        raise UpdateError(f"id: expected letters, digits, '.', '_' or '-', got {shown}")
    kind_raw = raw.get("kind")
    if not isinstance(kind_raw, str) or kind_raw not in {kind.value for kind in Kind}:
        shown = repr(kind_raw[:40]) if isinstance(kind_raw, str) else "none"
        raise UpdateError(f"{id_}: unknown kind {shown}")
    kind = Kind(kind_raw)
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        raise UpdateError(f"{id_}: text must be a non-empty string")
    raw_round = raw.get("round")
    round_ = None if raw_round is None else parse_round(raw_round, field_name=f"{id_}: round")
    published = parse_instant(raw.get("published"), field_name=f"{id_}: published")
    return update_from_checkpoint(
        source=source,
        key=id_,
        at=local_instant(published, night.timezone, field_name=f"{id_}: published"),
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
    except RecursionError:
        raise ResultsParseError(
            "JSON nested deeper than the parser's limit (about 1,000 levels)"
        ) from None
    if not isinstance(document, Mapping):
        raise ResultsParseError("expected a JSON object with a 'checkpoints' list")
    checkpoints = document.get("checkpoints")
    if not isinstance(checkpoints, list):
        raise ResultsParseError("no 'checkpoints' list in the document")
    updates: list[Update] = []
    skipped = SkippedItems()
    named = document.get("night")
    if isinstance(named, str) and named != night.slug:
        skipped.note(f"the document is for night {named!r}, not {night.slug!r}")
    keys: set[str] = set()
    for index, raw in enumerate(checkpoints):
        try:
            update = _checkpoint(raw, source=source, night=night, seen=seen)
        except UpdateError as error:
            skipped.skip(SkipReason.INVALID, f"checkpoint {index + 1}: {error}")
            continue
        if update.uid in keys:
            skipped.skip(
                SkipReason.DUPLICATE_KEY,
                f"checkpoint {index + 1}: {update.uid} appears twice; first kept",
            )
            continue
        keys.add(update.uid)
        updates.append(update)
    return ResultsPage(updates=updates, problems=skipped.problems, skipped=skipped.counts)
