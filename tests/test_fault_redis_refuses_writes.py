"""Faults: a Redis that refuses writes (over ``maxmemory``; a full disk) still serves every reader.

Real servers in real trouble: a redis-server whose ``maxmemory`` is below what it holds, and one
whose AOF lives on a tmpfs of 1 MiB, filled until its writes fail (``MISCONF``, as a full disk
gives). ``dump``, ``ingest --status``, ``ticker --once`` and ``serve`` must start and read; a
writer says in one line why it cannot write.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from websockets.sync.client import connect as ws_connect

from ingest.embedded_redis import ScratchServer, find_redis_server, render_config
from ingest.embedded_redis import embedded_paths as paths_of
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.ingest import soiree_command

BUNDLED = Path(__file__).resolve().parent.parent / "fixtures" / "2017-01-29"
STREAM = "refusals:night"


def soiree(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``soiree *args`` to its end (bounded), capturing its output."""
    return subprocess.run(
        soiree_command(*args),
        capture_output=True,
        text=True,
        timeout=60 * TIMEOUT_FACTOR,
        env={**os.environ, "SOIREE_READ_TOKEN": "", **(env or {})},
        check=False,
    )


def assert_readers_work(*redis_args: str) -> None:
    """dump, ingest --status, ticker --once and serve start and read the night's 60 updates."""
    started = time.monotonic()
    dumped = soiree("dump", *redis_args, "--stream", STREAM)
    assert dumped.returncode == 0, dumped.stderr
    assert len(dumped.stdout.splitlines()) == 60
    status = soiree(
        "ingest", "--status", "--json", "--config", str(BUNDLED / "sources.toml"),
        *redis_args, "--stream", STREAM,
    )  # fmt: skip
    assert status.returncode == 0, status.stderr
    assert set(json.loads(status.stdout)) == {"liveblog", "articles", "results"}
    frame = soiree("ticker", "--once", *redis_args, "--stream", STREAM)
    assert frame.returncode == 0, frame.stderr
    assert "Hamon" in frame.stdout
    assert "Traceback" not in dumped.stderr + status.stderr + frame.stderr
    # No reader waited for a server it took for dead (the bug: 15 s each).
    assert time.monotonic() - started < 30 * TIMEOUT_FACTOR
    assert_serve_reads(*redis_args)


def assert_serve_reads(*redis_args: str) -> None:
    """`soiree serve` starts, and its first websocket client would get the night's updates."""
    process = subprocess.Popen(
        soiree_command("serve", "--port", "0", *redis_args, "--stream", STREAM),
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SOIREE_READ_TOKEN": ""},
    )
    assert process.stderr is not None
    try:
        line = process.stderr.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line + process.stderr.read()
        updates = 0
        with ws_connect(f"ws://127.0.0.1:{match[1]}/ws?since=0", open_timeout=10) as client:
            while (message := json.loads(client.recv(timeout=10 * TIMEOUT_FACTOR)))["type"] != "live":
                updates += message["type"] == "update"
        assert updates == 60
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10 * TIMEOUT_FACTOR)
        finally:
            if process.returncode is None:
                process.kill()
                process.wait()
            process.stderr.close()


def replay_night(*redis_args: str) -> subprocess.CompletedProcess[str]:
    """Append the whole night to STREAM at once."""
    return soiree("replay", "--speed", "max", "--no-progress", *redis_args, "--stream", STREAM)


# -- over maxmemory ------------------------------------------------------------------------------


@pytest.mark.slow
def test_readers_work_and_writers_say_so_when_redis_is_over_maxmemory(tmp_path: Path) -> None:
    """Over maxmemory: every reader reads; a replay fails in one line saying out of memory."""
    with ScratchServer(tmp_path) as server:
        url = server.url
        assert replay_night("--redis-url", url).returncode == 0
        client = redis.Redis(unix_socket_path=str(server.paths.socket))
        try:
            client.config_set("maxmemory", 1)
            with pytest.raises(redis.exceptions.OutOfMemoryError):
                client.set("probe", "x")
        finally:
            client.close()
        assert_readers_work("--redis-url", url)
        refused = replay_night("--redis-url", url)
        assert refused.returncode == 1
        assert "Traceback" not in refused.stderr
        assert "error: Redis refuses writes: out of memory" in refused.stderr.splitlines()[-1]
