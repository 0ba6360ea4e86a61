"""The fence on a source's writes: a poller paused past its lock's life writes nothing.

First the rule against a real Redis (two holders of one source's lock, one after the other's
expiry), then the fault itself with real processes: two ``soiree ingest`` replicas on one
source whose newest entry changes every 0.3 s, one of them frozen (SIGSTOP) for 3 s (past its
lock's life) just after it read the source's state under the lock, then thawed (SIGCONT). The
stream must never go back to an older version of that entry.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import signal
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Final

import pytest
from aiohttp import web
from redis.asyncio import Redis

from ingest.model.update import Kind, Op, Update
from ingest.sources.entry_diff import diff_entries
from ingest.store import keys
from ingest.store.source_state import VERSION_FIELD, SourceBusyError, SourceState
from ingest.store.stream_store import FencedError, StreamStore
from tests.conftest import BUNDLED_NIGHT_DIR, TIMEOUT_FACTOR
from tests.plugins.ingest import serve_test_app, soiree_command, sources_toml

PARIS = timezone(timedelta(hours=1))
SEEN = datetime(2026, 1, 1, tzinfo=UTC)
BUNDLED_NIGHT: Final = BUNDLED_NIGHT_DIR / "night.toml"


def entry(text: str) -> Update:
    """The source's one entry, saying ``text``."""
    return Update(
        uid="live:latest",
        at=datetime(2017, 1, 29, 21, 0, tzinfo=PARIS),
        source="live",
        kind=Kind.NEWS,
        text=text,
        seen=SEEN,
    )


async def test_a_holder_whose_lock_was_taken_over_writes_nothing(
    redis_client: Redis, store: StreamStore
) -> None:
    """Lock expired and taken by another: the old holder's append and save are refused."""
    paused = SourceState(redis_client, store.stream, "live", lock_ttl=0.05)
    other = SourceState(redis_client, store.stream, "live", lock_ttl=0.05)
    async with paused.locked() as old_fence:
        # Paused past the lock's life: it expires (a paused holder cannot renew it).
        await redis_client.delete(keys.entries_lock_key(store.stream, "live"))
        async with other.locked() as new_fence:
            newer = diff_entries({}, [entry("Version 2")])
            await store.append_many(newer.new_or_changed, fence=new_fence)
            await other.save(newer, seen=SEEN, version=200, fence=new_fence)
        older = diff_entries({}, [entry("Version 1")])
        with pytest.raises(FencedError):
            await store.append_many(older.new_or_changed, fence=old_fence)
        with pytest.raises(FencedError):
            await paused.save(older, seen=SEEN, version=100, fence=old_fence)
    history = await store.history()
    assert [(u.op, u.text) for u in history.updates] == [(Op.ADD, "Version 2")]
    assert await redis_client.hget(keys.entries_key(store.stream, "live"), VERSION_FIELD) == "200"


async def test_a_holder_whose_lock_expired_unclaimed_still_writes(
    redis_client: Redis, store: StreamStore
) -> None:
    """Lock expired but nobody took it: the holder's writes go through (nobody wrote since)."""
    slow = SourceState(redis_client, store.stream, "live", lock_ttl=0.05)
    async with slow.locked() as fence:
        await redis_client.delete(keys.entries_lock_key(store.stream, "live"))  # expired
        diff = diff_entries({}, [entry("Version 1")])
        (outcome,) = await store.append_many(diff.new_or_changed, fence=fence)
        await slow.save(diff, seen=SEEN, version=100, fence=fence)
    assert outcome.appended
    previous, version = await slow.load()
    assert version == 100
    assert set(previous) == {"live:latest"}


async def test_a_holder_slow_past_its_locks_life_keeps_the_lock(
    redis_client: Redis, store: StreamStore
) -> None:
    """A holder still running (a big page, a loaded machine) renews its lock: nobody takes the
    source over, and its writes go through."""
    ttl = 0.3 * TIMEOUT_FACTOR
    slow = SourceState(redis_client, store.stream, "live", lock_ttl=ttl)
    other = SourceState(redis_client, store.stream, "live", lock_ttl=ttl, lock_wait=ttl / 3)
    async with slow.locked() as fence:
        await asyncio.sleep(3 * ttl)  # past the lock's life, three times over
        with pytest.raises(SourceBusyError):
            async with other.locked():
                pass
        diff = diff_entries({}, [entry("Version 1")])
        (outcome,) = await store.append_many(diff.new_or_changed, fence=fence)
        await slow.save(diff, seen=SEEN, version=100, fence=fence)
    assert outcome.appended
    assert await redis_client.get(keys.entries_lock_key(store.stream, "live")) is None
    async with other.locked():  # released at the end
        pass


# -- the fault, with real processes -----------------------------------------------------------

#: Older entries on the page: the state a poller loads under the lock, whose decoding and diff
#: leave the paused replica time to be frozen between its read of the state and its append.
OLDER_ENTRIES: Final = 500
#: The newest entry's text changes this often (s).
CHANGE_EVERY: Final = 0.3
PAUSES: Final = 3
#: Longer than the lock's life (2 s), by enough for the other replica to take the source over
#: and apply a newer page meanwhile.
PAUSE: Final = 3.0
#: After this long with the lock unchanged, the replica still frozen is taken as its holder
#: (the thawed one, if it held it, would have released it within milliseconds).
HOLDER_CHECK: Final = 0.3


