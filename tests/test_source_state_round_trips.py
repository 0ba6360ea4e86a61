"""The source's lock and state in fewer round trips: ``SourceState.held`` takes the lock and
reads the state in one pipeline, ``save_and_release`` writes the state and frees the lock in one
more. The lock's rules hold as with ``locked``/``load``/``save``: a state read while another
holds the lock is never used, a holder taken over writes nothing and frees nothing of the new
holder's, and a Redis that lost its scripts is served all the same."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from redis.asyncio import Redis

from ingest.model.update import Kind, Update
from ingest.sources.entry_diff import diff_entries
from ingest.store import keys
from ingest.store.source_state import VERSION_FIELD, SourceState
from ingest.store.stream_store import FencedError
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


async def test_held_reads_the_state_and_save_and_release_frees_the_lock(
    redis_client: Redis, stream_key: str
) -> None:
    """The state comes with the lock; the save is kept and the lock is free afterwards."""
    state = SourceState(redis_client, stream_key, "live", lock_wait=0.05)
    await state.save(diff_entries({}, [entry(1)]), seen=SEEN, version=100)
    async with state.held() as held:
        assert held.stored == 100
        assert set(held.previous) == {"live:2101"}
        assert await redis_client.get(keys.entries_lock_key(stream_key, "live")) == held.holder
        diff = diff_entries(held.previous, [entry(2), entry(1)])
        await state.save_and_release(diff, seen=SEEN, version=200, held=held)
        assert held.released
        assert await redis_client.get(keys.entries_lock_key(stream_key, "live")) is None
    previous, version = await state.load()
    assert version == 200
    assert set(previous) == {"live:2101", "live:2102"}
    async with state.held():  # free at once (lock_wait 0.05 s)
        pass


async def test_a_state_read_while_the_lock_was_busy_is_read_again(
    redis_client: Redis, stream_key: str
) -> None:
    """Waiting for a busy lock: what the holder saved meanwhile is what the waiter gets."""
    first = SourceState(redis_client, stream_key, "live", lock_ttl=5)
    second = SourceState(redis_client, stream_key, "live", lock_ttl=5, lock_wait=5)
    await first.save(diff_entries({}, [entry(1)]), seen=SEEN, version=100)
    entered = asyncio.Event()

    async def hold_then_save() -> None:
        async with first.held() as held:
            entered.set()
            await asyncio.sleep(0.2)
            diff = diff_entries(held.previous, [entry(2), entry(1)])
            await first.save_and_release(diff, seen=SEEN, version=200, held=held)

    holder = asyncio.create_task(hold_then_save())
    await asyncio.wait_for(entered.wait(), 5 * TIMEOUT_FACTOR)
    async with second.held() as held:
        assert held.stored == 200
        assert set(held.previous) == {"live:2101", "live:2102"}
    await holder


async def test_a_holder_taken_over_writes_nothing_and_frees_nothing(
    redis_client: Redis, stream_key: str
) -> None:
    """Lock expired and taken by another: the old holder's save is fenced, the new lock stays."""
    paused = SourceState(redis_client, stream_key, "live", lock_ttl=0.05)
    other = SourceState(redis_client, stream_key, "live", lock_ttl=5)
    async with paused.held() as old:
        # Paused past the lock's life: it expires (a paused holder cannot renew it).
        await redis_client.delete(keys.entries_lock_key(stream_key, "live"))
        async with other.held() as new:
            with pytest.raises(FencedError):
                await paused.save_and_release(
                    diff_entries({}, [entry(1)]), seen=SEEN, version=100, held=old
                )
            assert await redis_client.get(keys.entries_lock_key(stream_key, "live")) == new.holder
            await other.save_and_release(
                diff_entries({}, [entry(2)]), seen=SEEN, version=200, held=new
            )
    raw = await redis_client.hgetall(keys.entries_key(stream_key, "live"))
    assert raw[VERSION_FIELD] == "200"
    assert "live:2101" not in raw


async def test_a_redis_without_the_scripts_is_served(redis_client: Redis, stream_key: str) -> None:
    """SCRIPT FLUSH (a restarted Redis): the lock, the read, the save and the release work."""
    state = SourceState(redis_client, stream_key, "live", lock_wait=1)
    await state.save(diff_entries({}, [entry(1)]), seen=SEEN, version=100)
    await redis_client.script_flush()
    async with state.held() as held:
        assert held.stored == 100
        await redis_client.script_flush()
        diff = diff_entries(held.previous, [entry(2), entry(1)])
        await state.save_and_release(diff, seen=SEEN, version=200, held=held)
    assert await redis_client.get(keys.entries_lock_key(stream_key, "live")) is None
    _, version = await state.load()
    assert version == 200
