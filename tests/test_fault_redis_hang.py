"""Faults: Redis hung (SIGSTOP: connections accepted, nothing answered), then back (SIGCONT).

A liveblog page shows its latest 40 entries and gains 4 a second, so an entry stays on it 10 s
(twice what the poll caught by the freeze waits for Redis: a loaded machine's margin); Redis is
frozen for 12 s, longer than that, so a poller that stopped fetching would lose entries. The
pollers must keep fetching at their interval meanwhile (every entry the page showed is kept),
say so in their log, and append everything once Redis is back, each entry once and in order. A
websocket client joining meanwhile with a ``since`` the broadcaster must read from Redis is told
to come back (1013) while Redis is still frozen.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Final

import aiohttp
import pytest
from aiohttp import web
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

from ingest.polling.fetch import Fetcher
from ingest.polling.kept_writer import PROBE_TIMEOUT, STORE_PATIENCE
from ingest.polling.poller import SourcePoller
from ingest.polling.runner import run_ingest
from ingest.sources.config import load_ingest_config
from ingest.sources.source_config import SourceConfig, SourceType
from ingest.store.health import read_health
from ingest.store.redis_client import FIRST_ANSWER_TIMEOUT, StoreLimits, bounded_client, connect
from ingest.store.scratch_redis import ScratchServer
from ingest.store.stream_store import StreamStore
from replay.night_fixture import NightFixture
from tests.conftest import BUNDLED_NIGHT_DIR, TIMEOUT_FACTOR
from tests.plugins.broadcaster import BroadcasterStarter, recv_until
from tests.plugins.ingest import (
    FaultServer,
    eventually,
    serve_test_app,
    soiree_command,
    sources_toml,
)

BUNDLED_NIGHT: Final = BUNDLED_NIGHT_DIR / "night.toml"
SHOWN: Final = 40
PER_SECOND: Final = 4.0
HANG: Final = 12.0
INTERVAL: Final = 0.25
STREAM: Final = "hang:night"


@pytest.mark.slow
async def test_a_hung_redis_neither_stops_the_pollers_nor_loses_an_entry(
    tmp_path: Path, start_broadcaster: BroadcasterStarter, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis frozen 12 s: polls go on, each entry shown is appended once; a joiner gets 1013."""
    caplog.set_level(logging.WARNING, logger="ingest.polling")
    started = time.monotonic()
    hits: list[float] = []

    def published() -> int:
        return int((time.monotonic() - started) * PER_SECOND) + 1

    async def liveblog(_: web.Request) -> web.Response:
        hits.append(time.monotonic())
        newest = published()
        paragraphs = "".join(
            f'<p id="e{k}"><strong>{18 + k // 60}h{k % 60:02d}:</strong> Entrée {k}</p>\n'
            for k in reversed(range(max(0, newest - SHOWN), newest))
        )
        return web.Response(text=f"<div>{paragraphs}</div>", content_type="text/html")

    app = web.Application()
    app.router.add_get("/liveblog", liveblog)
    runner, base_url = await serve_test_app(app)
    config = load_ingest_config(
        sources_toml(
            tmp_path / "sources.toml",
            base_url,
            [{"name": "live", "type": "liveblog", "url": "/liveblog", "interval": INTERVAL}],
            night=str(BUNDLED_NIGHT),
        )
    )
    assert config.night is not None
    (tmp_path / "redis").mkdir()
    with ScratchServer(tmp_path / "redis") as server:
        assert server.process is not None
        redis_pid = server.process.pid
        client = await connect(server.url)
        store = StreamStore(client, STREAM)
        pollers: list[SourcePoller] = []
        stop = asyncio.Event()
        ingest = asyncio.create_task(
            run_ingest(config, client, night=config.night, stream=STREAM, stop=stop,
                       on_poller=pollers.append)
        )  # fmt: skip
        running = await start_broadcaster(redis_url=server.url, stream=STREAM, recent=2)
        frozen = False
        try:

            async def grown() -> bool:
                return await store.length() >= 8

            await eventually(grown, within=20 * TIMEOUT_FACTOR)
            first_id = (await store.history(count=1)).updates[0].id
            os.kill(redis_pid, signal.SIGSTOP)
            frozen, frozen_at = True, time.monotonic()
            await asyncio.sleep(1.0)
            # A client the broadcaster must serve from Redis: told to retry, while it is frozen.
            async with ws_connect(running.ws_url(f"since={first_id}")) as ws:
                with pytest.raises(ConnectionClosed) as closed:
                    await recv_until(ws, "live", within=HANG)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1013
            # Told while still frozen, not once Redis came back (scaled: a loaded machine).
            assert time.monotonic() - frozen_at < HANG * TIMEOUT_FACTOR
            await asyncio.sleep(HANG - (time.monotonic() - frozen_at))
            polls_while_frozen = sum(1 for hit in hits if hit > frozen_at)
            shown_while_frozen = published()
            os.kill(redis_pid, signal.SIGCONT)
            frozen = False

            async def caught_up() -> bool:
                return await store.length() >= shown_while_frozen

            # Everything kept is written at once: well before a lock's life (2 s) goes by (a
            # retried lock call once waited for its own first try to expire).
            await eventually(caught_up, within=1.5 * TIMEOUT_FACTOR)

            async def recovered() -> bool:
                said = [record.getMessage() for record in caplog.records]
                return pollers[0].health.state == "ok" and any(
                    "Redis answers again" in message for message in said
                )

            await eventually(recovered, within=5 * TIMEOUT_FACTOR)
        finally:
            if frozen:
                os.kill(redis_pid, signal.SIGCONT)
            stop.set()
            await asyncio.wait_for(ingest, 10 * TIMEOUT_FACTOR)
            await running.stop()
            await runner.cleanup()
        history = await store.history()
        await client.aclose()
    # The pollers kept fetching once the first poll found Redis silent, not once in the whole
    # hang (before the fix: a single poll in 45 s). At their pace (the interval, plus a tenth of
    # a second of waiting for Redis each time) that is about 10 polls; a loaded machine (the
    # test shares 2 cores with the suite) may fall short of that pace, never to one poll.
    paced = (HANG - STORE_PATIENCE - PROBE_TIMEOUT) / (INTERVAL + 0.5)
    assert polls_while_frozen >= paced / 3
    uids = [update.uid for update in history.updates]
    assert len(uids) == len(set(uids))
    expected = [f"live:e{k}" for k in range(shown_while_frozen)]
    assert uids[: len(expected)] == expected
    warnings = [record.getMessage() for record in caplog.records]
    assert any("Redis: does not answer" in message for message in warnings), warnings
    assert any("Redis answers again" in message for message in warnings), warnings
    (poller,) = pollers
    assert poller.health.state == "ok"
    assert poller.health.last_error is not None
    assert "does not answer" in poller.health.last_error


