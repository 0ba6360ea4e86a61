"""The loop of one source: fetch, parse, diff, append, keep health, wait, again.

A thin shell over the pure parts: :mod:`ingest.polling.fetch` brings the bytes,
:func:`ingest.sources.parsed_document.parse_document` (the source type's parser, pure) turns
them into raw entries,
:func:`ingest.sources.entry_diff.diff_entries` compares them with what the source showed before
(kept in Redis, :func:`ingest.store.keys.entries_key`, so a restarted poller or a replica picks up
where the last one left), only the new or changed ones are extracted into updates
(:func:`ingest.extraction.entries.build_updates`), the stream store appends (atomically: what is
already there is never written twice) and :mod:`ingest.store.health` records the poll.
:func:`ingest.runtime.backoff.next_poll_delay` says when to poll again. A poller's first document is
extracted whole (its state may come from another process, with another night file), and kept only
where the update differs from the state.

Order of a poll, and why nothing is lost or doubled by a crash at any point: the entries state
is written only after the appends, and the conditional-request validators are kept only after
that; a poller killed in between fetches the whole document again and appends the same updates,
which the store's dedupe turns into no-ops.

Redis unavailable: a document fetched while the append (or the state) cannot be written is kept
in memory, and applied, oldest first, before anything fetched later, as soon as Redis answers
again. So an entry a page showed only while Redis was down (a page of the latest N entries moves
on) is still appended, once. The source keeps being polled at its interval meanwhile (it is not
at fault: no backoff); at most :data:`MAX_KEPT_DOCUMENTS` documents are kept per source (the
oldest dropped beyond, counted in the health's ``dropped_documents``).

Redis hung (it accepts connections but never answers: SIGSTOP, a stuck disk): the kept
documents are applied by a task of their own, and a poll waits for it at most
:data:`STORE_PATIENCE` seconds, then asks Redis for a PING (:data:`PROBE_TIMEOUT`); if Redis
does not answer that either, the poll is a ``store_error`` and the poller goes on fetching at
its interval, waiting only :data:`DOWN_PATIENCE` at each poll while Redis stays silent. The
writing task carries on by itself, each reply bounded by the client's socket timeout
(:class:`~ingest.store.redis_client.StoreLimits`), and is started again at the next poll if it
failed. So a hung Redis never stops the fetching, and nothing fetched meanwhile is lost.

:meth:`SourcePoller.poll_once` never raises for anything a source, the network or Redis can do:
one source failing never stops another.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Final

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from ingest.extraction.entries import SourceEntry, as_shown, build_updates, content_key, same_entry
from ingest.model.night import Night
from ingest.model.update import Op, Update
from ingest.polling.bounded_parse import ParseLimitError, parse_bounded
from ingest.polling.fetch import Fetcher, FetchLimits, FetchOutcome, FetchResult, Validators
from ingest.runtime.aio import cancel_until_done
from ingest.runtime.backoff import Backoff, next_poll_delay
from ingest.sources.config import SourceConfig, SourceType
from ingest.sources.entry_diff import EVERY_ENTRY, Diff, SeenEntry, changed_updates, diff_entries
from ingest.sources.feed_parser import FeedParseError, keep_first_seen
from ingest.sources.flapping import GONE, Admission, Change, ChangeDamper, damping_notes
from ingest.sources.page_order import PageTop, pinned_entries
from ingest.sources.parsed_document import (
    ParsedDocument,
    document_warning,
    joined_warnings,
    parse_document,
    problems_shown,
)
from ingest.sources.results_parser import ResultsParseError
from ingest.sources.source_health import SourceHealth
from ingest.store.health import read_health, record_poll
from ingest.store.source_state import SourceBusyError, SourceState
from ingest.store.store_probe import StoreProbe
from ingest.store.stream_store import AppendOutcome, FencedError, StreamStore

__all__ = [
    "DEFAULT_BURST_POLLS",
    "MAX_KEPT_DOCUMENTS",
    "PollResult",
    "PollTotals",
    "SourcePoller",
    "StoreSilentError",
]

logger = logging.getLogger(__name__)

#: At most this many polls of one source in a burst (each poll that changed something calls
#: for another, until one changes nothing).
DEFAULT_BURST_POLLS: Final = 20
#: Documents kept per source while Redis cannot take them (beyond, the oldest is dropped): at
#: one poll every 5 s, over 20 minutes of outage, and only documents that differ count.
MAX_KEPT_DOCUMENTS: Final = 256
#: Seconds a poll waits for its documents to be written before it asks Redis whether it is
#: there at all (a big document's append can take longer on a live server: it is waited for).
STORE_PATIENCE: Final = 2.0
#: Seconds Redis has to answer that PING, or the poll gives up waiting (``store_error``).
PROBE_TIMEOUT: Final = 2.0
#: Seconds a poll waits for the writing while Redis is known silent: barely a round trip, so
#: that the poller keeps fetching at its interval.
DOWN_PATIENCE: Final = 0.1
#: Seconds the health record of a poll may take to write (skipped while Redis is silent).
HEALTH_TIMEOUT: Final = 5.0


class _ParseError(Exception):
    """The document is not what its source type expects (the poll failed)."""


class StoreSilentError(Exception):
    """Redis did not answer the writing of documents, nor a PING, within the patience."""


@dataclass(frozen=True, slots=True)
class PollTotals:
    """What a poller's polls did, summed: the whole of a burst, not its last poll."""

    polls: int = 0
    added: int = 0
    edited: int = 0
    deleted: int = 0

    def plus(self, result: PollResult) -> PollTotals:
        """These totals with one more poll."""
        return PollTotals(
            polls=self.polls + 1,
            added=self.added + result.added,
            edited=self.edited + result.edited,
            deleted=self.deleted + result.deleted,
        )


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll did, for logs, tests and the burst summary.

    ``latency`` is the detection latency (fetch finished -> appended), set when the poll
    appended something; ``next_delay`` the seconds until the next poll.
    """

    source: str
    outcome: str
    ok: bool
    status: int | None = None
    entries: int | None = None
    added: int = 0
    edited: int = 0
    deleted: int = 0
    fetch_seconds: float = 0.0
    latency: float | None = None
    next_delay: float = 0.0
    error: str | None = None
    warning: str | None = None

    @property
    def appended(self) -> int:
        """How many updates this poll put on the stream."""
        return self.added + self.edited + self.deleted

    @property
    def changed(self) -> bool:
        """Whether the source showed anything new (appended by this poller or another)."""
        return self.appended > 0


@dataclass(frozen=True, slots=True)
class _Applied:
    """What applying a document did. ``diff`` None: not applied (stale, or source busy)."""

    diff: Diff[Update] | None = None
    outcomes: Sequence[AppendOutcome] = ()
    on_stream: float | None = None
    error: str | None = None
    #: What the damper held back (:mod:`ingest.sources.flapping`), when the document was applied.
    admission: Admission | None = None


@dataclass(frozen=True, slots=True)
class _Fetched:
    """A document fetched and parsed, kept until it is applied (Redis may be away meanwhile)."""

    parsed: ParsedDocument
    version: int
    seen: datetime
    validators: Validators

    def same_entries(self, other: _Fetched) -> bool:
        """Whether both documents show the same entries with the same content."""
        mine, theirs = self.parsed.entries, other.parsed.entries
        return len(mine) == len(theirs) and all(
            same_entry(a, b) for a, b in zip(mine, theirs, strict=True)
        )


class SourcePoller:
    """Polls one source into the stream; :meth:`run` until told to stop."""

    def __init__(
        self,
        source: SourceConfig,
        *,
        night: Night,
        redis: Redis,
        store: StreamStore,
        fetcher: Fetcher,
        draw: Callable[[], float] = random.random,
        probe: StoreProbe | None = None,
    ) -> None:
        self.source = source
        #: Asked whether Redis answers when writing takes long (best shared by a process).
        self._probe = probe or StoreProbe(redis)
        self.night = night
        self.store = store
        self._redis = redis
        self._fetcher = fetcher
        self._draw = draw
        self._validators = Validators()
        #: Documents fetched but not applied yet, oldest first (see the module docstring).
        self._kept: deque[_Fetched] = deque()
        self._limits = FetchLimits(
            timeout=source.timeout,
            connect_timeout=source.connect_timeout,
            total_timeout=source.total_timeout,
            max_bytes=source.max_bytes,
            max_redirects=source.max_redirects,
        )
        self._backoff = Backoff(interval=source.interval, max_backoff=source.max_backoff)
        self.health = SourceHealth(
            source=source.name, type=source.type.value, url=source.url, interval=source.interval
        )
        self._state = SourceState(redis, store.stream, source.name)
        self._last_logged_error: str | None = None
        #: The result of the last poll that finished (None before the first).
        self.last_result: PollResult | None = None
        #: What every poll of this poller appended, summed (a burst's summary).
        self.totals = PollTotals()
        self._loaded = False
        #: Whether the next document applied is this poller's first (extracted whole).
        self._first_apply = True
        #: The last page applied: its order and pinned entries (:mod:`ingest.sources.page_order`).
        self._top: PageTop | None = None
        #: Flapping entries and the source's budget of changes (:mod:`ingest.sources.flapping`).
        self._damper = ChangeDamper.for_stream(store.maxlen, now=time.monotonic())
        #: uid -> content key of each entry as this poller last applied it (what the state
        #: holds since): the entries shown otherwise are extracted before the lock.
        self._applied: dict[str, str] = {}
        #: The warning of the last document read (a 304 keeps it: its condition still holds).
        self._document_warning: str | None = None
        #: The task applying the kept documents, while one runs (see the module docstring).
        self._writing: asyncio.Task[_Applied] | None = None
        #: Since when (monotonic) Redis has been silent, if it is.
        self._silent_since: float | None = None
        self._dropped = 0

    # -- state in Redis ---------------------------------------------------------------------

    async def _load_health(self) -> None:
        """Carry on from the health a previous poller of this source left (last success...).

        Never holds up the poll: while Redis is silent (or if it does not answer in time) the
        poll goes on, and the next one tries again.
        """
        if self._loaded or self._silent_since is not None:
            return
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT):
                previous = await read_health(self._redis, self.store.stream, self.source.name)
        except (RedisError, OSError) as error:
            logger.debug("%s: cannot read the previous health: %s", self.source.name, error)
            return
        if previous is not None:
            self.health = SourceHealth(
                source=self.source.name,
                type=self.source.type.value,
                url=self.source.url,
                interval=self.source.interval,
                last_success=previous.last_success,
                last_error=previous.last_error,
                last_error_at=previous.last_error_at,
                entries_seen=previous.entries_seen,
                detection_latency_ms=previous.detection_latency_ms,
                detection_latency_max_ms=previous.detection_latency_max_ms,
                last_warning=previous.last_warning,
                skipped=previous.skipped,
            )
            self._document_warning = previous.last_warning
        self._loaded = True

    # -- one poll ---------------------------------------------------------------------------

    async def poll_once(self) -> PollResult:
        """Fetch, parse, diff, append and record health; never raises for a source's faults."""
        try:
            await self._load_health()
            result = await self._poll()
        except asyncio.CancelledError:
            raise
        except (RedisError, OSError, StoreSilentError) as error:
            # The source is not at fault: keep polling it at its interval (what it shows is kept
            # until Redis is back), rather than backing off and missing what goes by. Nor is
            # the health written to a Redis that just proved unreachable (each try costs the
            # client's retries, and that would space the polls out all the same).
            unreachable = isinstance(
                error, RedisConnectionError | RedisTimeoutError | OSError | StoreSilentError
            )
            result = await self._fail(
                "store_error",
                f"Redis: {_said(error)}",
                None,
                0.0,
                None,
                backoff=False,
                record=not unreachable,
            )
        except Exception as error:  # one source's bug must not stop the others
            logger.exception("%s: poll failed unexpectedly", self.source.name)
            result = await self._fail("internal_error", repr(error), None, 0.0, None)
        self.last_result = result
        self.totals = self.totals.plus(result)
        return result

    async def _poll(self) -> PollResult:
        source = self.source
        version = SourceState.now_version()
        fetched = await self._fetcher.fetch(
            source.url,
            validators=self._validators,
            limits=self._limits,
            user_agent=source.user_agent,
        )
        parsed: ParsedDocument | None = None
        parse_error: str | None = None
        if fetched.outcome is FetchOutcome.OK:
            seen = datetime.now(UTC)
            try:
                # A big or markup-heavy document is parsed in a worker process, within the
                # source's parse_timeout, and killed if this poll is cancelled.
                parsed = await parse_bounded(
                    parse_document, fetched.body, source, fetched.body,
                    charset=fetched.charset, content_type=fetched.content_type,
                    night=self.night, seen=seen, time_limit=source.parse_timeout,
                )  # fmt: skip
            except (FeedParseError, ResultsParseError, ParseLimitError) as error:
                parse_error = str(error)
            else:
                validators = Validators(etag=fetched.etag, last_modified=fetched.last_modified)
                self._keep(_Fetched(parsed, version, seen, validators))
        # What earlier polls could not write goes first, whatever this fetch gave. A Redis
        # error propagates (poll_once reports it) and leaves every document kept.
        applied = await self._write_kept()
        if fetched.outcome is FetchOutcome.NOT_MODIFIED:
            # Nothing was read: the last document's warning stands (its condition holds), with
            # this fetch's own wait for a connection slot, if any.
            return await self._succeed(
                fetched,
                diff=None,
                outcomes=applied.outcomes,
                entries=None,
                warning=joined_warnings(fetched.slot_note, self._document_warning),
                on_stream=applied.on_stream,
                document=None,
            )
        if not fetched.ok:
            return await self._fail(
                fetched.outcome.value,
                fetched.error or fetched.outcome.value,
                fetched.status,
                fetched.duration,
                fetched,
            )
        if parsed is None:
            return await self._fail(
                "parse_error", parse_error or "unparsable", fetched.status, fetched.duration,
                fetched,
            )  # fmt: skip
        if applied.error is not None:
            return await self._fail(
                "no_entries", applied.error, fetched.status, fetched.duration, fetched
            )
        damping = damping_notes(applied.admission)
        self._document_warning = document_warning(damping, parsed.problems)
        return await self._succeed(
            fetched,
            diff=applied.diff,
            outcomes=applied.outcomes,
            entries=None if applied.diff is None else len(parsed.entries),
            warning=joined_warnings(fetched.slot_note, self._document_warning),
            on_stream=applied.on_stream,
            document=parsed,
            admission=applied.admission,
        )

    def _keep(self, document: _Fetched) -> None:
        """Queue a fetched document to be applied after those still waiting."""
        if self._kept and self._kept[-1].same_entries(document):
            # Nothing new since the last document waiting: remember only the newer validators.
            self._kept[-1] = replace(
                self._kept[-1], version=document.version, validators=document.validators
            )
            return
        self._kept.append(document)
        if len(self._kept) > MAX_KEPT_DOCUMENTS:
            dropped = self._kept.popleft()
            self._dropped += 1
            self.health = self.health.dropping(self._dropped)
            logger.warning(
                "%s: Redis has been unavailable for too long: dropping the document fetched at"
                " %s (entries only it showed are lost; %d dropped so far)",
                self.source.name,
                dropped.seen.isoformat(),
                self._dropped,
            )

    async def _write_kept(self) -> _Applied:
        """Apply the kept documents in a task of their own; wait for it only while Redis answers.

        Raises :class:`StoreSilentError` when the writing has not finished within the patience
        and Redis does not answer a PING either: the task carries on, and the next poll picks up
        what it did. Raises what the writing raised (a Redis error...) once it has ended so.
        """
        task = self._writing
        if task is None:
            if not self._kept:
                return _Applied()
            task = self._writing = asyncio.create_task(
                self._apply_kept(), name=f"write {self.source.name}"
            )
        while True:
            silent = self._silent_since is not None
            done, _ = await asyncio.wait(
                {task}, timeout=DOWN_PATIENCE if silent else STORE_PATIENCE
            )
            if done:
                break
            if await self._answers(within=DOWN_PATIENCE if silent else PROBE_TIMEOUT):
                self._answering()
                continue  # a long append on a live server: wait for it
            if not silent:
                self._silent_since = time.monotonic()
            raise StoreSilentError(
                "does not answer (not even a PING); fetching goes on, the documents are kept"
                f" (up to {MAX_KEPT_DOCUMENTS}) until it does"
            )
        self._writing = None
        applied = task.result()
        self._answering()
        return applied

    async def _answers(self, *, within: float) -> bool:
        """Whether Redis answers a PING within ``within`` seconds."""
        return await self._probe.answers(within=within)

    def _answering(self) -> None:
        """Redis answered: if it had been silent, say for how long."""
        if self._silent_since is not None:
            logger.warning(
                "%s: Redis answers again after %.1f s; the documents kept meanwhile are written",
                self.source.name,
                time.monotonic() - self._silent_since,
            )
            self._silent_since = None

    async def stop_writing(self) -> None:
        """Stop the task writing kept documents, if one runs (what it wrote stays written)."""
        task, self._writing = self._writing, None
        if task is not None:
            for error in await cancel_until_done([task]):
                logger.debug("%s: the writing ended with %r", self.source.name, error)

    async def _apply_kept(self) -> _Applied:
        """Apply the kept documents, oldest first; what the last one applied did, all outcomes.

        Each document leaves the queue once applied (or found stale, or empty). A Redis error
        leaves it, and those after it, for the next poll.
        """
        outcomes: list[AppendOutcome] = []
        last = _Applied()
        while self._kept:
            document = self._kept[0]
            try:
                last = await self._apply(
                    document.parsed, version=document.version, seen=document.seen
                )
            except (SourceBusyError, FencedError) as error:
                # Another replica is applying this source, or took it over while this one was
                # held up (its writes were refused): ours waits for the next poll (and is
                # dropped then if the state has moved past it).
                logger.debug("%s", error)
                return _Applied(outcomes=outcomes)
            except (RedisError, OSError):
                raise
            except Exception:
                # Never retry a document that breaks the poller: the next fetch gets a new one.
                self._done_with(document)
                raise
            self._done_with(document)
            outcomes.extend(last.outcomes)
            if last.diff is not None:
                # Only now is the content safely ingested: later polls may ask conditionally.
                self._validators = document.validators
        return replace(last, outcomes=outcomes)

    def _done_with(self, document: _Fetched) -> None:
        """Take ``document`` off the queue (unless a full queue dropped it meanwhile)."""
        if self._kept and self._kept[0] is document:
            self._kept.popleft()

    async def _apply(self, parsed: ParsedDocument, *, version: int, seen: datetime) -> _Applied:
        """Under the source's lock: diff the document against the state, append, keep it.

        Extraction can take seconds on a big page: what this poller has not applied yet is
        extracted before the lock is taken (:meth:`_extract_unapplied`), and only what the
        state then shows new besides (another replica's doing) is extracted under the lock.
        """
        keys = {entry.uid: content_key(entry) for entry in parsed.entries}
        ready = self._extract_unapplied(parsed.entries, keys, seen=seen)
        async with self._state.locked() as fence:
            previous, stored = await self._state.load()
            # A document kept while Redis was away is older than a fetch: widen the window
            # that tells a newer state from a clock that jumped back by how long it was kept.
            kept_for = max(0.0, (SourceState.now_version() - version) / 1_000_000)
            window = self.source.total_timeout + 5 + kept_for
            if SourceState.is_stale(version, stored, window=window):
                logger.debug("%s: a newer document was applied; ours is dropped", self.source.name)
                return _Applied()
            if not parsed.entries and any(not entry.deleted for entry in previous.values()):
                problems = problems_shown(parsed.problems)
                return _Applied(
                    error="no entries found in the document"
                    + (f" ({problems})" if problems else "")
                )
            # Parse -> diff -> extract: only what is new or changed is extracted.
            recheck = EVERY_ENTRY if self._first_apply else frozenset[str]()
            shown = parsed.entries
            if parsed.undated:
                # An entry without a date keeps the time it was first seen: no edit each poll.
                known = {uid: entry.update for uid, entry in previous.items()}
                shown = keep_first_seen(shown, parsed.undated, known)
            page = shown[::-1] if parsed.reversed else shown
            top = pinned_entries(
                [entry.uid for entry in page], [entry.at for entry in page], last=self._top
            )
            found = diff_entries(previous, shown, recheck=recheck, pinned=top.pinned)
            changes = self._changes(found, previous)
            admission = self._damper.admit(changes, now=time.monotonic())
            raw = found.only(admission.admitted)
            updates = self._updates_of(raw.new_or_changed, ready, seen=seen)
            diff = raw.with_changes(changed_updates(previous, updates))
            deletes = [update.as_delete(seen=seen) for update in diff.deleted]
            outcomes = await self.store.append_many([*diff.new_or_changed, *deletes], fence=fence)
            on_stream = time.monotonic()
            await self._state.save(diff, seen=seen, version=version, fence=fence)
        self._damper.commit(admission, now=time.monotonic())
        self._first_apply = False
        self._top = top
        held = {change.uid for change in changes} - admission.admitted
        self._applied = {uid: key for uid, key in keys.items() if uid not in held}
        return _Applied(diff=diff, outcomes=outcomes, on_stream=on_stream, admission=admission)

    def _extract_unapplied(
        self, entries: Sequence[SourceEntry], keys: Mapping[str, str], *, seen: datetime
    ) -> dict[str, tuple[SourceEntry, Update | None]]:
        """The updates of the entries not shown as this poller last applied them (all of them
        for its first document): uid -> (the entry, its update or None if it has none)."""
        ready: dict[str, tuple[SourceEntry, Update | None]] = {}
        for entry in entries:
            if entry.uid in ready or self._applied.get(entry.uid) == keys[entry.uid]:
                continue
            built, problems = build_updates([entry], night=self.night, seen=seen)
            for problem in problems:
                logger.warning("%s: left out: %s", self.source.name, problem)
            ready[entry.uid] = (entry, built[0] if built else None)
        return ready

    def _updates_of(
        self,
        entries: Sequence[SourceEntry],
        ready: Mapping[str, tuple[SourceEntry, Update | None]],
        *,
        seen: datetime,
    ) -> list[Update]:
        """The updates of ``entries``: extracted before the lock, else now."""
        updates: list[Update] = []
        for entry in entries:
            done = ready.get(entry.uid)
            if done is not None and done[0] is entry:
                if done[1] is not None:
                    updates.append(done[1])
                continue
            built, problems = build_updates([entry], night=self.night, seen=seen)
            for problem in problems:
                logger.warning("%s: left out: %s", self.source.name, problem)
            updates.extend(built)
        return updates

    def _changes(self, found: Diff[SourceEntry], previous: Mapping[str, SeenEntry]) -> list[Change]:
        """The diff's changes as the damper sees them: content keys before and after."""
        text = self.source.type is not SourceType.RESULTS

        def before(uid: str) -> str | None:
            seen = previous.get(uid)
            if seen is None:
                return None
            return GONE if seen.deleted else content_key(as_shown(seen.update, text=text))

        changes = [
            Change(entry.uid, before(entry.uid), content_key(entry))
            for entry in found.new_or_changed
        ]
        changes.extend(Change(update.uid, before(update.uid), GONE) for update in found.deleted)
        return changes

    async def _succeed(
        self,
        fetched: FetchResult,
        *,
        diff: Diff[Update] | None,
        outcomes: Sequence[AppendOutcome],
        entries: int | None,
        warning: str | None,
        on_stream: float | None = None,
        document: ParsedDocument | None,
        admission: Admission | None = None,
    ) -> PollResult:
        """Record a good poll; ``document`` is what it read (None for a 304)."""
        added = sum(1 for o in outcomes if o.appended and o.op is Op.ADD)
        edited = sum(1 for o in outcomes if o.appended and o.op is Op.EDIT)
        deleted = sum(1 for o in outcomes if o.appended and o.op is Op.DELETE)
        appended = added + edited + deleted
        latency = None
        if appended and on_stream is not None and on_stream >= fetched.finished:
            # (Written before this fetch ended: documents kept from earlier polls.)
            latency = on_stream - fetched.finished
        now = datetime.now(UTC)
        self.health = self.health.succeeded(
            now=now,
            outcome=fetched.outcome.value,
            status=fetched.status,
            poll_seconds=fetched.duration,
            entries=entries,
            latency_seconds=latency,
            warning=warning,
            skipped=None if document is None else document.skipped,
            read=document is not None,
            flapping=None if admission is None else len(admission.flapping),
            held=None if admission is None else admission.held,
        )
        delay = next_poll_delay(
            self._backoff,
            failures=0,
            retry_after=fetched.retry_after,
            max_age=fetched.max_age,
            draw=self._draw,
        )
        self.health = self.health.scheduled(now + timedelta(seconds=delay))
        try:
            async with asyncio.timeout(HEALTH_TIMEOUT):
                await record_poll(self._redis, self.store.stream, self.health, appended=appended)
        except (RedisError, OSError) as error:
            # The poll itself went well (what it found is on the stream): its health waits
            # for the next one.
            logger.warning("%s: cannot record health: %s", self.source.name, _said(error))
        self._last_logged_error = None
        result = PollResult(
            source=self.source.name,
            outcome=fetched.outcome.value,
            ok=True,
            status=fetched.status,
            entries=entries,
            added=added,
            edited=edited,
            deleted=deleted,
            fetch_seconds=fetched.duration,
            latency=latency,
            next_delay=delay,
            warning=warning,
        )
        self._log(result, diff)
        return result

    async def _fail(
        self,
        outcome: str,
        error: str,
        status: int | None,
        seconds: float,
        fetched: FetchResult | None,
        *,
        backoff: bool = True,
        record: bool = True,
    ) -> PollResult:
        now = datetime.now(UTC)
        self.health = self.health.failed(
            now=now, outcome=outcome, error=error, status=status, poll_seconds=seconds
        )
        delay = next_poll_delay(
            self._backoff,
            failures=self.health.consecutive_errors if backoff else 0,
            retry_after=None if fetched is None else fetched.retry_after,
            draw=self._draw,
        )
        self.health = self.health.scheduled(now + timedelta(seconds=delay))
        try:
            if record and self._silent_since is None:
                async with asyncio.timeout(HEALTH_TIMEOUT):
                    await record_poll(self._redis, self.store.stream, self.health)
        except (RedisError, OSError) as redis_error:
            logger.warning("%s: cannot record health: %s", self.source.name, _said(redis_error))
        if error != self._last_logged_error:
            logger.warning(
                "%s: poll failed (%s): %s; next poll in %.2f s",
                self.source.name,
                outcome,
                error,
                delay,
            )
            self._last_logged_error = error
        return PollResult(
            source=self.source.name,
            outcome=outcome,
            ok=False,
            status=status,
            fetch_seconds=seconds,
            next_delay=delay,
            error=error,
        )

    def _log(self, result: PollResult, diff: Diff[Update] | None) -> None:
        if result.appended:
            logger.info(
                "%s: +%d added, %d edited, %d deleted (%d entries); fetch %.1f ms,"
                " detection latency %.1f ms",
                result.source,
                result.added,
                result.edited,
                result.deleted,
                result.entries or 0,
                result.fetch_seconds * 1000,
                (result.latency or 0.0) * 1000,
            )
        else:
            logger.debug(
                "%s: %s, nothing new (%s); fetch %.1f ms",
                result.source,
                result.outcome,
                "unchanged" if diff is None else f"{result.entries} entries",
                result.fetch_seconds * 1000,
            )

    # -- the loop ---------------------------------------------------------------------------

    async def run(
        self,
        stop: asyncio.Event,
        *,
        burst: bool = False,
        burst_polls: int = DEFAULT_BURST_POLLS,
    ) -> PollResult | None:
        """Poll until ``stop`` is set; return the last poll's result.

        With ``burst``, poll without waiting until a poll changes nothing or fails (at most
        ``burst_polls`` polls), then return.
        """
        last: PollResult | None = None
        polls = 0
        try:
            while not stop.is_set():
                last = await self.poll_once()
                polls += 1
                if burst:
                    if not last.ok or not last.changed or polls >= burst_polls:
                        return last
                    continue
                delay = last.next_delay
                if polls == 1:
                    # Sources started together would poll together at every interval: the
                    # first wait is drawn between one and one and a half of it, which spreads
                    # them out (never sooner than asked).
                    delay *= 1 + 0.5 * self._draw()
                await _sleep_or_stop(stop, delay)
            return last
        finally:
            await self.stop_writing()


def _said(error: BaseException) -> str:
    """An error in words (a timeout's own words are empty)."""
    if isinstance(error, TimeoutError) and not str(error):
        return "no answer in time"
    return str(error) or type(error).__name__


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, or less if ``stop`` is set meanwhile."""
    if seconds <= 0:
        return
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
