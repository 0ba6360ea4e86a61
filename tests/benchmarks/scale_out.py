"""Scale-out: N `soiree serve` processes on one stream behind nginx, a live replay, one SIGKILL.

The scenario of ``tests/test_scale_out.py`` (3 broadcasters, 300 websocket and 12 ``/sse``
clients in CI) and of the larger documented run (``docs/deploy.md``)::

    .venv/bin/python -m tests.benchmarks.scale_out --servers 4 --clients 1000

nginx is configured from ``deploy/nginx.conf.template``; every client connects to nginx only,
with ``since=0``; ``soiree replay`` writes the night meanwhile; one broadcaster is SIGKILLed in
the middle of the replay. Its clients reconnect through nginx with ``since=<last id>`` (or
``Last-Event-ID``) and land on the others. The run reports, for each client, the ids it
received; the caller checks them against the stream.
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
import json
import random
import re
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import aiohttp
from redis.asyncio import Redis

from ingest.store.redis_client import connect
from ingest.store.stream_store import StreamStore
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.ingest import soiree_command
from tests.plugins.load_balancer import running_nginx
from tests.test_fault_broadcaster_restart import (
    SwarmClient,
    _later,
    _raise_open_files,
    _Target,
)

__all__ = ["ScaleOutRun", "SseClient", "scale_out"]

#: The replay's pace: the night's 60 updates over about 9 s (every idle gap cut to 5 s, 30x).
REPLAY_ARGS: Final = ("--speed", "30", "--max-gap", "5s", "--no-progress")
#: The replay runs in two parts: to 18:30 (21 updates), then from 18:30 (39 more, over about
#: 5 s; what came before is offered again and is already in the stream). A broadcaster is killed
#: as the second part starts: in the middle of the night whatever the machine's load.
FIRST_PART: Final = ("--to", "18:30")
SECOND_PART: Final = ("--from", "18:30")


@dataclass
class SseClient:
    """An ``/sse`` client that resumes with ``Last-Event-ID`` after every disconnection."""

    port: int
    ids: list[str] = field(default_factory=list)
    uids: list[str] = field(default_factory=list)
    cursor: str = "0"
    connections: int = 0
    drops: list[str] = field(default_factory=list)
    live: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, target: _Target) -> None:
        """Read, reconnect on any drop, until the cursor reaches the target id."""
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=5, sock_read=None)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            while not self.done.is_set():
                first = self.connections == 0
                url = f"http://127.0.0.1:{self.port}/sse" + ("?since=0" if first else "")
                headers = {} if first else {"Last-Event-ID": self.cursor}
                try:
                    async with session.get(url, headers=headers) as response:
                        if response.status != 200:
                            self.drops.append(f"HTTP {response.status}")
                        else:
                            self.connections += 1
                            await self._read(response, target)
                except (aiohttp.ClientError, OSError) as error:
                    self.drops.append(repr(error)[:120])
                if not self.done.is_set():
                    await asyncio.sleep(0.05 + 0.25 * random.random())

    def reached(self, target: _Target) -> None:
        """Stop if the cursor is at ``target`` already (else the next event will tell)."""
        if target.id is not None and self.cursor == target.id:
            self.done.set()

    async def _read(self, response: aiohttp.ClientResponse, target: _Target) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")()
        buffer = ""
        async for chunk in response.content.iter_any():
            buffer += decoder.decode(chunk)
            *blocks, buffer = buffer.replace("\r\n", "\n").split("\n\n")
            for block in blocks:
                self._event(block)
            if target.id is not None and self.cursor == target.id:
                self.done.set()
                return
        self.drops.append("end of stream")

    def _event(self, block: str) -> None:
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            if line and not line.startswith(":"):
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
        data: dict[str, Any] = json.loads(fields["data"]) if "data" in fields else {}
        if fields.get("event") == "update":
            self.ids.append(data["id"])
            self.uids.append(data["uid"])
            self.cursor = data["id"]
        elif fields.get("event") == "live":
            if data.get("last_id") is not None:
                self.cursor = _later(self.cursor, data["last_id"])
            self.live.set()


async def _replay(redis_url: str, stream: str, part: Sequence[str]) -> None:
    process = await asyncio.create_subprocess_exec(
        *soiree_command("replay", "--redis-url", redis_url, "--stream", stream, *REPLAY_ARGS,
                        *part),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, errors = await asyncio.wait_for(process.communicate(), timeout=60 * TIMEOUT_FACTOR)
    assert process.returncode == 0, errors.decode()


@dataclass
class _Broadcaster:
    process: asyncio.subprocess.Process
    port: int
    reading: asyncio.Task[None]
    log: list[str]


async def _start_broadcaster(redis_url: str, stream: str) -> _Broadcaster:
    process = await asyncio.create_subprocess_exec(
        *soiree_command("serve", "--port", "0", "--redis-url", redis_url, "--stream", stream),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stderr is not None
    line = await asyncio.wait_for(process.stderr.readline(), timeout=30 * TIMEOUT_FACTOR)
    found = re.match(rb"soiree serve: http://127\.0\.0\.1:(\d+)/", line)
    assert found, line
    log: list[str] = []

    async def read(stderr: asyncio.StreamReader) -> None:
        async for raw in stderr:
            log.append(raw.decode(errors="replace").rstrip())  # noqa: PERF401 - as they come

    reading = asyncio.create_task(read(process.stderr))
    return _Broadcaster(process, int(found.group(1)), reading, log)


async def _clients_of(session: aiohttp.ClientSession, port: int) -> int:
    """Websocket plus ``/sse`` clients connected to the broadcaster on ``port`` (its /metrics)."""
    async with session.get(f"http://127.0.0.1:{port}/metrics") as response:
        text = await response.text()
    counts = re.findall(r"^soiree_(?:ws|sse)_clients (\S+)$", text, re.MULTILINE)
    return int(sum(float(count) for count in counts))


async def _wait_all(events: Sequence[asyncio.Event], *, within: float) -> None:
    await asyncio.wait_for(
        asyncio.gather(*(event.wait() for event in events)), timeout=within * TIMEOUT_FACTOR
    )


@dataclass
class ScaleOutRun:
    """What a run saw: the stream, every client's ids, where the clients were, the figures."""

    stream_ids: list[str]
    ws: list[SwarmClient]
    sse: list[SseClient]
    #: clients connected to each broadcaster just before the kill (the first was killed)
    clients_per_broadcaster: list[int]
    logs: list[str]
    figures: dict[str, float]

    def moved(self) -> int:
        """Clients that connected more than once (the killed broadcaster's, at least)."""
        everyone: list[SwarmClient | SseClient] = [*self.ws, *self.sse]
        return sum(1 for client in everyone if client.connections > 1)


