"""End to end: the emulated sources of the night, the pollers, the stream; and `soiree ingest`.

The pollers must give the very updates `soiree replay` appends (replay.timeline.night_updates),
once each, whether they run in-process, get killed and restarted, or run twice side by side.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from redis.asyncio import Redis

from ingest.cli import main
from ingest.model.update import Op, Update
from ingest.sources.config import load_ingest_config
from ingest.sources.source_health import SourceHealth
from ingest.store.health import read_all_health, record_poll
from ingest.store.redis_client import connect
from ingest.store.stream_store import StreamStore
from replay.night_fixture import NightFixture
from replay.timeline import night_updates
from tests.conftest import BUNDLED_NIGHT_DIR, TIMEOUT_FACTOR
from tests.plugins.ingest import (
    FAULT_PATHS,
    FaultServer,
    eventually,
    identity,
    ingest_until,
    soiree_command,
    sources_toml,
)
from tests.plugins.sources import RunningSources, SourcesStarter

BUNDLED = BUNDLED_NIGHT_DIR / "sources.toml"


def night_config(path: Path, base_url: str, *, interval: float) -> Path:
    """The bundled night's three sources, polled every ``interval`` seconds."""
    sources = [
        {"name": "liveblog", "type": "liveblog", "url": "/liveblog", "interval": interval,
         "entry": "article.entry", "time": "time", "body": ".body"},
        {"name": "articles", "type": "feed", "url": "/feed.xml", "interval": interval},
        {"name": "results", "type": "results", "url": "/results.json", "interval": interval},
    ]  # fmt: skip
    return sources_toml(path, base_url, sources, night=str(BUNDLED.parent / "night.toml"))


def expected_identities(fixture: NightFixture) -> set[tuple[str, str, str, str | None, str]]:
    """What `soiree replay` appends for the night."""
    return {identity(u) for u in night_updates(fixture, seen=datetime.now(UTC))}


async def wait_for_night(
    running: RunningSources, store: StreamStore, count: int, *, within: float
) -> None:
    """Wait until the emulated night is over and the stream holds ``count`` entries."""

    async def over() -> bool:
        return bool(running.state.health()["finished"]) and await store.length() >= count

    await eventually(over, within=within)


@pytest.mark.slow
async def test_pollers_give_what_replay_gives_with_a_page_of_ten(
    *,
    start_sources: SourcesStarter,
    sources_night: NightFixture,
    redis_client: Redis,
    stream_key: str,
    tmp_path: Path,
) -> None:
    """Emulated sources (a page of the latest 10) + pollers = replay's updates, no edit/delete.

    At 600x an entry stays on the page at least as long as ten newer ones take to come, seconds
    at the night's pace: polls slowed by a loaded machine must not let one roll off unseen (at
    3000x, under a parallel suite, one did)."""
    running = await start_sources(speed="600", max_gap="60s", page_size=10)
    config = load_ingest_config(night_config(tmp_path / "s.toml", running.base_url, interval=0.02))
    assert config.night is not None
    expected = expected_identities(sources_night)
    store = StreamStore(redis_client, stream_key)

    async def done() -> bool:
        return bool(running.state.health()["finished"]) and await store.length() >= len(expected)

    await ingest_until(
        config, redis_client, night=config.night, stream=stream_key, done=done,
        within=60 * TIMEOUT_FACTOR,
    )  # fmt: skip
    updates = (await store.history()).updates
    assert {identity(u) for u in updates} == expected
    assert Counter(u.op for u in updates) == {Op.ADD: len(expected)}
    replayed = {u.uid: u.text for u in night_updates(sources_night, seen=datetime.now(UTC))}
    assert {u.uid: u.text for u in updates} == replayed
    health = await read_all_health(redis_client, stream_key)
    latencies = {name: record["detection_latency_max_ms"] for name, record in health.items()}
    print(f"detection latency (worst per source, ms): {latencies}")
    assert all(record["state"] == "ok" for record in health.values())


async def test_burst_against_a_finished_night(
    *,
    start_sources: SourcesStarter,
    sources_night: NightFixture,
    redis_client: Redis,
    redis_url: str,
    stream_key: str,
    tmp_path: Path,
) -> None:
    """`soiree ingest --burst` polls until nothing changes, exits 0 and says what it did."""
    running = await start_sources(speed="max", page_size=100)
    config = night_config(tmp_path / "s.toml", "http://127.0.0.1:9/unused", interval=5)
    process = await asyncio.create_subprocess_exec(
        *soiree_command("ingest", "--burst", "--config", str(config), "--base-url",
                        running.base_url, "--redis-url", redis_url, "--stream", stream_key),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=30 * TIMEOUT_FACTOR)
    assert process.returncode == 0, err.decode()
    assert "liveblog: ok" in out.decode()
    assert "articles: ok" in out.decode()
    store = StreamStore(redis_client, stream_key)
    assert await store.length() == len(expected_identities(sources_night))


