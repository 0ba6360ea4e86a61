"""From a source's raw entry to an update: the one place where uids, text and extraction meet.

Pollers (liveblog, feed, results) and the replay build their updates here, so that the same
entry gives the same update whichever way it arrives: that is what lets a replay through the
emulated sources and a replay straight into the stream be compared update for update.
Pure: no I/O.
"""

from __future__ import annotations

from datetime import datetime

from ingest.extraction.extract import extract
from ingest.model.night import Night
from ingest.model.text_cleaning import clean_text
from ingest.model.update import Figures, Kind, Update

__all__ = ["article_text", "entry_uid", "update_from_checkpoint", "update_from_text"]


def entry_uid(source: str, key: str) -> str:
    """The uid of entry ``key`` of ``source``: stable across polls and edits."""
    return f"{source}:{key}"


def article_text(title: str | None, body: str) -> str:
    """An article's update text: its title (when it has one) above its body."""
    title = clean_text(title or "")
    body = clean_text(body)
    if not title or body.startswith(title):
        return body
    return f"{title}\n\n{body}" if body else title


def update_from_text(
    *,
    source: str,
    key: str,
    at: datetime,
    text: str,
    night: Night,
    seen: datetime,
) -> Update:
    """An update for a piece of free text (a liveblog entry, an article): kind and figures
    come from extraction over the cleaned text."""
    plain = clean_text(text)
    found = extract(plain, night)
    return Update(
        uid=entry_uid(source, key),
        at=at,
        source=source,
        kind=found.kind,
        text=plain,
        seen=seen,
        speaker=found.speaker,
        figures=found.figures,
        round=found.round,
    )


def update_from_checkpoint(
    *,
    source: str,
    key: str,
    at: datetime,
    kind: Kind,
    figures: Figures,
    text: str,
    round_: int | None,
    seen: datetime,
) -> Update:
    """An update for a structured results checkpoint: figures are given, not extracted."""
    return Update(
        uid=entry_uid(source, key),
        at=at,
        source=source,
        kind=kind,
        text=clean_text(text),
        seen=seen,
        figures=figures,
        round=round_,
    )
