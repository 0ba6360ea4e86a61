"""Tests for ingest.store.stream_store, against a real redis-server (see conftest.py)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import redis.asyncio

from ingest.model.stream_ids import check_since, parse_stream_id
from ingest.model.update import Figures, Kind, Op, Update
from ingest.store import keys
from ingest.store.redis_client import connect
from ingest.store.stream_store import StreamStore
from tests.conftest import TIMEOUT_FACTOR

PARIS_WINTER = timezone(timedelta(hours=1))
NIGHT = datetime(2017, 1, 29, 19, 0, tzinfo=PARIS_WINTER)
ROOT = Path(__file__).resolve().parent.parent


def make_update(index: int, *, text: str | None = None, seen_offset: float = 0.0) -> Update:
    """Update number ``index`` of a made-up night (the same for every caller and process)."""
    return Update(
        uid=f"liveblog:{index}",
        at=NIGHT + timedelta(minutes=index),
        source="liveblog",
        kind=Kind.COUNT,
        text=text or f"Entrée {index}: Benoît Hamon à 58,65%",
        seen=datetime(2026, 11, 22, 2, 10, tzinfo=UTC) + timedelta(seconds=seen_offset),
        figures=Figures(shares={"Benoît Hamon": 58.65, "Manuel Valls": 41.35}, counted_pct=60),
        round=2,
    )


def make_updates(count: int) -> list[Update]:
    """Updates 0 .. count-1."""
    return [make_update(index) for index in range(count)]


def edited(update: Update) -> Update:
    """``update`` with new text, as a liveblog edit would give it."""
    return make_update(int(update.uid.split(":")[1]), text=f"{update.text} (corrigé)")


async def raw_entries(client: redis.asyncio.Redis, stream: str) -> list[tuple[str, dict[str, str]]]:
    """Every entry of the stream as Redis holds it."""
    entries = await client.xrange(stream) or []
    return [
        (str(entry_id), {str(name): str(value) for name, value in (fields or {}).items()})
        for entry_id, fields in entries
    ]


# -- append ------------------------------------------------------------------------------------


async def test_first_append_is_an_add(store: StreamStore) -> None:
    """A new uid is appended as op add, and reads back equal with its entry id."""
    update = make_update(1)
    outcome = await store.append(update)
    assert outcome.appended
    assert outcome.op is Op.ADD
    assert outcome.id is not None
    history = await store.history()
    assert history.updates == [update.with_stream(id=outcome.id, op=Op.ADD)]


async def test_same_content_is_a_duplicate(store: StreamStore) -> None:
    """The same content again, even seen later, writes nothing."""
    await store.append(make_update(1))
    outcome = await store.append(make_update(1, seen_offset=60))
    assert not outcome.appended
    assert outcome.id is None
    assert await store.length() == 1


async def test_changed_content_is_an_edit(store: StreamStore) -> None:
    """New content for a known uid is appended once, as op edit."""
    first = make_update(1)
    await store.append(first)
    outcome = await store.append(edited(first))
    again = await store.append(edited(first))
    assert (outcome.appended, outcome.op) == (True, Op.EDIT)
    assert not again.appended
    ops = [update.op for update in (await store.history()).updates]
    assert ops == [Op.ADD, Op.EDIT]


async def test_delete_is_written_once_for_a_known_uid(store: StreamStore) -> None:
    """A delete is appended once; deleting again, or an unknown uid, writes nothing."""
    update = make_update(1)
    await store.append(update)
    deleted = await store.delete(update)
    again = await store.delete(update)
    unknown = await store.delete(make_update(2))
    assert (deleted.appended, deleted.op) == (True, Op.DELETE)
    assert (again.appended, again.op) == (False, Op.DELETE)
    assert not unknown.appended
    last = (await store.history()).updates[-1]
    assert (last.uid, last.op, last.text) == (update.uid, Op.DELETE, update.text)


async def test_append_after_delete_is_an_add(store: StreamStore) -> None:
    """A uid that comes back after its delete is added again, even with the same content."""
    update = make_update(1)
    await store.append(update)
    await store.delete(update)
    outcome = await store.append(update)
    assert (outcome.appended, outcome.op) == (True, Op.ADD)


async def test_append_of_a_delete_update_deletes(store: StreamStore) -> None:
    """append() of an update whose op is delete behaves as delete()."""
    update = make_update(1)
    await store.append(update)
    outcome = await store.append(update.as_delete())
    assert (outcome.appended, outcome.op) == (True, Op.DELETE)


async def test_entry_fields_are_uid_op_and_data(
    store: StreamStore, redis_client: redis.asyncio.Redis, stream_key: str
) -> None:
    """An entry holds uid, op and data: the JSON of the update without id, uid and op."""
    update = make_update(1)
    await store.append(update)
    ((_, fields),) = await raw_entries(redis_client, stream_key)
    assert set(fields) == {"uid", "op", "data"}
    expected = update.to_json()
    for name in ("uid", "op"):
        del expected[name]
    assert json.loads(fields["data"]) == expected
    assert await redis_client.hget(keys.seen_key(stream_key), update.uid) == update.content_digest()


@pytest.mark.parametrize(
    "uid",
    ["feed:élection:2017", "liveblog:12:34:56", "x" * 200, "directe:“Hamon” 🗳️ \u00a0fin"],
)
async def test_any_uid_round_trips_through_the_script(store: StreamStore, uid: str) -> None:
    """Non-ASCII uids, uids holding ':' and the longest uid are stored and deduped as given."""
    update = Update(
        uid=uid,
        at=NIGHT,
        source="feed",
        kind=Kind.NEWS,
        text="Résultats: « 58,65 % »",
        seen=datetime(2026, 11, 22, 2, 10, tzinfo=UTC),
    )
    first, again = await store.append_many([update, update])
    assert (first.appended, again.appended) == (True, False)
    (read,) = (await store.history()).updates
    assert (read.uid, read.text, read.id) == (uid, update.text, first.id)
    deleted = await store.delete(update)
    assert (deleted.appended, deleted.op) == (True, Op.DELETE)


async def test_append_many_keeps_order_and_decides_ops(store: StreamStore) -> None:
    """A batch is appended in order, with duplicates, edits and deletes decided per update."""
    first, second = make_update(1), make_update(2)
    batch = [first, second, first, edited(first), second.as_delete(), make_update(3)]
    outcomes = await store.append_many(batch)
    assert [(outcome.appended, outcome.op) for outcome in outcomes] == [
        (True, Op.ADD),
        (True, Op.ADD),
        (False, Op.ADD),
        (True, Op.EDIT),
        (True, Op.DELETE),
        (True, Op.ADD),
    ]
    history = await store.history()
    assert [update.id for update in history.updates] == [o.id for o in outcomes if o.appended]
    assert await store.append_many([]) == []


async def test_append_many_decides_across_chunks(store: StreamStore) -> None:
    """A batch longer than one script call sees its own earlier updates in later calls."""
    updates = make_updates(600)
    batch = [*updates, *(edited(update) for update in updates[:100]), *updates[100:200]]
    outcomes = await store.append_many(batch)
    assert [outcome.op for outcome in outcomes if outcome.appended] == [Op.ADD] * 600 + [
        Op.EDIT
    ] * 100
    assert not any(outcome.appended for outcome in outcomes[700:])
    assert await store.length() == 700


async def test_batch_longer_than_maxlen_keeps_the_newest(
    redis_client: redis.asyncio.Redis, stream_key: str
) -> None:
    """One batch over maxlen is trimmed to its newest entries, and the trim recorded."""
    store = StreamStore(redis_client, stream_key, maxlen=100)
    ids = [outcome.id for outcome in await store.append_many(make_updates(300))]
    history = await store.history(since=ids[0])
    assert history.gap
    assert [update.id for update in history.updates] == ids[200:]
    assert history.last_trimmed_id == ids[199]


async def test_append_many_survives_a_script_flush(
    store: StreamStore, redis_client: redis.asyncio.Redis
) -> None:
    """After the server forgets the script (restart, SCRIPT FLUSH), appends reload it."""
    await store.append_many(make_updates(2))
    await redis_client.script_flush()
    outcomes = await store.append_many(make_updates(4))
    assert [outcome.appended for outcome in outcomes] == [False, False, True, True]
    await redis_client.script_flush()
    assert (await store.append(make_update(9))).appended


async def test_store_needs_a_decoding_client(redis_url: str, stream_key: str) -> None:
    """A client returning bytes is refused with a clear message, as is a maxlen below 1."""
    raw = redis.asyncio.Redis.from_url(redis_url)
    try:
        with pytest.raises(ValueError, match="decode_responses"):
            StreamStore(raw, stream_key)
    finally:
        await raw.aclose()
    client = await connect(redis_url)
    try:
        with pytest.raises(ValueError, match="maxlen"):
            StreamStore(client, stream_key, maxlen=0)
    finally:
        await client.aclose()


# -- concurrency --------------------------------------------------------------------------------


async def test_concurrent_connections_write_each_uid_once(redis_url: str, stream_key: str) -> None:
    """Three connections racing through the same 200 updates, then 50 edits, write each once."""
    clients = [await connect(redis_url) for _ in range(3)]
    try:
        stores = [StreamStore(client, stream_key) for client in clients]
        updates = make_updates(200)
        edits = [edited(update) for update in updates[:50]]

        async def race(store: StreamStore, batch: list[Update], seed: int) -> None:
            shuffled = random.Random(seed).sample(batch, len(batch))
            half = len(shuffled) // 2
            for update in shuffled[:half]:
                await store.append(update)
            await store.append_many(shuffled[half:])

        await asyncio.gather(*(race(s, updates, seed) for seed, s in enumerate(stores)))
        await asyncio.gather(*(race(s, edits, seed) for seed, s in enumerate(stores)))
        history = await stores[0].history()
    finally:
        for client in clients:
            await client.aclose()
    assert len(history.updates) == 250
    assert Counter(update.op for update in history.updates) == {Op.ADD: 200, Op.EDIT: 50}
    assert len({(update.uid, update.op) for update in history.updates}) == 250


WORKER = """
import asyncio, sys
from ingest.store.redis_client import connect
from ingest.store.stream_store import StreamStore
from tests.test_stream_store import edited, make_updates

