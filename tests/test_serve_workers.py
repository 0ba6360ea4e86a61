"""``soiree serve --workers 2``: real processes sharing one loopback port (``SO_REUSEPORT``).

40 websocket clients connect to the one port (``--port 0``, chosen by the parent); the kernel
spreads them over both workers (each ``/healthz`` says which pid answered and how many clients
it holds). Updates are appended; one worker is SIGKILLed meanwhile: the parent starts it again
(one line), its clients reconnect to the same port with ``since=<last id>``, and every client
ends with every update once, in order. SIGTERM stops everything with status 0; a SIGKILLed
parent leaves no worker behind; a bad ``--workers`` is one line, status 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from redis.asyncio import Redis

from ingest.store.stream_store import StreamStore
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.broadcaster import make_update
from tests.plugins.ingest import soiree_command
from tests.test_fault_broadcaster_restart import SwarmClient, _Target

CLIENTS = 40


@dataclass
class _Serve:
    process: asyncio.subprocess.Process
    port: int
    log: list[str] = field(default_factory=list)
    reading: asyncio.Task[None] | None = None


async def _start(redis_url: str, stream: str) -> _Serve:
    process = await asyncio.create_subprocess_exec(
        *soiree_command("serve", "--port", "0", "--workers", "2", "--redis-url", redis_url,
                        "--stream", stream),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    line = await asyncio.wait_for(process.stderr.readline(), timeout=30 * TIMEOUT_FACTOR)
    found = re.match(rb"soiree serve: http://127\.0\.0\.1:(\d+)/ .* - 2 workers$", line.rstrip())
    assert found, line
    serve = _Serve(process, int(found[1]))

    async def read(stderr: asyncio.StreamReader) -> None:
        async for raw in stderr:
            serve.log.append(raw.decode(errors="replace").rstrip())

    serve.reading = asyncio.create_task(read(process.stderr))
    return serve


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid and _alive(int(entry.name)):
                found.append(int(entry.name))
    return found


async def _clients_per_worker(port: int, expected_total: int) -> dict[int, int]:
    """Each worker's websocket clients, by pid (``/healthz`` asked until both answered)."""
    seen: dict[int, int] = {}
    deadline = time.monotonic() + 20 * TIMEOUT_FACTOR
    connector = aiohttp.TCPConnector(force_close=True)  # a new connection each time
    async with aiohttp.ClientSession(connector=connector) as session:
        while time.monotonic() < deadline:
            async with session.get(f"http://127.0.0.1:{port}/healthz") as response:
                body = await response.json()
            seen[body["pid"]] = body["clients"]
            if len(seen) == 2 and sum(seen.values()) == expected_total:
                break
    return seen


def _until(condition: Callable[[], bool]) -> bool:
    """Whether ``condition`` came true within 15 s (scaled), checked every 0.1 s."""
    deadline = time.monotonic() + 15 * TIMEOUT_FACTOR
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


async def _wait_gone(pids: list[int]) -> list[int]:
    await asyncio.to_thread(_until, lambda: not any(_alive(pid) for pid in pids))
    return [pid for pid in pids if _alive(pid)]