def test_status_prints_source_text_as_text(
    redis_url: str,
    stream_key: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """--status shows each source's health; markup in an error is printed literally."""
    monkeypatch.setenv("COLUMNS", "250")
    now = datetime.now(UTC)
    broken = SourceHealth(source="live", type="liveblog", url="http://h/", interval=5).failed(
        now=now, outcome="http_error", error="[red]HTTP 500[/red] \x1b[2J", status=500,
        poll_seconds=0.01,
    )  # fmt: skip

    async def write() -> None:
        client = await connect(redis_url)
        try:
            await record_poll(client, stream_key, broken)
        finally:
            await client.aclose()

    asyncio.run(write())
    argv = ["ingest", "--status", "--config", str(BUNDLED), "--redis-url", redis_url,
            "--stream", stream_key]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "[red]HTTP 500[/red]" in out
    assert "never polled" in out  # the configured sources no poller recorded yet
    assert "\x1b" not in out
    assert main([*argv, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["live"]["last_status"] == 500
    assert data["live"]["consecutive_errors"] == 1


def test_bad_config_is_one_clear_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad sources file exits 1 with the file and the source named, no traceback."""
    bad = sources_toml(tmp_path / "bad.toml", "http://h", [{"name": "x", "type": "tweets",
                       "url": "/", "interval": 1}])  # fmt: skip
    assert main(["ingest", "--config", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"soiree ingest: error: {bad}: source 'x': unknown type 'tweets'")
    assert "Traceback" not in err


async def _start_ingest(config: Path, redis_url: str, stream: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *soiree_command(
            "ingest", "--config", str(config), "--redis-url", redis_url, "--stream", stream
        ),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


async def _stop(process: asyncio.subprocess.Process) -> tuple[int, str]:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(process.communicate(), timeout=30 * TIMEOUT_FACTOR)
    assert process.returncode is not None
    return process.returncode, err.decode()


def _each_once(updates: list[Update], expected: int) -> None:
    uids = Counter(update.uid for update in updates)
    repeated = [(u.uid, u.op.value, u.seen.isoformat()) for u in updates if uids[u.uid] > 1]
    assert repeated == []
    assert len(uids) == expected


@pytest.mark.slow
async def test_sigkill_mid_night_loses_nothing_and_duplicates_nothing(
    *,
    start_sources: SourcesStarter,
    sources_night: NightFixture,
    redis_client: Redis,
    redis_url: str,
    stream_key: str,
    tmp_path: Path,
) -> None:
    """`soiree ingest` killed with SIGKILL mid-night and restarted: every update exactly once.

    At 250x the night lasts about 10 s: the first process must start and write 20 updates before
    it ends (at 1000x, 2.5 s, a process started on a loaded machine from a fresh checkout, which
    compiles its bytecode first, came too late for a kill mid-night)."""
    running = await start_sources(speed="250", max_gap="60s", page_size=100)
    config = night_config(tmp_path / "s.toml", running.base_url, interval=0.02)
    expected = expected_identities(sources_night)
    store = StreamStore(redis_client, stream_key)
    first = await _start_ingest(config, redis_url, stream_key)
    try:

        async def some() -> bool:
            return await store.length() >= 20

        await eventually(some, within=20, every=0.005)
        assert not running.state.health()["finished"]
    finally:
        first.kill()
        await first.wait()
    assert first.returncode == -signal.SIGKILL
    killed_at = await store.length()
    second = await _start_ingest(config, redis_url, stream_key)
    try:
        await wait_for_night(running, store, len(expected), within=30)
    finally:
        code, err = await _stop(second)
    assert code == 0, err
    updates = (await store.history()).updates
    assert {identity(u) for u in updates} == expected
    _each_once(updates, len(expected))
    assert killed_at < len(expected)


@pytest.mark.slow
async def test_two_ingest_processes_write_each_update_once(
    *,
    start_sources: SourcesStarter,
    sources_night: NightFixture,
    redis_client: Redis,
    redis_url: str,
    stream_key: str,
    tmp_path: Path,
) -> None:
    """Two `soiree ingest` on one config and stream: each update on the stream exactly once."""
    running = await start_sources(speed="1000", max_gap="60s", page_size=100)
    config = night_config(tmp_path / "s.toml", running.base_url, interval=0.02)
    expected = expected_identities(sources_night)
    store = StreamStore(redis_client, stream_key)
    processes = [await _start_ingest(config, redis_url, stream_key) for _ in range(2)]
    try:
        await wait_for_night(running, store, len(expected), within=30)
        await asyncio.sleep(0.3)  # both have polled the final state by now
    finally:
        stopped = [await _stop(process) for process in processes]
    assert [code for code, _ in stopped] == [0, 0], stopped
    updates = (await store.history()).updates
    assert {identity(u) for u in updates} == expected
    _each_once(updates, len(expected))
    health = await read_all_health(redis_client, stream_key)
    # Both processes polled every source: the shared counters hold both processes' polls.
    assert all(isinstance(record["polls"], int) for record in health.values())


@pytest.mark.slow
async def test_sigterm_stops_promptly_even_during_a_hanging_fetch(
    *,
    fault_server: FaultServer,
    redis_client: Redis,
    redis_url: str,
    stream_key: str,
    tmp_path: Path,
) -> None:
    """SIGTERM while a source hangs ends `soiree ingest`, status 0, without awaiting its timeout."""
    fault_server.entries = [("21h15", "Une entrée", None)]
    hang_timeout = 60 * TIMEOUT_FACTOR
    slow = {"interval": 0.05, "timeout": hang_timeout, "total_timeout": hang_timeout}
    config = sources_toml(
        tmp_path / "s.toml",
        fault_server.base_url,
        [
            {"name": "hang", "type": "liveblog", "url": FAULT_PATHS["hang"], **slow},
            {"name": "good", "type": "liveblog", "url": "/liveblog", **slow},
        ],
        night=str(BUNDLED.parent / "night.toml"),
    )
    process = await _start_ingest(config, redis_url, stream_key)
    store = StreamStore(redis_client, stream_key)

    async def hanging() -> bool:
        return fault_server.hits.get(FAULT_PATHS["hang"], 0) >= 1 and await store.length() >= 1

    try:
        await eventually(hanging, within=15)
    finally:
        process.send_signal(signal.SIGTERM)
        started = asyncio.get_running_loop().time()
        code, err = await _stop(process)
    assert code == 0, err
    assert asyncio.get_running_loop().time() - started < hang_timeout / 4