async def test_documents_dropped_while_redis_is_hung_are_counted_in_health(
    tmp_path: Path,
    fault_server: FaultServer,
    sources_night: NightFixture,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Past the queue's bound the oldest documents go, each counted, and the health says so."""
    caplog.set_level(logging.WARNING, logger="ingest.polling")
    night = sources_night.night
    source = SourceConfig(
        name="live", type=SourceType.LIVEBLOG, url=fault_server.url("/liveblog"), interval=0.05
    )
    (tmp_path / "redis").mkdir()
    with ScratchServer(tmp_path / "redis") as server:
        assert server.process is not None
        client = await connect(server.url)
        writer = bounded_client(client, StoreLimits())
        poller = None
        try:
            async with aiohttp.ClientSession() as session:
                store = StreamStore(writer, STREAM)
                poller = SourcePoller(
                    source,
                    night=night,
                    redis=writer,
                    store=store,
                    fetcher=Fetcher(session),
                    max_kept=3,
                )
                fault_server.entries = [("21h00", "Entrée 0", "e0")]
                assert (await poller.poll_once()).added == 1
                os.kill(server.process.pid, signal.SIGSTOP)
                try:
                    for minute in range(1, 6):  # five documents, each different
                        fault_server.entries = [(f"21h{minute:02d}", f"Entrée {minute}", "e0")]
                        failed = await poller.poll_once()
                        assert (failed.ok, failed.outcome) == (False, "store_error")
                finally:
                    os.kill(server.process.pid, signal.SIGCONT)
                assert poller.health.dropped_documents == 2
                dropping = [r for r in caplog.records if "dropping the document" in r.message]
                assert len(dropping) == 2

                async def recorded() -> bool:
                    await poller.poll_once()
                    health = await read_health(client, STREAM, "live")
                    return health is not None and health.dropped_documents == 2

                await eventually(recorded, within=10 * TIMEOUT_FACTOR)
        finally:
            if poller is not None:
                await poller.stop_writing()
            await writer.aclose()
            await client.aclose()


@pytest.mark.slow
def test_a_reader_started_while_redis_is_hung_says_so(tmp_path: Path) -> None:
    """`soiree dump` on a frozen Redis: one line naming the wait, exit 1, not minutes of it."""
    with ScratchServer(tmp_path) as server:
        assert server.process is not None
        os.kill(server.process.pid, signal.SIGSTOP)
        try:
            done = subprocess.run(
                soiree_command("dump", "--redis-url", server.url, "--stream", STREAM),
                capture_output=True,
                text=True,
                timeout=60 * TIMEOUT_FACTOR,
                check=False,
            )
        finally:
            os.kill(server.process.pid, signal.SIGCONT)
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert f"did not answer within {FIRST_ANSWER_TIMEOUT:g} s" in line