def _page(version: int) -> str:
    older = "".join(
        f'<p id="e{index}"><strong>20h{index % 60:02d}:</strong> Entrée ancienne {index}</p>\n'
        for index in range(OLDER_ENTRIES)
    )
    return (
        '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Direct</title></head>'
        f'<body><div class="live">\n<p id="latest"><strong>21h00:</strong> '
        f"{html.escape(f'Version {version}')}</p>\n{older}</div></body></html>"
    )


async def _state_read(redis: Redis, state_key: str) -> None:
    """Return as soon as Redis runs a read of ``state_key`` (a replica loading it under the lock).

    Watched with MONITOR, opened now: only reads from now on count.
    """
    async with redis.monitor() as monitor:
        while True:
            command = (await monitor.next_command())["command"]
            if command.startswith("HGETALL ") and state_key in command:
                return


async def _newest_version(redis: Redis, stream: str) -> int:
    """The version the stream's last entry shows (after the first poll: the newest entry's)."""
    entries: Any = await redis.xrevrange(stream, "+", "-", count=1)
    ((_, fields),) = entries
    return _version_of(json.loads(fields["data"])["text"])


def _version_of(text: str) -> int:
    match = re.fullmatch(r"Version (\d+)", text)
    return int(match[1]) if match else -1


@pytest.mark.slow
async def test_a_paused_replica_never_reverts_an_edit(
    tmp_path: Path, redis_url: str, redis_client: Redis, stream_key: str
) -> None:
    """Two replicas; one frozen 3 s right after it read the state under the lock: no revert.

    The freeze lands where a paused replica is dangerous: the state it read is in its hands
    (the reply is already on its socket), its append not yet sent, its lock about to expire,
    and its page newer than what the stream shows (else it drops its page anyway). Both
    replicas are frozen when Redis runs a read of the state; the one whose page is older is
    thawed, and if the lock does not move, the other is the holder. If its page is newer than
    the stream's, it stays frozen past the lock's life while the thawed one takes the source
    over; the pause counts once the thawed one has appended a newer version meanwhile. Before
    the fence, every run reverted the entry (1 to 3 times in 3 pauses, in 6 runs; the frozen
    replica may be applying a page older than the last one it fetched, which it then drops).
    """
    started = time.monotonic()

    served = [-1, -1]  # the version last served to each replica (each polls its own URL)

    async def liveblog(request: web.Request) -> web.Response:
        version = int((time.monotonic() - started) / CHANGE_EVERY)
        served[int(request.query["replica"])] = version
        return web.Response(text=_page(version), content_type="text/html")

    app = web.Application()
    app.router.add_get("/liveblog", liveblog)
    runner, base_url = await serve_test_app(app)
    configs = [
        sources_toml(
            tmp_path / f"sources-{replica}.toml",
            base_url,
            [{"name": "live", "type": "liveblog", "url": f"/liveblog?replica={replica}",
              "interval": 0.05, "max_backoff": 0.5}],
            night=str(BUNDLED_NIGHT),
        )
        for replica in range(2)
    ]  # fmt: skip
    replicas = [
        await asyncio.create_subprocess_exec(
            *soiree_command(
                "ingest", "--config", str(config), "--redis-url", redis_url,
                "--stream", stream_key,
            ),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        for config in configs
    ]  # fmt: skip
    lock = keys.entries_lock_key(stream_key, "live")
    state_key = keys.entries_key(stream_key, "live")
    store = StreamStore(redis_client, stream_key)
    pauses = 0
    try:
        async with asyncio.timeout(60 * TIMEOUT_FACTOR):
            # The page, then a first edit: from then on the stream's last entry is the newest's.
            while await store.length() < OLDER_ENTRIES + 2:  # noqa: ASYNC110 - Redis has no event
                await asyncio.sleep(0.05)
            for attempt in itertools.count():
                if pauses == PAUSES:
                    break
                await _state_read(redis_client, state_key)
                for replica in replicas:
                    replica.send_signal(signal.SIGSTOP)
                holder = await redis_client.get(lock)
                shown = await _newest_version(redis_client, stream_key)
                # Keep frozen the replica with the newer page (in turn if they are even).
                keep = 1 - attempt % 2 if served[0] == served[1] else served.index(max(served))
                thawed, frozen = replicas[1 - keep], replicas[keep]
                thawed.send_signal(signal.SIGCONT)
                await asyncio.sleep(HOLDER_CHECK)
                paused = False
                if served[keep] > shown and holder and await redis_client.get(lock) == holder:
                    await asyncio.sleep(PAUSE - HOLDER_CHECK)
                    # A pause counts once the other replica appended a newer version meanwhile
                    # (it may have been held up itself): then a stale write would show.
                    paused = await _newest_version(redis_client, stream_key) > served[keep]
                frozen.send_signal(signal.SIGCONT)
                if paused:
                    pauses += 1
                    await asyncio.sleep(CHANGE_EVERY)
        for replica in replicas:
            assert replica.returncode is None  # neither died
            replica.send_signal(signal.SIGTERM)
        for replica in replicas:
            assert await asyncio.wait_for(replica.wait(), 10 * TIMEOUT_FACTOR) == 0
    finally:
        for replica in replicas:
            if replica.returncode is None:
                replica.send_signal(signal.SIGCONT)
                replica.kill()
                await replica.wait()
        await runner.cleanup()
    history = await store.history()
    versions = [_version_of(u.text) for u in history.updates if u.uid == "live:latest"]
    reverts = [(a, b) for a, b in itertools.pairwise(versions) if b < a]
    assert reverts == []
    assert pauses == PAUSES
    assert len(versions) > 10  # the entry kept changing, and the replicas kept up with it
