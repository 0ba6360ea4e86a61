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
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from websockets.sync.client import connect as ws_connect

from ingest.store.embedded_layout import embedded_paths as paths_of
from ingest.store.embedded_layout import find_redis_server, render_config
from ingest.store.scratch_redis import ScratchServer
from tests.conftest import BUNDLED_NIGHT_DIR, TIMEOUT_FACTOR
from tests.plugins.ingest import soiree_command

BUNDLED = BUNDLED_NIGHT_DIR
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


def assert_readers_work(*redis_args: str) -> dict[str, Any]:
    """dump, ingest --status, ticker --once and serve read the night; serve's /healthz."""
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
    return assert_serve_reads(*redis_args)


def assert_serve_reads(*redis_args: str) -> dict[str, Any]:
    """`soiree serve` starts, says ok in /healthz, and a client gets the night's updates."""
    process = subprocess.Popen(
        soiree_command("serve", "--port", "0", *redis_args, "--stream", STREAM),
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SOIREE_READ_TOKEN": ""},
    )
    assert process.stderr is not None
    try:
        said = ""
        while not (match := re.search(r"http://127\.0\.0\.1:(\d+)/", said)):
            line = process.stderr.readline()
            assert line, said  # it exited without serving
            said += line
        port = match[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as answer:
            healthz: dict[str, Any] = json.loads(answer.read())
        assert healthz["status"] == "ok"
        assert healthz["last_id"] is not None
        updates = 0
        with ws_connect(f"ws://127.0.0.1:{port}/ws?since=0", open_timeout=10) as client:
            while (message := json.loads(client.recv(timeout=10 * TIMEOUT_FACTOR)))["type"] != (
                "live"
            ):
                updates += message["type"] == "update"
        assert updates == 60
        return healthz
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


# -- a full disk ---------------------------------------------------------------------------------


def _start_on_a_small_disk(data_dir: Path, disk: Path) -> subprocess.Popen[bytes]:
    """The embedded server of ``data_dir``, its AOF on a tmpfs of 1 MiB of its own.

    soiree's own redis.conf for that data directory, but ``dir`` on a tmpfs mounted in a mount
    namespace of the server's own (``unshare``: as root, or as a user mapped to root in a user
    namespace), so that nothing else sees the mount and it goes away with the server.
    """
    paths = paths_of(data_dir)
    data_dir.mkdir(mode=0o700)
    disk.mkdir()
    paths.socket.parent.mkdir(mode=0o700, exist_ok=True)
    paths.config.write_text(render_config(paths) + f'dir "{disk}"\n')
    unshare = shutil.which("unshare")
    assert unshare, "unshare (util-linux) is needed to give redis-server a small disk"
    with paths.log.open("wb") as log:
        server = subprocess.Popen(
            [
                unshare, "--mount", "--map-root-user", "sh", "-c",
                'mount -t tmpfs -o size=1m soiree-test "$1" && exec "$2" "$3"',
                "sh", str(disk), str(find_redis_server()), str(paths.config),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    client = redis.Redis(unix_socket_path=str(paths.socket), socket_timeout=5)
    try:
        deadline = time.monotonic() + 15 * TIMEOUT_FACTOR
        while True:
            assert server.poll() is None, paths.log.read_text()
            try:
                if client.ping() and paths.pidfile.exists():
                    break
            except (redis.RedisError, OSError):
                assert time.monotonic() < deadline, paths.log.read_text()
                time.sleep(0.05)
    finally:
        client.close()
    return server


def _fill_the_disk(socket: Path) -> str:
    """Write until the server's AOF no longer fits; return the MISCONF it then answers."""
    client = redis.Redis(unix_socket_path=str(socket), socket_timeout=5)
    try:
        deadline = time.monotonic() + 15 * TIMEOUT_FACTOR
        for number in range(10_000):
            try:
                client.set(f"filler:{number}", b"x" * 100_000)
            except redis.exceptions.ResponseError as error:
                refusal = str(error)
                break

            assert time.monotonic() < deadline
            time.sleep(0.01)
        else:
            raise AssertionError("the disk never filled")
        assert "MISCONF" in refusal
        with pytest.raises(redis.exceptions.ResponseError, match="MISCONF"):
            client.ping()
        return refusal
    finally:
        client.close()


@pytest.fixture
def full_disk_server(tmp_path: Path) -> Iterator[Path]:
    """A data directory whose embedded server holds the night and has a full disk."""
    data_dir = tmp_path / "data"
    server = _start_on_a_small_disk(data_dir, tmp_path / "disk")
    try:
        assert replay_night("--data-dir", str(data_dir)).returncode == 0
        misconf = _fill_the_disk(paths_of(data_dir).socket)
        assert "No space left on device" in misconf
        yield data_dir
    finally:
        server.kill()
        server.wait()


@pytest.mark.slow
def test_readers_work_and_writers_say_disk_full_when_redis_cannot_write(
    full_disk_server: Path,
) -> None:
    """AOF disk full (MISCONF): every reader reads at once; a replay says "disk full" in a line."""
    data_dir = str(full_disk_server)
    healthz = assert_readers_work("--data-dir", data_dir)
    assert "disk full" in healthz["redis"]["writes"]
    by_url = soiree("dump", "--redis-url", paths_of(full_disk_server).url, "--stream", STREAM)
    assert by_url.returncode == 0, by_url.stderr
    assert len(by_url.stdout.splitlines()) == 60
    refused = replay_night("--data-dir", data_dir)
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr
    last = refused.stderr.splitlines()[-1]
    assert "error: Redis refuses writes: disk full" in last
    assert "No space left on device" in last
