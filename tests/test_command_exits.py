"""The small promises of the command line: --version, -v anywhere, exit statuses, prompt stops,
fresh /metrics, and an embedded Redis started by a command is said once."""

from __future__ import annotations

import signal
import socket
import time
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import aiohttp
import pytest
from redis.asyncio import Redis

from ingest.cli import build_parser
from ingest.sources.source_health import SourceHealth
from ingest.store.health import record_poll
from tests.cli_process import SoireeProcess, soiree, soiree_env
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.broadcaster import BroadcasterStarter


def test_version_is_printed() -> None:
    """`soiree --version` prints the version and exits 0."""
    result = soiree("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("soiree 0.")


def test_verbose_is_accepted_after_the_subcommand() -> None:
    """`-v` counts before and after the subcommand (`soiree -v dump -v` is -vv)."""
    args = build_parser().parse_args(["-v", "dump", "-v", "--stream", "x"])
    assert args.verbose + args.verbose_after == 2
    assert build_parser().parse_args(["ticker", "-vv"]).verbose_after == 2


def test_dump_of_a_missing_stream_says_so_and_exits_4(redis_url: str) -> None:
    """A stream that does not exist is not an empty one: one line, status 4."""
    stream = f"test:{uuid4().hex}"
    result = soiree("dump", "--redis-url", redis_url, "--stream", stream)
    assert result.returncode == 4  # EXIT_NO_STREAM, README.md
    assert f"no stream {stream}" in result.stderr
    assert result.stdout == ""


def test_dump_follow_of_a_missing_stream_says_so_and_waits(redis_url: str) -> None:
    """With --follow it says the stream does not exist yet, waits, and stops on SIGTERM with 0."""
    stream = f"test:{uuid4().hex}"
    running = SoireeProcess("dump", "--follow", "--redis-url", redis_url, "--stream", stream)
    try:
        running.wait_for_line(rf"{stream} does not exist \(yet\); waiting")
        assert running.stop(signal.SIGTERM) == 0
    finally:
        running.close()


def test_replay_exits_0_on_ctrl_c(redis_url: str) -> None:
    """Ctrl-C stops `soiree replay` cleanly with status 0, as every other command."""
    stream = f"test:{uuid4().hex}"
    running = SoireeProcess(
        "replay", "--speed", "1", "--no-progress", "--redis-url", redis_url, "--stream", stream
    )
    try:
        running.wait_for_line(r"follow it with")
        assert running.stop(signal.SIGINT) == 0
    finally:
        running.close()


def test_serve_exits_promptly_on_sigint_with_a_stalled_client(redis_url: str) -> None:
    """A client that never answers the close does not hold `serve` for its close timeout (5 s)."""
    running = SoireeProcess(
        "serve", "--port", "0", "--redis-url", redis_url, "--stream", f"test:{uuid4().hex}",
        env=soiree_env(SOIREE_READ_TOKEN=""),
    )  # fmt: skip
    try:
        port = int(running.wait_for_line(r"http://127\.0\.0\.1:(\d+)/")[1])
        with socket.create_connection(("127.0.0.1", port)) as stalled:
            stalled.sendall(
                b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                b"Sec-WebSocket-Version: 13\r\n\r\n"
            )
            stalled.settimeout(10 * TIMEOUT_FACTOR)
            assert b" 101 " in stalled.recv(65536)  # joined; it reads nothing more from now on
            started = time.monotonic()
            assert running.stop(signal.SIGINT, timeout=3.0) == 0
            assert time.monotonic() - started < 3.0 * TIMEOUT_FACTOR
    finally:
        running.close()


async def test_metrics_per_source_do_not_lag_healthz(
    start_broadcaster: BroadcasterStarter, redis_client: Redis, stream_key: str
) -> None:
    """A source's health written now is in /metrics as soon as it is in /healthz."""
    running = await start_broadcaster(health_interval=3600.0)
    health = SourceHealth(source="fresh", interval=5.0).succeeded(
        now=datetime.now(UTC), status=200, outcome="ok", entries=7, poll_seconds=0.012
    )
    await record_poll(redis_client, stream_key, health)
    async with aiohttp.ClientSession() as session:
        async with session.get(running.http_url("/healthz")) as answer:
            assert "fresh" in (await answer.json())["sources"]
        async with session.get(running.http_url("/metrics")) as answer:
            metrics = await answer.text()
    assert 'soiree_source_up{source="fresh"} 1.0' in metrics
    assert 'soiree_source_entries_seen{source="fresh"} 7.0' in metrics


@pytest.mark.parametrize(
    "args", [["dump", "--stream", "nothing"], ["ticker", "--once"], ["ingest", "--status"]]
)
def test_a_read_only_command_says_once_it_left_the_embedded_redis_running(
    args: list[str], tmp_path: Path
) -> None:
    """The command that starts the embedded server says so, once; the next one says nothing."""
    env = soiree_env(tmp_path / "data")
    try:
        first = soiree(*args, env=env)
        assert first.stderr.count("keeps running") == 1, first.stderr
        assert "soiree redis --stop" in first.stderr
        second = soiree(*args, env=env)
        assert "keeps running" not in second.stderr
    finally:
        stopped = soiree("redis", "--stop", env=env)
        assert "stopped the embedded Redis" in stopped.stdout, stopped.stderr