async def scale_out(
    redis: Redis,
    redis_url: str,
    stream: str,
    workdir: Path,
    *,
    servers: int = 3,
    clients: int = 300,
    sse_clients: int = 12,
) -> ScaleOutRun:
    """Run the scenario (see the module docstring) and return what every client received."""
    _raise_open_files(2 * (clients + sse_clients) + 256)
    store = StreamStore(redis, stream)
    figures: dict[str, float] = {}
    broadcasters = [await _start_broadcaster(redis_url, stream) for _ in range(servers)]
    target = _Target()
    ws = [SwarmClient(0) for _ in range(clients)]
    sse = [SseClient(0) for _ in range(sse_clients)]
    everyone: list[SwarmClient | SseClient] = [*ws, *sse]
    running: list[asyncio.Task[None]] = []
    replay: asyncio.subprocess.Process | None = None
    try:
        upstreams = [f"127.0.0.1:{b.port}" for b in broadcasters]
        connections = 2 * (clients + sse_clients) + 512
        async with (
            running_nginx(workdir / "nginx", upstreams, connections=connections) as port,
            aiohttp.ClientSession() as session,
        ):
            started = time.monotonic()
            for index, client in enumerate(everyone):
                client.port = port
                if isinstance(client, SwarmClient):
                    client.cursor = "0"  # the first connection asks for the whole stream
                running.append(asyncio.create_task(client.run(target)))
                if index % 100 == 99:
                    await asyncio.sleep(0.02)
            await _wait_all([client.live for client in everyone], within=30)
            figures["all live (s)"] = time.monotonic() - started
            # Where nginx put them (nobody moves before the kill; /metrics can be slow to answer
            # under load, so it is read before the replay).
            per_broadcaster = [await _clients_of(session, b.port) for b in broadcasters]
            await _replay(redis_url, stream, FIRST_PART)
            replay = await asyncio.create_subprocess_exec(
                *soiree_command("replay", "--redis-url", redis_url, "--stream", stream,
                                *REPLAY_ARGS, *SECOND_PART),
                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
            )  # fmt: skip
            figures["updates on the stream at the kill"] = await store.length()
            for client in everyone:
                client.live.clear()
            broadcasters[0].process.kill()
            killed = time.monotonic()
            _, errors = await asyncio.wait_for(replay.communicate(), timeout=60 * TIMEOUT_FACTOR)
            assert replay.returncode == 0, errors.decode()
            target.id = await store.last_id()
            for client in everyone:
                client.reached(target)
            await _wait_all([client.done for client in everyone], within=30)
            figures["kill to every client at the end (s)"] = time.monotonic() - killed
    finally:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        if replay is not None and replay.returncode is None:
            replay.kill()
            await replay.wait()
        for broadcaster in broadcasters:
            if broadcaster.process.returncode is None:
                broadcaster.process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(broadcaster.process.wait(), timeout=15 * TIMEOUT_FACTOR)
            await broadcaster.reading
    stream_ids = [str(update.id) for update in (await store.history()).updates]
    return ScaleOutRun(
        stream_ids=stream_ids,
        ws=ws,
        sse=sse,
        clients_per_broadcaster=per_broadcaster,
        logs=[line for b in broadcasters for line in b.log],
        figures=figures,
    )


