"""Tests for ingest.store.source_state: the shared diff state, its version and its lock, in
Redis."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from redis.asyncio import Redis

from ingest.model.update import Kind, Update
from ingest.sources.entry_diff import diff_entries
from ingest.store import keys
from ingest.store.source_state import VERSION_FIELD, SourceBusyError, SourceState
from tests.conftest import TIMEOUT_FACTOR

PARIS = timezone(timedelta(hours=1))
SEEN = datetime(2026, 1, 1, tzinfo=UTC)


def entry(minute: int) -> Update:
    """An entry at 21:<minute>."""
    return Update(
        uid=f"live:21{minute:02d}",
        at=datetime(2017, 1, 29, 21, minute, tzinfo=PARIS),
        source="live",
        kind=Kind.NEWS,
        text=f"entrée {minute}",
        seen=SEEN,
    )


def test_stale_rule() -> None:
    """Older than the state is stale; newer is not; a state far ahead is a clock jump, not stale."""
    assert not SourceState.is_stale(100, None, window=30)
    assert not SourceState.is_stale(200, 100, window=30)
    assert SourceState.is_stale(100, 200, window=30)
    assert SourceState.is_stale(100, 100, window=30)
    assert not SourceState.is_stale(0, 31_000_000, window=30)


async def test_save_and_load_round_trip(redis_client: Redis, stream_key: str) -> None:
    """Entries, deletes and the version come back as saved; the version is no uid."""
    state = SourceState(redis_client, stream_key, "live")
    first = diff_entries({}, [entry(2), entry(1)])
    await state.save(first, seen=SEEN, version=111)
    previous, version = await state.load()
    second = diff_entries(previous, [entry(2)])
    assert second.deleted == ()  # 21:01 fell off the end: not a delete
    third = diff_entries(previous, [entry(3), entry(1)])
    assert [u.uid for u in third.deleted] == ["live:2102"]
    await state.save(third, seen=SEEN, version=222)
    previous, version = await state.load()
    assert version == 222
    assert previous["live:2102"].deleted
    assert set(previous) == {"live:2101", "live:2102", "live:2103"}
    raw = await redis_client.hgetall(keys.entries_key(stream_key, "live"))
    assert raw[VERSION_FIELD] == "222"


async def test_lock_serialises_and_times_out(redis_client: Redis, stream_key: str) -> None:
    """Two holders never overlap; one waiting longer than lock_wait is told the source is busy."""
    first = SourceState(redis_client, stream_key, "live", lock_ttl=5, lock_wait=2)
    second = SourceState(redis_client, stream_key, "live", lock_ttl=5, lock_wait=2)
    inside: list[str] = []

    async def hold(state: SourceState, name: str) -> None:
        async with state.locked():
            inside.append(f"{name} in")
            await asyncio.sleep(0.05)
            inside.append(f"{name} out")

    await asyncio.gather(hold(first, "a"), hold(second, "b"))
    assert inside in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])
    impatient = SourceState(redis_client, stream_key, "live", lock_wait=0.05)
    async with first.locked():
        with pytest.raises(SourceBusyError):
            async with impatient.locked():
                pass
    async with impatient.locked():  # released by its holder
        pass


async def test_lock_of_a_dead_holder_expires(redis_client: Redis, stream_key: str) -> None:
    """A lock nobody releases (a killed poller) expires after its ttl."""
    await redis_client.set(keys.entries_lock_key(stream_key, "live"), "dead", px=100)
    state = SourceState(redis_client, stream_key, "live", lock_wait=1)
    lock = keys.entries_lock_key(stream_key, "live")
    async with asyncio.timeout(1 * TIMEOUT_FACTOR):
        async with state.locked() as fence:
            holder = await redis_client.get(lock)
            assert holder is not None
            assert holder not in ("dead", b"dead")  # ours now
            assert fence.token >= 1
    assert await redis_client.exists(lock) == 0  # and released
