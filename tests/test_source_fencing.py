"""The fence on a source's writes: a poller paused past its lock's life writes nothing.

First the rule against a real Redis (two holders of one source's lock, one after the other's
expiry), then the fault itself with real processes: two ``soiree ingest`` replicas on one
source whose newest entry changes every 0.3 s, one of them frozen (SIGSTOP) for 3 s at a time
while it holds the lock, then thawed (SIGCONT). The stream must never go back to an
older version of that entry.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import re
import signal
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Final

import pytest
from aiohttp import web
from redis.asyncio import Redis

from ingest.model.update import Kind, Op, Update
from ingest.sources.entry_diff import diff_entries
from ingest.store import keys
from ingest.store.source_state import VERSION_FIELD, SourceState
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
        await asyncio.sleep(0.1)  # past the lock's life: "paused"
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
        await asyncio.sleep(0.1)
        diff = diff_entries({}, [entry("Version 1")])
        (outcome,) = await store.append_many(diff.new_or_changed, fence=fence)
        await slow.save(diff, seen=SEEN, version=100, fence=fence)
    assert outcome.appended
    previous, version = await slow.load()
    assert version == 100
    assert set(previous) == {"live:latest"}


# -- the fault, with real processes -----------------------------------------------------------

#: Older entries on the page: they make the state a poller loads under the lock big enough that
#: a pause lands there most of the time.
OLDER_ENTRIES: Final = 1500
#: The newest entry's text changes this often (s).
CHANGE_EVERY: Final = 0.3
PAUSES: Final = 7
PAUSE: Final = 3.0
#: After this long frozen with the lock unchanged, the frozen replica is taken as its holder
#: (the other's apply takes tens of milliseconds; the lock lives 2 s).
HOLDER_CHECK: Final = 1.0


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


@pytest.mark.slow
async def test_a_paused_replica_never_reverts_an_edit(
    tmp_path: Path, redis_url: str, redis_client: Redis, stream_key: str
) -> None:
    """Two replicas, one frozen 3 s at a time holding the lock: no edit is ever reverted."""
    started = time.monotonic()

    async def liveblog(_: web.Request) -> web.Response:
        version = int((time.monotonic() - started) / CHANGE_EVERY)
        return web.Response(text=_page(version), content_type="text/html")

    app = web.Application()
    app.router.add_get("/liveblog", liveblog)
    runner, base_url = await serve_test_app(app)
    config = sources_toml(
        tmp_path / "sources.toml",
        base_url,
        [{"name": "live", "type": "liveblog", "url": "/liveblog", "interval": 0.05,
          "max_backoff": 0.5}],
        night=str(BUNDLED_NIGHT),
    )  # fmt: skip
    replicas = [
        await asyncio.create_subprocess_exec(
            *soiree_command(
                "ingest", "--config", str(config), "--redis-url", redis_url,
                "--stream", stream_key,
            ),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        for _ in range(2)
    ]  # fmt: skip
    lock = keys.entries_lock_key(stream_key, "live")
    store = StreamStore(redis_client, stream_key)
    try:
        async with asyncio.timeout(60 * TIMEOUT_FACTOR):
            while await store.length() < OLDER_ENTRIES + 1:  # noqa: ASYNC110 - Redis has no event
                await asyncio.sleep(0.05)
            pauses = attempts = 0
            while pauses < PAUSES:
                holder = await redis_client.get(lock)
                if holder is None:
                    await asyncio.sleep(0.001)
                    continue
                # Freeze a replica (each in turn); if the lock moves on meanwhile, the other one
                # held it: thaw this one and try again. Otherwise this one is frozen holding it.
                frozen = replicas[attempts % 2]
                attempts += 1
                frozen.send_signal(signal.SIGSTOP)
                await asyncio.sleep(HOLDER_CHECK)
                if await redis_client.get(lock) != holder:
                    frozen.send_signal(signal.SIGCONT)
                    continue
                await asyncio.sleep(PAUSE - HOLDER_CHECK)
                frozen.send_signal(signal.SIGCONT)
                pauses += 1
                await asyncio.sleep(0.5)
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
    versions = [
        int(match[1])
        for update in history.updates
        if update.uid == "live:latest" and (match := re.fullmatch(r"Version (\d+)", update.text))
    ]
    reverts = [(a, b) for a, b in itertools.pairwise(versions) if b < a]
    assert reverts == []
    assert len(versions) > 20  # the entry kept changing, and the replicas kept up with it
