"""Applying one fetched document to a source, under the source's lock: diff, append, keep state.

:meth:`DocumentApplier.apply` takes the source's lock (:mod:`ingest.store.source_state`), loads
what the source showed before, diffs the document's raw entries against it
(:func:`ingest.sources.entry_diff.diff_entries`), lets the damper hold back flapping entries
(:mod:`ingest.sources.flapping`), extracts only what is new or changed
(:func:`ingest.extraction.entries.build_updates`), appends it (fenced: a holder whose lock
expired writes nothing) and saves the new state, in that order (a crash in between appends the
same updates again, which the store's dedupe turns into no-ops).

A document kept while Redis was away may be older than the state: it is dropped as stale. A
poller's first document is extracted whole (its state may come from another process, with
another night file), and kept only where the update differs from the state. Extraction can take
seconds on a big page: what this applier has not applied yet is extracted before the lock.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from ingest.extraction.entries import SourceEntry, as_shown, build_updates, content_key
from ingest.model.night import Night
from ingest.model.update import Update
from ingest.sources.entry_diff import EVERY_ENTRY, Diff, SeenEntry, changed_updates, diff_entries
from ingest.sources.feed_parser import keep_first_seen
from ingest.sources.flapping import GONE, Admission, Change, ChangeDamper
from ingest.sources.page_order import PageTop, pinned_entries
from ingest.sources.parsed_document import ParsedDocument, problems_shown
from ingest.sources.retitled_items import follow_identities
from ingest.sources.source_config import SourceConfig, SourceType
from ingest.store.source_state import SourceState
from ingest.store.stream_store import AppendOutcome, StreamStore

__all__ = ["Applied", "DocumentApplier"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Applied:
    """What applying a document did. ``diff`` None: not applied (stale, or source busy)."""

    diff: Diff[Update] | None = None
    outcomes: Sequence[AppendOutcome] = ()
    on_stream: float | None = None
    error: str | None = None
    #: What the damper held back (:mod:`ingest.sources.flapping`), when the document was applied.
    admission: Admission | None = None


class DocumentApplier:
    """Applies one source's documents to its state and the stream, one at a time."""

    def __init__(
        self, source: SourceConfig, *, night: Night, state: SourceState, store: StreamStore
    ) -> None:
        self.source = source
        self.night = night
        self._state = state
        self._store = store
        #: Whether the next document applied is this poller's first (extracted whole).
        self._first_apply = True
        #: The last page applied: its order and pinned entries (:mod:`ingest.sources.page_order`).
        self._top: PageTop | None = None
        #: Flapping entries and the source's budget of changes (:mod:`ingest.sources.flapping`).
        self._damper = ChangeDamper.for_stream(store.maxlen, now=time.monotonic())
        #: uid -> content key of each entry as this poller last applied it (what the state
        #: holds since): the entries shown otherwise are extracted before the lock.
        self._applied: dict[str, str] = {}

    async def apply(self, parsed: ParsedDocument, *, version: int, seen: datetime) -> Applied:
        """Under the source's lock: diff the document against the state, append, keep it.

        Raises :class:`~ingest.store.source_state.SourceBusyError` if another replica holds the
        lock, :class:`~ingest.store.stream_store.FencedError` if it took the source over, and
        Redis errors as they come.
        """
        keys = {entry.uid: content_key(entry) for entry in parsed.entries}
        ready = self._extract_unapplied(parsed.entries, keys, seen=seen)
        # The lock and the state in one round trip, the state's write and the lock's release
        # in one more: four round trips for a poll that appends, where six were.
        async with self._state.held() as lock:
            fence, previous, stored = lock.fence, lock.previous, lock.stored
            # A document kept while Redis was away is older than a fetch: widen the window
            # that tells a newer state from a clock that jumped back by how long it was kept.
            kept_for = max(0.0, (SourceState.now_version() - version) / 1_000_000)
            window = self.source.total_timeout + 5 + kept_for
            if SourceState.is_stale(version, stored, window=window):
                logger.debug("%s: a newer document was applied; ours is dropped", self.source.name)
                return Applied()
            if not parsed.entries and any(not entry.deleted for entry in previous.values()):
                problems = problems_shown(parsed.problems)
                return Applied(
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
            if self.source.type is not SourceType.RESULTS:
                # The same content under a new key (ids rendered anew), or a guid-less item
                # whose title was edited: the same entry, under its first uid.
                feed = self.source.type is SourceType.FEED
                shown = follow_identities(shown, previous, feed=feed)
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
            outcomes = await self._store.append_many([*diff.new_or_changed, *deletes], fence=fence)
            on_stream = time.monotonic()
            await self._state.save_and_release(diff, seen=seen, version=version, held=lock)
        self._damper.commit(admission, now=time.monotonic())
        self._first_apply = False
        self._top = top
        held = {change.uid for change in changes} - admission.admitted
        self._applied = {uid: key for uid, key in keys.items() if uid not in held}
        return Applied(diff=diff, outcomes=outcomes, on_stream=on_stream, admission=admission)

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
