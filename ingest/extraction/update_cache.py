"""Updates built from text, memoised: a poll re-reads the same entries again and again.

Extraction (:func:`ingest.extraction.extract.extract`) is pure and costs far more than fetching a
page, and a liveblog poll shows the same 20 entries as the poll before it.
:func:`update_from_text_cached` builds each (source, key, time, text) once with
:func:`ingest.extraction.entries.update_from_text` and hands back copies stamped with the poll's
``seen``. Pure (the cache only saves work).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Final

from ingest.extraction.entries import update_from_text
from ingest.model.night import Night
from ingest.model.update import Update

__all__ = ["CACHE_SIZE", "update_from_text_cached"]

#: Entries remembered: a whole night of every source, many times over.
CACHE_SIZE: Final = 8192
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


@lru_cache(maxsize=CACHE_SIZE)
def _built(source: str, key: str, at: datetime, text: str, night: Night) -> Update:
    return update_from_text(source=source, key=key, at=at, text=text, night=night, seen=_EPOCH)


def update_from_text_cached(
    *, source: str, key: str, at: datetime, text: str, night: Night, seen: datetime
) -> Update:
    """What :func:`ingest.extraction.entries.update_from_text` gives, built once per distinct
    entry."""
    return replace(_built(source, key, at, text, night), seen=seen)
