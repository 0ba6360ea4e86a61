"""One source's diff state in Redis, shared by every poller replica of that source.

The hash :func:`ingest.store.keys.entries_key` holds, for each entry uid, the JSON of its last known
update (:class:`~ingest.sources.entry_diff.SeenEntry`), and under the field :data:`VERSION_FIELD`
the version of the document that state comes from: the wall time (microseconds) at which that
document was requested. Uids always hold a ``:`` (``source:key``), so no uid can be that field.

Why a version, and a lock: two replicas polling one source may fetch two versions of a page and
apply them in the wrong order. Applying the older one last would delete the entries only the
newer one shows, or revert an edit. So a poller applies a document (read state, diff, append,
write state) only while holding the source's lock (:func:`ingest.store.keys.entries_lock_key`,
``SET NX PX``, released only by its holder), and drops its document if the state already comes
from a document requested later (:meth:`SourceState.is_stale`). A document requested earlier
shows the source as it was no later than one requested after it.

A poller killed while holding the lock leaves it to expire (``lock_ttl``); meanwhile the others
skip their apply and try again at their next poll.

The lock alone does not protect a poller that is paused (SIGSTOP, a swapped-out VM, a GC pause)
past the lock's life while holding state it loaded: another replica takes the lock and applies
a newer document, and the paused one, resumed, would write its older view over it (reverting
edits). So each taking of the lock also takes a new **fencing token** (the counter
:func:`ingest.store.keys.entries_fence_key`, incremented atomically with the ``SET NX``), and every
write made under the lock (the appends, :class:`~ingest.store.stream_store.Fence`, and
:meth:`SourceState.save`) is checked against it on the server, atomically with the write: a
write carrying an older token is refused (:class:`~ingest.store.stream_store.FencedError`), whenever
it arrives.

A poller applies a document in four round trips: :meth:`SourceState.held` takes the lock and
reads the state in one pipeline (a state read while another held the lock is read again once
the lock is ours), the append is one, and :meth:`SourceState.save_and_release` writes the state
and frees the lock in one more; then the health. At a thousand sources in one process each
round trip waits for the Redis server to be scheduled: six of them made the detection latency's
tail under load (``docs/benchmarks.md``, "Sources").

Behind Sentinel (:func:`ingest.store.sentinel.confirmation`), taking the lock (its fencing
token) and saving the state are followed by ``WAIT`` in the same round trip; one no replica
confirms is :class:`~ingest.store.sentinel.NotReplicatedError` (the lock released again): a
token lost in a failover could be handed out twice, a state lost would let an older document
be applied after a newer one (``docs/deploy.md``, "What else waits for a replica").
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from redis.asyncio import Redis
from redis.exceptions import NoScriptError, RedisError, ResponseError

from ingest.model.errors import SoireeError
from ingest.model.update import Update, UpdateError
from ingest.runtime.aio import cancel_until_done
from ingest.sources.entry_diff import Diff, SeenEntry
from ingest.store import keys
from ingest.store.replies import reply_text
from ingest.store.sentinel import check_confirmed, confirmation
from ingest.store.stream_store import Fence, FencedError

__all__ = ["VERSION_FIELD", "HeldSource", "SourceBusyError", "SourceState"]

logger = logging.getLogger(__name__)

#: The hash field holding the version of the document the state comes from.
VERSION_FIELD: Final = "@version"

_RELEASE: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
# KEYS: lock, fence. ARGV: holder, ttl ms. The new fencing token, or 0 if the lock is taken.
# Already held by this holder counts as taken now: a retry of this very call (its reply lost
# to a timeout) must not wait for its own first try to expire.
_ACQUIRE: Final = """
local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return redis.call('INCR', KEYS[2])
"""
# KEYS: state, and optionally the fence. ARGV: token ("" without), then field, value...
_SAVE: Final = """
if KEYS[2] and redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return redis.error_reply('FENCED a newer writer of this source came in')
end
for i = 2, #ARGV, 1000 do
  redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
return 1
"""
# KEYS: lock. ARGV: holder, ttl ms. 1 if the holder still held it (now for ttl more), else 0.
_RENEW: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_LOCK_RETRY: Final = 0.005
#: A held lock is renewed each time this part of its life has gone by.
_RENEW_EVERY: Final = 1 / 3


class SourceBusyError(SoireeError):
    """Another poller held the source's lock for longer than we would wait."""


@dataclass(slots=True)
class HeldSource:
    """The source's lock, held (:meth:`SourceState.held`): its fence, and the state read with
    it (the entries last seen and their version)."""

    fence: Fence
    previous: dict[str, SeenEntry]
    stored: int | None
    holder: str
    released: bool = False