async def main(url, stream, barrier):
    client = await connect(url)
    try:
        await client.rpush(barrier + ":ready", "1")
        await client.blpop([barrier], timeout=20)
        store = StreamStore(client, stream)
        updates = make_updates(200)
        for update in updates:
            await store.append(update)
        # The edits start once both workers wrote the originals: a worker still writing the
        # original of an update the other already edited would be a stale writer reverting an
        # edit (what a source's fence refuses, test_source_fencing), not a concurrent one.
        await client.rpush(barrier + ":written", "1")
        await client.blpop([barrier + ":edits"], timeout=20)
        await store.append_many([edited(update) for update in updates[:50]])
    finally:
        await client.aclose()

asyncio.run(main(*sys.argv[1:]))
"""


async def test_two_processes_write_each_uid_once(
    redis_url: str, redis_client: redis.asyncio.Redis, stream_key: str, store: StreamStore
) -> None:
    """Two OS processes appending the same updates at the same moment write each one once."""
    barrier = f"{stream_key}:barrier"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    workers = [
        await asyncio.create_subprocess_exec(
            *(sys.executable, "-c", WORKER, redis_url, stream_key, barrier),
            cwd=ROOT,
            env=env,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    try:
        for _ in workers:
            assert await redis_client.blpop([f"{barrier}:ready"], timeout=20) is not None
        await redis_client.rpush(barrier, "go", "go")  # both start at once
        for _ in workers:
            written = await redis_client.blpop([f"{barrier}:written"], timeout=30 * TIMEOUT_FACTOR)
            assert written is not None
        await redis_client.rpush(f"{barrier}:edits", "go", "go")  # both edit at once
        for worker in workers:
            _, stderr = await asyncio.wait_for(worker.communicate(), timeout=30 * TIMEOUT_FACTOR)
            assert worker.returncode == 0, stderr.decode()
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.kill()
                await worker.wait()
    history = await store.history()
    assert Counter(update.op for update in history.updates) == {Op.ADD: 200, Op.EDIT: 50}
    assert len({(update.uid, update.op) for update in history.updates}) == 250


# -- retention and history ------------------------------------------------------------------------


async def test_retention_reports_a_gap_only_when_entries_were_lost(
    redis_client: redis.asyncio.Redis, stream_key: str
) -> None:
    """With maxlen 5, reading after a trimmed id reports a gap; after a retained one, none."""
    store = StreamStore(redis_client, stream_key, maxlen=5)
    outcomes = [await store.append(update) for update in make_updates(12)]
    ids = [outcome.id for outcome in outcomes]
    assert all(ids)
    assert await store.length() == 5

    old = await store.history(since=ids[0])
    assert old.gap
    assert [update.id for update in old.updates] == ids[7:]
    assert (old.first_retained_id, old.last_trimmed_id) == (ids[7], ids[6])

    at_boundary = await store.history(since=ids[6])  # the newest trimmed: nothing after it lost
    recent = await store.history(since=ids[9])
    assert not at_boundary.gap
    assert not recent.gap
    assert [update.id for update in recent.updates] == ids[10:]
    assert not (await store.history()).gap  # "from the start" asks for what is retained


async def test_retention_after_lowering_maxlen(
    redis_client: redis.asyncio.Redis, stream_key: str
) -> None:
    """A store with a lower maxlen trims the excess at once and records the newest trimmed."""
    ids = [o.id for o in await StreamStore(redis_client, stream_key).append_many(make_updates(30))]
    store = StreamStore(redis_client, stream_key, maxlen=3)
    last = await store.append(make_update(99))
    history = await store.history(since=ids[0])
    assert history.gap
    assert [update.id for update in history.updates] == [*ids[-2:], last.id]
    assert history.last_trimmed_id == ids[-3]


async def test_history_since_is_exclusive_and_count_limits(store: StreamStore) -> None:
    """history(since=id) starts after id, stops after count updates, and pages past 1000."""
    outcomes = await store.append_many(make_updates(2500))
    ids = [outcome.id for outcome in outcomes]
    everything = await store.history()
    assert [update.id for update in everything.updates] == ids
    assert everything.last_id == ids[-1]
    some = await store.history(since=ids[10], count=1200)
    assert [update.id for update in some.updates] == ids[11:1211]
    assert some.last_id == ids[1210]
    assert (await store.history(since="0", count=3)).updates == everything.updates[:3]


async def test_history_since_dollar_gives_the_present(store: StreamStore) -> None:
    """history(since="$") returns no updates and the current last id to go live from."""
    outcomes = await store.append_many(make_updates(3))
    present = await store.history(since="$")
    assert present.updates == []
    assert present.last_id == outcomes[-1].id == await store.last_id()
    assert present.first_retained_id == outcomes[0].id


async def test_empty_stream(store: StreamStore) -> None:
    """A stream never written is empty, with no last id and no gap."""
    history = await store.history(since="1-0")
    assert (history.updates, history.gap, history.last_trimmed_id) == ([], False, None)
    assert await store.last_id() is None
    assert await store.length() == 0


@pytest.mark.parametrize(
    "since", ["abc", "-1", "1-2-3", "", "+", "-", "1-", "99999999999999999999999"]
)
async def test_bad_since_is_rejected(store: StreamStore, since: str) -> None:
    """A since that is not a stream id, "0" or "$" is a ValueError naming the value."""
    with pytest.raises(ValueError, match="since must be"):
        await store.history(since=since)
    with pytest.raises(ValueError, match="since must be"):
        await store.read_after(since, block_ms=10, count=10)


def test_since_forms() -> None:
    """Accepted cursors normalise: "0" is the start, a bare ms is ms-0, ids compare as numbers."""
    assert check_since(None) is None
    assert check_since("0-0") is None
    assert check_since("$") == "$"
    assert check_since("1485716460000") == "1485716460000-0"
    assert parse_stream_id("10-2") > parse_stream_id("9-30")


# -- reading live -------------------------------------------------------------------------------


async def test_tail_yields_new_appends_in_order(store: StreamStore) -> None:
    """tail("$") skips what was there and yields what comes next, in order."""
    await store.append(make_update(0))
    updates = store.tail("$", block_ms=2000)
    received: list[Update] = []

    async def collect() -> None:
        async for update in updates:
            received.append(update)
            if len(received) == 3:
                return

    task = asyncio.create_task(collect())
    await asyncio.sleep(0.2)  # the tail is now pinned after update 0, blocking in XREAD
    for index in (1, 2):
        await store.append(make_update(index))
    await store.append(edited(make_update(1)))
    await asyncio.wait_for(task, timeout=5 * TIMEOUT_FACTOR)
    await updates.aclose()
    assert [(update.uid, update.op) for update in received] == [
        ("liveblog:1", Op.ADD),
        ("liveblog:2", Op.ADD),
        ("liveblog:1", Op.EDIT),
    ]


async def test_read_after_times_out_empty(store: StreamStore) -> None:
    """read_after returns an empty batch, cursor unchanged, when nothing comes in time."""
    outcome = await store.append(make_update(0))
    assert outcome.id is not None
    batch = await store.read_after(outcome.id, block_ms=50, count=10)
    assert batch == []
    assert batch.last_id == outcome.id


async def test_read_after_cannot_outblock_the_socket_timeout(store: StreamStore) -> None:
    """A block longer than the client's socket timeout (or forever) is refused up front."""
    with pytest.raises(ValueError, match="socket timeout"):
        await store.read_after("$", block_ms=60_000, count=10)
    with pytest.raises(ValueError, match="socket timeout"):
        await store.read_after("$", block_ms=0, count=10)


