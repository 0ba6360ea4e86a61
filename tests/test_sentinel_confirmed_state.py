"""Behind Sentinel, a poller's state and a backlog read count only once a replica has them.

A primary and a replica on loopback (no Sentinel: the replica is promoted by hand, as Sentinel
would). The source's state (diff baseline and document version), its lock's fencing token and
the entries a history read hands out must be on a replica, or the poller (the reader) is told:
a state written on the old primary only would be gone after the failover, and the next poll
would diff against an older baseline (an older document applied, an edit reverted); a backlog
entry handed out from the old primary only could be lost, then appended again under a new id.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from redis.asyncio import Redis

from ingest.sources.entry_diff import Diff
from ingest.store import keys
from ingest.store.sentinel import NotReplicatedError, ReplicatedRedis
from ingest.store.source_state import SourceState
from ingest.store.stream_store import StreamStore
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.broadcaster import make_update
from tests.plugins.sentinel import SentinelSet


def _replicated_client(port: int) -> ReplicatedRedis:
    client = ReplicatedRedis(port=port, decode_responses=True, socket_timeout=10.0)
    client.min_replicas, client.wait_ms = 1, round(5000 * TIMEOUT_FACTOR)
    return client


async def test_a_state_saved_on_a_primary_without_replica_is_refused(
    tmp_path: Path, stream_key: str
) -> None:
    """The state saved (and a lock taken) while the replica is confirmed; once the replica is
    promoted away, the old primary's save is NotReplicatedError, and so is taking the lock
    (released again); before, the save was taken as stored."""
    servers = await asyncio.to_thread(SentinelSet(tmp_path).start_servers)
    primary, replica = servers.servers
    client = _replicated_client(primary)
    plain = Redis(port=replica, decode_responses=True)
    try:
        state = SourceState(client, stream_key, "live")
        first = Diff(new_or_changed=(make_update(0),), deleted=())
        async with state.held() as held:
            await state.save_and_release(first, seen=datetime.now(UTC), version=1, held=held)
        assert await plain.hget(state.key, "@version") == "1"  # the replica has it
        async with state.held() as held:
            await plain.replicaof("NO", "ONE")  # as Sentinel would
            client.wait_ms = 200  # no replica left: each WAIT below is refused, so not long
            second = Diff(new_or_changed=(make_update(1),), deleted=())
            with pytest.raises(NotReplicatedError):
                await state.save_and_release(second, seen=datetime.now(UTC), version=2, held=held)
        with pytest.raises(NotReplicatedError):
            await state.save(second, seen=datetime.now(UTC), version=2)
        with pytest.raises(NotReplicatedError):
            async with state.held():
                pass
        lock = keys.entries_lock_key(stream_key, "live")
        assert await client.get(lock) is None  # the refused lock was not left to expire
        assert await plain.hget(state.key, "@version") == "1"
    finally:
        await client.aclose()
        await plain.aclose()
        await asyncio.to_thread(servers.close)


async def test_a_backlog_read_hands_out_only_what_a_replica_has(
    tmp_path: Path, stream_key: str
) -> None:
    """History (a joining client's old ``since``, ``soiree dump``) from the old primary after
    the replica was promoted away: NotReplicatedError, never entries the new primary lacks
    (before: handed out)."""
    servers = await asyncio.to_thread(SentinelSet(tmp_path).start_servers)
    primary, replica = servers.servers
    client = _replicated_client(primary)
    unconfirmed = Redis(port=primary, decode_responses=True)
    promoted = Redis(port=replica, decode_responses=True)
    try:
        store = StreamStore(client, stream_key)
        await store.append(make_update(0))
        read = await store.history()
        assert [u.uid for u in read.updates] == [make_update(0).uid]
        await promoted.replicaof("NO", "ONE")
        client.wait_ms = 200
        await StreamStore(unconfirmed, stream_key).append(make_update(1))  # no WAIT
        assert await store.length() == 2
        with pytest.raises(NotReplicatedError):
            await store.history(since=read.last_id)
        with pytest.raises(NotReplicatedError):
            await store.history()
        empty = await store.history(since=(await store.last_id()) or "0")
        assert empty.updates == []  # nothing to hand out: nothing to confirm
        with pytest.raises(NotReplicatedError):  # a replay's next pass: its reset confirmed
            await store.reset_dedupe()
    finally:
        for each in (client, unconfirmed, promoted):
            await each.aclose()
        await asyncio.to_thread(servers.close)
