"""Faults: `soiree ingest` killed with SIGKILL in the middle of its appends, then restarted.

A liveblog of thousands of entries makes one poll's append a long pipeline of script calls
(:meth:`ingest.store.stream_store.StreamStore.append_many`, 256 updates a call): the test kills the
process as soon as the first entries are on the stream, so that some calls have run, some are
in the socket and the rest were never sent, and the source's diff state is not written yet.
Restarted (and killed again the same way), the pollers must end with every entry on the stream
exactly once: the store's atomic dedupe makes every re-sent append a no-op.
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from pathlib import Path
from typing import Final

import pytest
from redis.asyncio import Redis

from ingest.model.update import Op
from ingest.store import keys
from ingest.store.stream_store import StreamStore
from tests.conftest import BUNDLED_NIGHT_DIR, TIMEOUT_FACTOR
from tests.plugins.ingest import FaultServer, soiree_command, sources_toml

BUNDLED_NIGHT: Final = BUNDLED_NIGHT_DIR / "night.toml"
#: Entries on the page: about twenty script calls in one poll's append.
ENTRIES: Final = 5000


def _big_liveblog(count: int) -> list[tuple[str, str, str | None]]:
    """``count`` entries from 18h00 to 23h59, newest first, each with an element id."""
    entries: list[tuple[str, str, str | None]] = []
    for index in range(count):
        minute = 18 * 60 + index * 360 // count
        written = f"{minute // 60}h{minute % 60:02d}"
        entries.append((written, f"Entrée numéro {index} de la soirée électorale", f"e{index}"))
    return entries[::-1]


async def _start(
    config: Path, redis_url: str, stream: str, *more: str
) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *soiree_command(
            "ingest", "--config", str(config), "--redis-url", redis_url, "--stream", stream, *more
        ),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _kill_once_grown(
    process: asyncio.subprocess.Process, store: StreamStore, beyond: int
) -> int:
    """SIGKILL ``process`` as soon as the stream holds more than ``beyond`` entries.

    Returns how many entries the stream holds once the server has run what it had received.
    """
    try:
        async with asyncio.timeout(60 * TIMEOUT_FACTOR):
            while await store.length() <= beyond:
                if process.returncode is not None:
                    raise AssertionError("soiree ingest exited before it was killed")
                await asyncio.sleep(0.001)
    finally:
        process.kill()
        await process.wait()
    assert process.returncode == -signal.SIGKILL
    # What was in the socket when the process died is still run by the server: let it settle.
    length = await store.length()
    while True:
        await asyncio.sleep(0.1)
        settled = await store.length()
        if settled == length:
            return settled
        length = settled


@pytest.mark.slow
async def test_sigkill_during_a_large_append_then_restart_writes_each_update_once(
    *,
    fault_server: FaultServer,
    redis_client: Redis,
    redis_url: str,
    stream_key: str,
    tmp_path: Path,
) -> None:
    """Killed twice mid-append, restarted: every one of 5,000 entries is on the stream once."""
    fault_server.entries = _big_liveblog(ENTRIES)
    config = sources_toml(
        tmp_path / "s.toml",
        fault_server.base_url,
        [{"name": "live", "type": "liveblog", "url": "/liveblog", "interval": 0.05}],
        night=str(BUNDLED_NIGHT),
    )
    store = StreamStore(redis_client, stream_key)
    state_key = keys.entries_key(stream_key, "live")

    first = await _start(config, redis_url, stream_key)
    after_first = await _kill_once_grown(first, store, 0)
    # Killed during the append: part of it is on the stream, and the diff state is unwritten.
    assert 0 < after_first < ENTRIES
    assert not await redis_client.exists(state_key)

    second = await _start(config, redis_url, stream_key)
    after_second = await _kill_once_grown(second, store, after_first)
    assert after_first < after_second < ENTRIES
    assert not await redis_client.exists(state_key)

    last = await _start(config, redis_url, stream_key, "--burst")
    out, err = await asyncio.wait_for(last.communicate(), timeout=60 * TIMEOUT_FACTOR)
    assert last.returncode == 0, err.decode()
    assert "live: ok" in out.decode()

    history = (await store.history()).updates
    uids = Counter(update.uid for update in history)
    assert [uid for uid, seen in uids.items() if seen > 1] == []
    assert set(uids) == {f"live:e{index}" for index in range(ENTRIES)}
    assert {update.op for update in history} == {Op.ADD}
    assert await redis_client.hlen(state_key) == ENTRIES + 1  # every entry, and the version
    print(
        f"sigkill during appends: {after_first} then {after_second} of {ENTRIES} entries on the"
        " stream at the kills; each entry once after the restart"
    )