@pytest.mark.timeout(90)
async def test_two_workers_share_the_port_and_a_killed_one_loses_no_update(
    redis_client: Redis, redis_url: str, stream_key: str
) -> None:
    store = StreamStore(redis_client, stream_key)
    await store.append_many([make_update(n) for n in range(10)])
    serve = await _start(redis_url, stream_key)
    target = _Target()
    clients = [SwarmClient(serve.port, cursor="0") for _ in range(CLIENTS)]
    running = [asyncio.create_task(client.run(target)) for client in clients]
    try:
        await asyncio.wait_for(
            asyncio.gather(*(c.live.wait() for c in clients)), timeout=20 * TIMEOUT_FACTOR
        )
        per_worker = await _clients_per_worker(serve.port, CLIENTS)
        assert len(per_worker) == 2, per_worker  # both workers answered
        assert all(count > 0 for count in per_worker.values()), per_worker
        assert sum(per_worker.values()) == CLIENTS, per_worker
        assert sorted(per_worker) == sorted(_children_workers(serve.process.pid))

        await store.append_many([make_update(n) for n in range(10, 20)])
        victim = min(per_worker)
        os.kill(victim, signal.SIGKILL)
        for first in range(20, 50, 5):
            await store.append_many([make_update(n) for n in range(first, first + 5)])
            await asyncio.sleep(0.05)
        target.id = str(await store.last_id())
        for client in clients:
            client.reached(target)
        await asyncio.wait_for(
            asyncio.gather(*(c.done.wait() for c in clients)), timeout=20 * TIMEOUT_FACTOR
        )
    finally:
        for task in running:
            task.cancel()
        for task in running:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    stream_ids = [str(update.id) for update in (await store.history()).updates]
    assert len(stream_ids) == 50
    for client in clients:
        assert client.ids == stream_ids, client.ids
        assert len(set(client.uids)) == len(client.uids)
        assert client.unexpected == []
    moved = sum(1 for client in clients if client.connections > 1)
    assert moved >= per_worker[victim]

    # The parent started the killed worker again, with one line.
    def restarted() -> bool:
        workers = _children_workers(serve.process.pid)
        return len(workers) == 2 and victim not in workers

    assert await asyncio.to_thread(_until, restarted), _children_workers(serve.process.pid)
    workers = _children_workers(serve.process.pid)

    serve.process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(serve.process.wait(), timeout=30 * TIMEOUT_FACTOR) == 0
    assert serve.reading is not None
    await serve.reading
    assert await _wait_gone(workers) == []
    assert any(
        re.fullmatch(rf"soiree serve: worker \d \(pid {victim}\) was killed by SIGKILL;.*", line)
        for line in serve.log
    ), serve.log
    assert not any("Traceback" in line for line in serve.log), serve.log


def _children_workers(parent: int) -> list[int]:
    """The parent's worker processes (not multiprocessing's resource tracker)."""
    return [
        pid
        for pid in _children(parent)
        if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]


@pytest.mark.timeout(60)
async def test_a_killed_parent_leaves_no_worker_serving(redis_url: str, stream_key: str) -> None:
    serve = await _start(redis_url, stream_key)
    children = _children(serve.process.pid)
    assert len(_children_workers(serve.process.pid)) == 2
    serve.process.kill()
    await serve.process.wait()
    assert await _wait_gone(children) == []
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", serve.port)
    except OSError:
        pass  # refused: nobody serves the port any more
    else:
        writer.close()
        raise AssertionError(f"port {serve.port} still answers after the parent's death")
    assert serve.reading is not None
    await serve.reading


def test_a_bad_workers_value_is_one_line() -> None:
    for value in ("0", "65", "many"):
        done = subprocess.run(
            [*soiree_command("serve", "--workers", value, "--port", "0",
                             "--redis-url", "redis://127.0.0.1:1")],
            capture_output=True, text=True, timeout=60 * TIMEOUT_FACTOR, check=False,
        )  # fmt: skip
        assert done.returncode == 1, done.stderr
        assert done.stderr.splitlines() == [
            f"soiree serve: error: --workers must be within 1-64 or auto, got {value!r}"
        ], done.stderr


def test_a_worker_that_cannot_start_ends_the_command_in_one_line() -> None:
    """No Redis behind the URL: the first worker cannot start; one line, status 1."""
    done = subprocess.run(
        [*soiree_command("serve", "--workers", "2", "--port", "0", "--stream", "x",
                         "--redis-url", "redis://127.0.0.1:1")],
        capture_output=True, text=True, timeout=60 * TIMEOUT_FACTOR, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("soiree serve: error: worker 0: cannot use the Redis server at")