async def test_malformed_entries_are_skipped(
    store: StreamStore,
    redis_client: redis.asyncio.Redis,
    stream_key: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Entries written by someone else that do not parse are logged and skipped, not fatal."""
    good = make_update(1).to_json()
    data = {k: v for k, v in good.items() if k not in ("uid", "op")}
    await redis_client.xadd(stream_key, {"hello": "world"})
    await redis_client.xadd(stream_key, {"uid": "x", "op": "add", "data": "{not json"})
    await redis_client.xadd(stream_key, {"uid": "x", "op": "add", "data": "[1, 2]"})
    await redis_client.xadd(stream_key, {"uid": "x", "op": "add", "data": json.dumps({"kind": 1})})
    await redis_client.xadd(stream_key, {"uid": "x", "op": "boom", "data": json.dumps(data)})
    with caplog.at_level(logging.WARNING, logger="ingest.store.stream_reads"):
        skipped_only = await store.read_after("0", block_ms=50, count=10)
        assert skipped_only == []
        assert skipped_only.last_id == await store.last_id()  # moved past them
        outcome = await store.append(make_update(1))
        history = await store.history()
        batch = await store.read_after("0", block_ms=50, count=10)
    assert [update.id for update in history.updates] == [outcome.id]
    assert [update.id for update in batch] == [outcome.id]
    assert history.last_id == outcome.id
    assert sum("malformed" in record.message for record in caplog.records) >= 5
