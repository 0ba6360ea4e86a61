"""The fan-out baseline: a bare ``websockets.broadcast`` loop reading the same stream.

What anyone would write first: a ``websockets.asyncio.server`` whose handler only waits for the
connection to close, and one task that reads the stream (``XREAD BLOCK``, the same redis-py
client as soiree's) and, for each entry, calls
``websockets.broadcast(server.connections, message)``. The message is the update as soiree
sends it, give or take the order of its fields (``{"type": "update", "id", "uid", "op", ...the
entry's data}``), built by string concatenation, so that the frames are the same size. Every
option is websockets' default but compression (none, as soiree: the clients offer none anyway).

Run by :mod:`tests.benchmarks.fanout` as its own process, so that its CPU time and RSS can be
measured exactly as soiree's::

    python -m tests.benchmarks.bare_server --redis-url unix:///tmp/x/redis.sock --stream S

It prints ``{"port": N}`` on stdout once it listens on 127.0.0.1, and stops on SIGTERM or at
the end of its input (its parent gone).

``--mode frame-once`` is a step between the two, for docs/benchmarks.md: each message is framed
once and the same bytes written to every open connection, one write per message per client
(soiree's encoding without its coalescing of a batch into one write).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Sequence
from typing import Any

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.protocol import OPEN

from ingest.store.redis_client import connect
from tests.benchmarks.load_client import raise_open_files_limit
from ticker.wire.ws_frames import encode_text_frame

__all__ = ["main", "update_text"]


def update_text(entry_id: str, fields: dict[str, str]) -> str:
    """The ``update`` message of an entry that :class:`~ingest.store.stream_store.StreamStore`
    wrote."""
    data = fields["data"]
    head = json.dumps({"type": "update", "id": entry_id, "uid": fields["uid"], "op": fields["op"]})
    return head[:-1] + "," + data[1:] if len(data) > 2 else head


async def _until_input_ends(stop: asyncio.Event) -> None:
    """Set ``stop`` when stdin ends: the benchmark that started this process is gone."""
    reader = asyncio.StreamReader()
    await asyncio.get_running_loop().connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
    )
    while await reader.read(4096):
        pass
    stop.set()


async def _handler(connection: ServerConnection) -> None:
    await connection.wait_closed()


def _write_frame_once(connections: set[ServerConnection], text: str) -> None:
    frame = encode_text_frame(text)
    for connection in connections:
        if connection.protocol.state is OPEN:
            connection.transport.write(frame)


async def _run(redis_url: str, stream: str, mode: str) -> None:
    redis = await connect(redis_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    watcher = asyncio.create_task(_until_input_ends(stop))

    async with serve(_handler, "127.0.0.1", 0, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        sys.stdout.write(json.dumps({"port": port}) + "\n")
        sys.stdout.flush()

        send = broadcast if mode == "broadcast" else _write_frame_once

        async def read_forever() -> None:
            cursor = "0-0"
            while True:
                # RESP2: [[stream, [[id, {field: value}], ...]]]
                reply: Any
                reply = await redis.xread({stream: cursor}, count=500, block=2000)
                for _name, entries in reply or ():
                    for entry_id, fields in entries:
                        send(server.connections, update_text(entry_id, fields))
                        cursor = entry_id

        reader = asyncio.create_task(read_forever())
        await stop.wait()
        for task in (reader, watcher):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    await redis.aclose()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the baseline server until SIGTERM (see the module docstring)."""
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.bare_server")
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--stream", required=True)
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio")
    parser.add_argument("--mode", choices=("broadcast", "frame-once"), default="broadcast")
    args = parser.parse_args(argv)
    raise_open_files_limit()
    if args.loop == "uvloop":
        import uvloop  # noqa: PLC0415 - optional (the speed extra)

        uvloop.run(_run(args.redis_url, args.stream, args.mode))
    else:
        asyncio.run(_run(args.redis_url, args.stream, args.mode))
    return 0


if __name__ == "__main__":
    sys.exit(main())
