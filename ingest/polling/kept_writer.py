"""The task that writes a source's kept documents to Redis, and how long a poll waits for it.

Redis hung (it accepts connections but never answers: SIGSTOP, a stuck disk): the kept
documents (:mod:`ingest.polling.kept_documents`) are applied by a task of their own, and a poll
waits for it at most :data:`STORE_PATIENCE` seconds, then asks Redis for a PING
(:data:`PROBE_TIMEOUT`); if Redis does not answer that either, :meth:`KeptWriter.write` raises
:class:`StoreSilentError` and the poller goes on fetching at its interval, waiting only
:data:`DOWN_PATIENCE` at each poll while Redis stays silent. The writing task carries on by
itself, each reply bounded by the client's socket timeout
(:class:`~ingest.store.redis_client.StoreLimits`), and is started again at the next poll if it
failed. So a hung Redis never stops the fetching, and nothing fetched meanwhile is lost.

Documents are applied oldest first, one at a time, by one task at a time: a later document is
never written before an earlier one still waiting. The conditional-request validators of a
document are kept (:attr:`KeptWriter.validators`) only once it is applied.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from typing import Final

from redis.exceptions import RedisError

from ingest.polling.document_apply import Applied, DocumentApplier
from ingest.polling.fetch_result import Validators
from ingest.polling.kept_documents import KeptDocuments
from ingest.runtime.aio import cancel_until_done
from ingest.store.source_state import SourceBusyError
from ingest.store.store_probe import StoreProbe
from ingest.store.stream_store import AppendOutcome, FencedError

__all__ = ["DOWN_PATIENCE", "PROBE_TIMEOUT", "STORE_PATIENCE", "KeptWriter", "StoreSilentError"]

logger = logging.getLogger(__name__)

#: Seconds a poll waits for its documents to be written before it asks Redis whether it is
#: there at all (a big document's append can take longer on a live server: it is waited for).
STORE_PATIENCE: Final = 2.0
#: Seconds Redis has to answer that PING, or the poll gives up waiting (``store_error``).
PROBE_TIMEOUT: Final = 2.0
#: Seconds a poll waits for the writing while Redis is known silent: barely a round trip, so
#: that the poller keeps fetching at its interval.
DOWN_PATIENCE: Final = 0.1


class StoreSilentError(Exception):
    """Redis did not answer the writing of documents, nor a PING, within the patience."""


class KeptWriter:
    """Writes one source's kept documents, oldest first, in a task of its own."""

    def __init__(self, kept: KeptDocuments, applier: DocumentApplier, *, probe: StoreProbe) -> None:
        self._kept = kept
        self._applier = applier
        #: Asked whether Redis answers when writing takes long (best shared by a process).
        self._probe = probe
        #: The validators of the last document applied: later fetches may ask conditionally.
        self.validators = Validators()
        #: The task applying the kept documents, while one runs.
        self._writing: asyncio.Task[Applied] | None = None
        #: Since when (monotonic) Redis has been silent, if it is.
        self._silent_since: float | None = None

    @property
    def silent(self) -> bool:
        """Whether Redis was last found silent (and has not answered since)."""
        return self._silent_since is not None

    async def write(self) -> Applied:
        """Apply the kept documents in a task of their own; wait for it only while Redis answers.

        Raises :class:`StoreSilentError` when the writing has not finished within the patience
        and Redis does not answer a PING either: the task carries on, and the next poll picks up
        what it did. Raises what the writing raised (a Redis error...) once it has ended so.
        """
        task = self._writing
        if task is None:
            if not self._kept:
                return Applied()
            task = self._writing = asyncio.create_task(
                self._apply_kept(), name=f"write {self._kept.source}"
            )
        while True:
            silent = self.silent
            done, _ = await asyncio.wait(
                {task}, timeout=DOWN_PATIENCE if silent else STORE_PATIENCE
            )
            if done:
                break
            if await self._probe.answers(within=DOWN_PATIENCE if silent else PROBE_TIMEOUT):
                self._answering()
                continue  # a long append on a live server: wait for it
            if not silent:
                self._silent_since = time.monotonic()
            raise StoreSilentError(
                "does not answer (not even a PING); fetching goes on, the documents are kept"
                f" (up to {self._kept.bound}) until it does"
            )
        self._writing = None
        applied = task.result()
        self._answering()
        return applied

    def _answering(self) -> None:
        """Redis answered: if it had been silent, say for how long."""
        if self._silent_since is not None:
            logger.warning(
                "%s: Redis answers again after %.1f s; the documents kept meanwhile are written",
                self._kept.source,
                time.monotonic() - self._silent_since,
            )
            self._silent_since = None

    async def stop(self) -> None:
        """Stop the task writing kept documents, if one runs (what it wrote stays written)."""
        task, self._writing = self._writing, None
        if task is not None:
            for error in await cancel_until_done([task]):
                logger.debug("%s: the writing ended with %r", self._kept.source, error)

    async def _apply_kept(self) -> Applied:
        """Apply the kept documents, oldest first; what the last one applied did, all outcomes.

        Each document leaves the queue once applied (or found stale, or empty). A Redis error
        leaves it, and those after it, for the next poll.
        """
        outcomes: list[AppendOutcome] = []
        last = Applied()
        while self._kept:
            document = self._kept.first()
            try:
                last = await self._applier.apply(
                    document.parsed, version=document.version, seen=document.seen
                )
            except (SourceBusyError, FencedError) as error:
                # Another replica is applying this source, or took it over while this one was
                # held up (its writes were refused): ours waits for the next poll (and is
                # dropped then if the state has moved past it).
                logger.debug("%s", error)
                return Applied(outcomes=outcomes)
            except (RedisError, OSError):
                raise
            except Exception:
                # Never retry a document that breaks the poller: the next fetch gets a new one.
                self._kept.done_with(document)
                raise
            self._kept.done_with(document)
            outcomes.extend(last.outcomes)
            if last.diff is not None:
                # Only now is the content safely ingested: later polls may ask conditionally.
                self.validators = document.validators
        return replace(last, outcomes=outcomes)