class SourceState:
    """The diff state of ``source`` on ``stream``: read, compared, and written under a lock."""

    def __init__(
        self,
        redis: Redis,
        stream: str,
        source: str,
        *,
        lock_ttl: float = 2.0,
        lock_wait: float = 2.5,
    ) -> None:
        self._redis = redis
        self.source = source
        self.key = keys.entries_key(stream, source)
        self._lock_key = keys.entries_lock_key(stream, source)
        self._fence_key = keys.entries_fence_key(stream, source)
        self._lock_ttl_ms = max(1, round(lock_ttl * 1000))
        self._lock_wait = lock_wait
        self._release = redis.register_script(_RELEASE)
        self._acquire = redis.register_script(_ACQUIRE)
        self._save = redis.register_script(_SAVE)
        self._renew = redis.register_script(_RENEW)

    @staticmethod
    def now_version() -> int:
        """The version of a document requested now: the wall time in microseconds."""
        return time.time_ns() // 1000

    @asynccontextmanager
    async def locked(self) -> AsyncIterator[Fence]:
        """Hold the source's lock; yield the fence every write under it must carry.

        Raise :class:`SourceBusyError` if the lock stays taken too long. While held, the lock
        is renewed every third of its life, so that a holder slow but running (a big page on a
        loaded machine) keeps it; one paused cannot renew it, and loses it to the next taker.
        """
        holder = uuid.uuid4().hex
        token = await self._acquire_waiting(holder)
        renewing = asyncio.create_task(self._keep(holder), name=f"renew lock {self.source}")
        try:
            yield Fence(self._fence_key, token)
        finally:
            await cancel_until_done([renewing])
            await self._release(keys=[self._lock_key], args=[holder])

    async def _keep(self, holder: str) -> None:
        """Renew the lock while ``holder`` holds it; stop once it does not (or Redis fails)."""
        every = self._lock_ttl_ms / 1000 * _RENEW_EVERY
        while True:
            await asyncio.sleep(every)
            try:
                if not await self._renew(keys=[self._lock_key], args=[holder, self._lock_ttl_ms]):
                    return  # expired (a pause) or taken over: the fence refuses our writes
            except (RedisError, OSError) as error:
                logger.debug("%s: cannot renew the source's lock: %s", self.source, error)
                return

    @asynccontextmanager
    async def held(self) -> AsyncIterator[HeldSource]:
        """:meth:`locked` and :meth:`load` in one round trip (a pipeline: the lock's script,
        then HGETALL, read once the lock is ours); :meth:`save_and_release` then writes and
        releases in one more. A poll that applies a document makes two round trips fewer.

        Raise :class:`SourceBusyError` if the lock stays taken too long. The lock is renewed
        while held, as :meth:`locked` does.
        """
        holder = uuid.uuid4().hex
        wanted = confirmation(self._redis)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.evalsha(
                self._acquire.sha, 2, self._lock_key, self._fence_key, holder, self._lock_ttl_ms
            )
            pipe.hgetall(self.key)
            if wanted is not None:  # the new fencing token kept by a replica (module docstring)
                pipe.execute_command("WAIT", *wanted)
            token_reply, raw, *confirmed = await pipe.execute(raise_on_error=False)
        if isinstance(token_reply, Exception) and not isinstance(token_reply, NoScriptError):
            raise token_reply
        token = 0 if isinstance(token_reply, Exception) else int(token_reply)
        if token and wanted is not None:
            try:
                check_confirmed(confirmed[0], wanted, f"{self.source}: the source's lock")
            except RedisError:
                await self._release(keys=[self._lock_key], args=[holder])
                raise
        # Read with the lock only if the lock was ours when read; else wait, then read.
        read_with_lock = bool(token) and not isinstance(raw, Exception)
        if not token:  # busy (or the script not loaded yet: the Script call loads it)
            token = await self._acquire_waiting(holder)
        held = HeldSource(Fence(self._fence_key, token), {}, None, holder=holder)
        renewing = asyncio.create_task(self._keep(holder), name=f"renew lock {self.source}")
        try:
            held.previous, held.stored = self._decode(raw) if read_with_lock else await self.load()
            yield held
        finally:
            await cancel_until_done([renewing])
            if not held.released:
                await self._release(keys=[self._lock_key], args=[holder])

    async def _acquire_waiting(self, holder: str) -> int:
        """Take the lock for ``holder``, retrying until the lock wait runs out; confirm it
        (Sentinel); return the fencing token. Raise :class:`SourceBusyError` if it stays taken."""
        deadline = time.monotonic() + self._lock_wait
        while not (
            token := int(
                await self._acquire(
                    keys=[self._lock_key, self._fence_key], args=[holder, self._lock_ttl_ms]
                )
            )
        ):
            if time.monotonic() > deadline:
                raise SourceBusyError(f"{self.source}: another poller holds the source's lock")
            await asyncio.sleep(_LOCK_RETRY)
        try:
            await self._confirm("the source's lock")
        except RedisError:
            await self._release(keys=[self._lock_key], args=[holder])
            raise
        return token

    async def _confirm(self, what: str) -> None:
        """Behind Sentinel: wait until a replica has this client's writes so far, or raise
        :class:`~ingest.store.sentinel.NotReplicatedError`. Nothing otherwise."""
        wanted = confirmation(self._redis)
        if wanted is not None:
            async with self._redis.pipeline(transaction=False) as pipe:
                # PING first: WAIT counts from the offset at the connection's last command.
                pipe.ping()
                pipe.execute_command("WAIT", *wanted)
                _, confirmed = await pipe.execute()
            check_confirmed(confirmed, wanted, f"{self.source}: {what}")

    async def load(self) -> tuple[dict[str, SeenEntry], int | None]:
        """The entries last seen (uid -> state) and the version they come from."""
        raw: Mapping[Any, Any] = await self._redis.hgetall(self.key)
        return self._decode(raw)

    def _decode(self, raw: Mapping[Any, Any]) -> tuple[dict[str, SeenEntry], int | None]:
        previous: dict[str, SeenEntry] = {}
        version: int | None = None
        for field, data in raw.items():
            name = reply_text(field)
            if name == VERSION_FIELD:
                try:
                    version = int(reply_text(data))
                except ValueError:
                    version = None
                continue
            try:
                previous[name] = SeenEntry.from_json_text(data)
            except UpdateError:
                # Written by something else: forget it (at worst the entry is offered to the
                # store again, which dedupes it).
                logger.warning("%s: unreadable state for %s; ignored", self.source, name)
        return previous, version

    @staticmethod
    def is_stale(version: int, stored: int | None, *, window: float) -> bool:
        """Whether a document of ``version`` is older than the state's (``stored``).

        A stored version more than ``window`` seconds ahead is not taken as newer: no fetch
        lasts that long, so it is a clock that jumped back, and refusing would freeze the
        source until the clock caught up.
        """
        if stored is None or stored < version:
            return False
        return stored - version <= window * 1_000_000

    async def save(
        self, diff: Diff[Update], *, seen: datetime, version: int, fence: Fence | None = None
    ) -> None:
        """Keep what the source now shows (whoever appended it) and the document's version.

        With a ``fence`` (from :meth:`locked`), written only while it holds
        (:class:`~ingest.store.stream_store.FencedError` if not).
        """
        keys_, args = self._save_call(diff, seen=seen, version=version, fence=fence)
        try:
            await self._save(keys=keys_, args=args)
        except ResponseError as error:
            raise self._fenced(error) from None
        await self._confirm("the source's state")

    async def save_and_release(
        self, diff: Diff[Update], *, seen: datetime, version: int, held: HeldSource
    ) -> None:
        """:meth:`save` under ``held``'s fence, and release the lock, in one round trip.

        Raises :class:`~ingest.store.stream_store.FencedError` as :meth:`save` does (the lock
        was someone else's by then: releasing it was a no-op).
        """
        keys_, args = self._save_call(diff, seen=seen, version=version, fence=held.fence)
        wanted = confirmation(self._redis)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.evalsha(self._save.sha, len(keys_), *keys_, *args)
            if wanted is not None:  # the state kept by a replica before the lock goes
                pipe.execute_command("WAIT", *wanted)
            pipe.evalsha(self._release.sha, 1, self._lock_key, held.holder)
            saved, *confirmed, released = await pipe.execute(raise_on_error=False)
        if isinstance(saved, NoScriptError):  # a restarted Redis: the scripts, one by one
            await self.save(diff, seen=seen, version=version, fence=held.fence)
            return
        if isinstance(released, NoScriptError):
            released = await self._release(keys=[self._lock_key], args=[held.holder])
        held.released = not isinstance(released, Exception)
        if isinstance(saved, ResponseError):
            raise self._fenced(saved)
        if isinstance(saved, Exception):
            raise saved
        if wanted is not None:
            check_confirmed(confirmed[0], wanted, f"{self.source}: the source's state")

    def _fenced(self, error: ResponseError) -> Exception:
        """A FENCED refusal as :class:`FencedError`; any other error as it is."""
        return FencedError(f"{self.source}: {error}") if "FENCED" in str(error) else error

    def _save_call(
        self, diff: Diff[Update], *, seen: datetime, version: int, fence: Fence | None
    ) -> tuple[list[str], list[str | int]]:
        """The keys and arguments of the save script for ``diff``."""
        mapping: dict[str, str] = {VERSION_FIELD: str(version)}
        for update in diff.new_or_changed:
            mapping[update.uid] = SeenEntry.of(update).to_json_text()
        for update in diff.deleted:
            mapping[update.uid] = SeenEntry.of(update.as_delete(seen=seen)).to_json_text()
        args: list[str | int] = ["" if fence is None else fence.token]
        for field, value in mapping.items():
            args.extend((field, value))
        return [self.key, *([] if fence is None else [fence.key])], args