def check(run: ScaleOutRun) -> list[str]:
    """What is wrong with ``run``: clients whose ids are not the stream's, in order, once."""
    problems = []
    for kind, group in (("ws", run.ws), ("sse", run.sse)):
        wrong = [c for c in group if c.ids != run.stream_ids or len(set(c.uids)) != len(c.uids)]
        if wrong:
            problems.append(f"{len(wrong)} {kind} clients differ, e.g. {wrong[0].ids[:5]}...")
    return problems


async def _run_on(
    url: str, folder: Path, servers: int, clients: int, sse_clients: int
) -> ScaleOutRun:
    redis = await connect(url)
    try:
        return await scale_out(
            redis, url, "bench:scale-out", folder,
            servers=servers, clients=clients, sse_clients=sse_clients,
        )  # fmt: skip
    finally:
        await redis.aclose()


async def _main(servers: int, clients: int, sse_clients: int) -> int:
    from ingest.store.scratch_redis import ScratchServer  # noqa: PLC0415 - the script only

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "redis").mkdir()
        with ScratchServer(Path(folder) / "redis") as server:
            run = await _run_on(server.url, Path(folder), servers, clients, sse_clients)
    problems = check(run)
    print(
        f"{servers} broadcasters behind nginx, {clients} websocket + {sse_clients} /sse clients,"
        f" {len(run.stream_ids)} updates replayed; clients per broadcaster before the kill:"
        f" {run.clients_per_broadcaster}; {run.moved()} clients reconnected;"
        + "".join(f" {name}: {value:.2f};" for name, value in run.figures.items())
        + (" every client has every update once, in order" if not problems else "")
    )
    for problem in problems:
        print("WRONG:", problem, file=sys.stderr)
    return 1 if problems else 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m tests.benchmarks.scale_out [--servers N] [--clients N] [--sse-clients N]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--servers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--sse-clients", type=int, default=50)
    args = parser.parse_args(argv)
    return asyncio.run(_main(args.servers, args.clients, args.sse_clients))


if __name__ == "__main__":
    sys.exit(main())
