"""Faults: a Redis that refuses writes (over ``maxmemory``; a full disk) still serves every reader.

Real servers in real trouble: a redis-server whose ``maxmemory`` is below what it holds, and one
whose saves fail (its directory removed under it: ``MISCONF``, what Redis answers on a full
disk). ``dump``, ``ingest --status``, ``ticker --once`` and ``serve`` must start and read; a
writer says in one line why it cannot write.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis
from websockets.sync.client import connect as ws_connect

from ingest.polling.fetch import Fetcher
from ingest.polling.poller import SourcePoller
from ingest.sources.source_config import SourceConfig, SourceType
from ingest.store.embedded_layout import embedded_paths as paths_of
from ingest.store.embedded_layout import find_redis_server, render_config
from ingest.store.redis_client import connect
from ingest.store.scratch_redis import ScratchServer
from ingest.store.stream_store import StreamStore
from replay.night_fixture import NightFixture
from tests.cli_process import SoireeProcess, soiree_env
from tests.conftest import BUNDLED_NIGHT_DIR, TIMEOUT_FACTOR
from tests.plugins.ingest import FaultServer, soiree_command

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
        assert_alerts_say_why(url, tmp_path / "alerts.toml", "out of memory")


def assert_alerts_say_why(url: str, rules: Path, why: str) -> None:
    """`soiree alerts run` (a service: it waits and tries again) says why Redis failed it."""
    rules.write_text('[[rule]]\nid = "first-count"\ntype = "first_count"\n')
    process = SoireeProcess(
        "alerts", "run", "--rules", str(rules), "--night", "2017-01-29",
        "--redis-url", url, "--stream", STREAM, env=soiree_env(),
    )  # fmt: skip
    try:
        failed = process.wait_for_line(r"Redis failed \((.*)\); again in")
        assert process.stop(signal.SIGTERM) == 0
    finally:
        process.close()
    assert f"Redis refuses writes: {why}" in failed[1]
    assert "Traceback" not in process.stderr


async def test_a_poller_says_out_of_memory_once_and_keeps_its_document(
    tmp_path: Path,
    fault_server: FaultServer,
    sources_night: NightFixture,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Over maxmemory: the poll's error says so in words, the health warning comes once."""
    caplog.set_level(logging.WARNING, logger="ingest.polling")
    source = SourceConfig(
        name="live", type=SourceType.LIVEBLOG, url=fault_server.url("/liveblog"), interval=0.05
    )
    fault_server.entries = [("21h00", "Entrée 0", "e0")]
    with ScratchServer(tmp_path) as server:
        client = await connect(server.url)
        poller = None
        try:
            await client.set("filler", "x")
            await client.config_set("maxmemory", 1)
            async with aiohttp.ClientSession() as session:
                store = StreamStore(client, STREAM)
                poller = SourcePoller(
                    source,
                    night=sources_night.night,
                    redis=client,
                    store=store,
                    fetcher=Fetcher(session),
                )
                for _ in range(3):
                    failed = await poller.poll_once()
                    assert (failed.ok, failed.outcome) == (False, "store_error")
                assert poller.health.last_error is not None
                assert poller.health.last_error.startswith("Redis refuses writes: out of memory")
                unrecorded = [
                    r.getMessage() for r in caplog.records if "cannot record health" in r.message
                ]
                assert len(unrecorded) == 1, unrecorded
                assert "Redis refuses writes: out of memory" in unrecorded[0]
                await client.config_set("maxmemory", 0)
                assert (await poller.poll_once()).added == 1  # the document kept, then written
        finally:
            if poller is not None:
                await poller.stop_writing()
            await client.aclose()


# -- a full disk ---------------------------------------------------------------------------------


def _start_embedded(data_dir: Path) -> subprocess.Popen[bytes]:
    """The embedded server of ``data_dir``, with soiree's own redis.conf, started here."""
    paths = paths_of(data_dir)
    data_dir.mkdir(mode=0o700)
    paths.socket.parent.mkdir(mode=0o700, exist_ok=True)
    paths.config.write_text(render_config(paths))
    with paths.log.open("wb") as log:
        server = subprocess.Popen(
            [str(find_redis_server()), str(paths.config)], stdout=log, stderr=subprocess.STDOUT
        )
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


def _fail_the_disk(socket: Path, gone: Path) -> str:
    """Make the server's saves fail as on a full disk; return the MISCONF it then answers.

    Portable, and true as root too: the server's directory is removed under it (no file can be
    created there any more, whoever asks), snapshots are turned on, and one is asked for. Its
    failure makes Redis refuse writes and PING with ``MISCONF``, as a full disk does
    (``stop-writes-on-bgsave-error``, Redis's default).
    """
    client = redis.Redis(unix_socket_path=str(socket), socket_timeout=5)
    try:
        gone.mkdir()
        client.config_set("dir", str(gone))
        gone.rmdir()
        client.config_set("save", "3600 1")
        client.config_set("stop-writes-on-bgsave-error", "yes")
        client.bgsave()
        deadline = time.monotonic() + 15 * TIMEOUT_FACTOR
        while client.info("persistence")["rdb_last_bgsave_status"] != "err":
            assert time.monotonic() < deadline, "the snapshot never failed"
            time.sleep(0.05)
        with pytest.raises(redis.exceptions.ResponseError, match="MISCONF") as refused:
            client.set("probe", "x")
        with pytest.raises(redis.exceptions.ResponseError, match="MISCONF"):
            client.ping()
        return str(refused.value)
    finally:
        client.close()


@pytest.fixture
def full_disk_server(tmp_path: Path) -> Iterator[Path]:
    """A data directory whose embedded server holds the night and cannot write to its disk."""
    data_dir = tmp_path / "data"
    server = _start_embedded(data_dir)
    try:
        assert replay_night("--data-dir", str(data_dir)).returncode == 0
        misconf = _fail_the_disk(paths_of(data_dir).socket, tmp_path / "gone")
        assert "MISCONF" in misconf
        yield data_dir
    finally:
        server.kill()
        server.wait()


@pytest.mark.slow
def test_readers_work_and_writers_say_disk_full_when_redis_cannot_write(
    full_disk_server: Path,
) -> None:
    """Disk full (MISCONF): every reader reads at once; a replay says "disk full" in a line."""
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
    assert "RDB snapshots" in last  # what Redis said follows
    assert_alerts_say_why(
        paths_of(full_disk_server).url, full_disk_server / "alerts.toml", "disk full"
    )
