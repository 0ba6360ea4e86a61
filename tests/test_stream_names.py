"""Every command resolves ``<night>:replay:latest`` the same way; a missing stream is said."""

from __future__ import annotations

import asyncio
import json
import urllib.request
from typing import Any
from uuid import uuid4

import pytest
import redis

from ingest.store import keys
from ingest.store.redis_client import connect
from ingest.store.stream_store import StreamStore
from tests.cli_process import SoireeProcess, soiree, soiree_env
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.broadcaster import make_update


def _night() -> str:
    return f"test:night:{uuid4().hex}"


def _append_one(redis_url: str, stream: str, *, runs_of: str | None = None, runs: int = 0) -> None:
    """One real update appended to ``stream`` (and ``runs_of``'s run counter set to ``runs``)."""

    async def append() -> None:
        client = await connect(redis_url)
        try:
            if runs_of is not None:
                await client.set(keys.replay_runs_key(runs_of), runs)
            await StreamStore(client, stream).append(make_update(1))
        finally:
            await client.aclose()

    asyncio.run(append())


def _runs(redis_url: str, night: str, runs: int) -> None:
    """``runs`` replay runs of ``night`` already written, the newest with one entry."""
    _append_one(redis_url, keys.replay_run_stream(night, runs), runs_of=night, runs=runs)


def _healthz(port: str) -> dict[str, Any]:
    with urllib.request.urlopen(
        f"http://127.0.0.1:{port}/healthz", timeout=10 * TIMEOUT_FACTOR
    ) as answer:
        body: dict[str, Any] = json.load(answer)
    return body


def test_serve_relays_the_newest_run_for_replay_latest(redis_url: str) -> None:
    """`serve --stream X:replay:latest` serves X:replay:N (N the newest), as dump and ticker do."""
    night = _night()
    _runs(redis_url, night, 2)
    newest = keys.replay_run_stream(night, 2)
    served = SoireeProcess(
        "serve", "--port", "0", "--redis-url", redis_url, "--stream", f"{night}:replay:latest",
        env=soiree_env(SOIREE_READ_TOKEN=""),
    )  # fmt: skip
    try:
        port = served.wait_for_line(r"http://127\.0\.0\.1:(\d+)/")[1]
        body = _healthz(port)
        assert body["stream"] == newest
        assert body["status"] == "ok"
        assert newest in served.stderr
    finally:
        served.close()
    dumped = soiree("dump", "--redis-url", redis_url, "--stream", f"{night}:replay:latest")
    assert dumped.returncode == 0, dumped.stderr
    assert dumped.stdout.count("\n") == 1


def test_serve_of_replay_latest_without_any_run_is_an_error(redis_url: str) -> None:
    """No replay has run: `serve --stream X:replay:latest` says so in one line, status 1."""
    result = soiree(
        "serve", "--port", "0", "--redis-url", redis_url, "--stream", f"{_night()}:replay:latest"
    )
    assert result.returncode == 1
    assert "no replay of" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_on_a_missing_stream_says_so_at_start_and_in_healthz(redis_url: str) -> None:
    """A stream that does not exist is served empty, with a warning and `no_stream` in /healthz."""
    stream = f"test:{uuid4().hex}"
    served = SoireeProcess(
        "serve", "--port", "0", "--redis-url", redis_url, "--stream", stream,
        env=soiree_env(SOIREE_READ_TOKEN=""),
    )  # fmt: skip
    try:
        port = served.wait_for_line(r"http://127\.0\.0\.1:(\d+)/")[1]
        served.wait_for_line(rf"stream {stream} does not exist")
        body = _healthz(port)
        assert body["status"] == "no_stream"
        assert body["stream_exists"] is False
        _append_one(redis_url, stream)
        assert _healthz(port)["status"] == "ok"
    finally:
        served.close()


@pytest.mark.parametrize("command", ["ingest", "replay"])
def test_writers_resolve_replay_latest_too(redis_url: str, command: str) -> None:
    """`ingest --status` and `replay` given X:replay:latest work on X:replay:N, not the literal."""
    night = _night()
    _runs(redis_url, night, 3)
    latest = f"{night}:replay:latest"
    if command == "ingest":
        result = soiree("ingest", "--status", "--redis-url", redis_url, "--stream", latest)
        shown = result.stdout
    else:
        result = soiree(
            "replay", "--speed", "max", "--to", "18:00", "--no-progress",
            "--redis-url", redis_url, "--stream", latest,
        )  # fmt: skip
        shown = result.stderr
    assert result.returncode == 0, result.stderr
    assert keys.replay_run_stream(night, 3) in " ".join(shown.split())
    client = redis.Redis.from_url(redis_url)
    try:
        assert not client.exists(latest)
    finally:
        client.close()


def test_demo_resolves_replay_latest_too(redis_url: str) -> None:
    """`demo --stream X:replay:latest` runs on X:replay:N, the newest run."""
    night = _night()
    _runs(redis_url, night, 2)
    demo = SoireeProcess(
        "demo", "--port", "0", "--redis-url", redis_url, "--stream", f"{night}:replay:latest"
    )
    try:
        shown = demo.wait_for_line(r"stream (\S+)")[1]
    finally:
        demo.close()
    assert shown == keys.replay_run_stream(night, 2)
