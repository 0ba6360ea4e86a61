"""The documents a poller fetched and has not applied yet, oldest first, bounded.

Redis may be away (down, or hung) while a source keeps being polled: what each poll fetched is
kept here until it can be applied, so that an entry a page showed only meanwhile (a page of the
latest N entries moves on) is still appended, once. A document that shows the same entries as
the last one waiting only refreshes its version and validators. At most ``bound`` documents are
kept (:data:`MAX_KEPT_DOCUMENTS`); beyond, the oldest is dropped and counted.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

from ingest.extraction.entries import same_entry
from ingest.polling.fetch_result import Validators
from ingest.sources.parsed_document import ParsedDocument

__all__ = ["MAX_KEPT_DOCUMENTS", "FetchedDocument", "KeptDocuments"]

logger = logging.getLogger(__name__)

#: Documents kept per source while Redis cannot take them (beyond, the oldest is dropped): at
#: one poll every 5 s, over 20 minutes of outage, and only documents that differ count.
MAX_KEPT_DOCUMENTS: Final = 256


@dataclass(frozen=True, slots=True)
class FetchedDocument:
    """A document fetched and parsed, kept until it is applied (Redis may be away meanwhile)."""

    parsed: ParsedDocument
    version: int
    seen: datetime
    validators: Validators

    def same_entries(self, other: FetchedDocument) -> bool:
        """Whether both documents show the same entries with the same content."""
        mine, theirs = self.parsed.entries, other.parsed.entries
        return len(mine) == len(theirs) and all(
            same_entry(a, b) for a, b in zip(mine, theirs, strict=True)
        )


class KeptDocuments:
    """One source's queue of documents waiting to be applied, oldest first."""

    def __init__(self, source: str, *, bound: int = MAX_KEPT_DOCUMENTS) -> None:
        self.source = source
        self.bound = bound
        #: How many documents were dropped unapplied, over this queue's life.
        self.dropped = 0
        self._documents: deque[FetchedDocument] = deque()

    def __bool__(self) -> bool:
        return bool(self._documents)

    def __len__(self) -> int:
        return len(self._documents)

    def first(self) -> FetchedDocument:
        """The oldest document waiting (the queue must not be empty)."""
        return self._documents[0]

    def keep(self, document: FetchedDocument) -> bool:
        """Queue ``document`` after those waiting; whether the oldest was dropped for it."""
        documents = self._documents
        if documents and documents[-1].same_entries(document):
            # Nothing new since the last document waiting: remember only the newer validators.
            documents[-1] = replace(
                documents[-1], version=document.version, validators=document.validators
            )
            return False
        documents.append(document)
        if len(documents) <= self.bound:
            return False
        dropped = documents.popleft()
        self.dropped += 1
        logger.warning(
            "%s: Redis has been unavailable for too long: dropping the document fetched at"
            " %s (entries only it showed are lost; %d dropped so far)",
            self.source,
            dropped.seen.isoformat(),
            self.dropped,
        )
        return True

    def done_with(self, document: FetchedDocument) -> None:
        """Take ``document`` off the queue (unless a full queue dropped it meanwhile)."""
        if self._documents and self._documents[0] is document:
            self._documents.popleft()
