"""Tests for tests.benchmarks: the load client's frame reader, and a smoke run of the fan-out.

Benchmarks are not tests: nothing here asserts a timing. The smoke run measures both servers
at a tiny size and checks that every row comes out with sane fields.
"""

from __future__ import annotations

import asyncio
import math
import struct

import pytest
from websockets.asyncio.server import ServerConnection, serve

from tests.benchmarks.fanout import plan_for, run_fanout_benchmarks
from tests.benchmarks.load_client import BURST_MARK, FrameReader, LoadClient, probe_time
from ticker.wire.ws_frames import encode_text_frame


def _ping(payload: bytes) -> bytes:
    return bytes((0x89, len(payload))) + payload


def test_the_frame_reader_keeps_partial_frames_for_later() -> None:
    """Frames split anywhere come out whole, once; control frames are picked out."""
    small = encode_text_frame('{"type":"live"}')
    medium = encode_text_frame("x" * 300)  # 16-bit length
    large = encode_text_frame("y" * 70_000)  # 64-bit length
    stream = small + _ping(b"hi") + medium + large + small
    for cut in (1, 2, 3, 5, 9, 150, 400, 70_000):
        reader = FrameReader()
        seen = b""
        controls: list[tuple[int, bytes]] = []
        for start in range(0, len(stream), cut):
            complete, found = reader.feed(stream[start : start + cut])
            seen += complete
            controls.extend(found)
        assert seen == stream
        assert controls == [(0x9, b"hi")]


def test_the_frame_reader_counts_nothing_twice() -> None:
    """Burst markers are counted over complete frames only, so a split never counts twice."""
    frame = encode_text_frame(f'{{"text":"{BURST_MARK.decode()}1.5 #1"}}')
    stream = frame * 3
    reader = FrameReader()
    total = 0
    for start in range(0, len(stream), 7):
        complete, _controls = reader.feed(stream[start : start + 7])
        total += complete.count(BURST_MARK)
    assert total == 3


def test_probe_times_are_read_from_the_text() -> None:
    """The send time after t0= is parsed; a frame without one has none."""
    assert probe_time(b'{"text":"probe t0=1700000000.125000 Les bureaux"}') == 1700000000.125
    assert probe_time(b'{"text":"nothing here"}') is None
    assert probe_time(b"t0=.") is None


def test_plans_keep_bursts_within_50_to_200_updates() -> None:
    """Bursts of 50-200 updates, at least two generator processes, smaller when quick."""
    assert plan_for(1_000, quick=False).burst == 200
    assert plan_for(10_000, quick=False).burst == 50
    assert plan_for(10_000, quick=False).processes == 4
    assert plan_for(1_000, quick=True).burst < plan_for(1_000, quick=False).burst
    assert plan_for(20, quick=True).processes == 2
    with pytest.raises(ValueError, match="positive"):
        plan_for(0, quick=True)


def test_timespec_layout_is_two_longs() -> None:
    """SO_TIMESTAMPNS gives a struct timespec: two native longs (what the client unpacks)."""
    assert struct.calcsize("@qq") == 16


async def test_the_load_client_answers_pings() -> None:
    """Its connections survive a server whose keepalive pings every 0.1 s (so pongs are right)."""
    closed: list[int | None] = []

    async def handler(connection: ServerConnection) -> None:
        await connection.wait_closed()
        closed.append(connection.close_code)

    async with serve(handler, "127.0.0.1", 0, ping_interval=0.1, ping_timeout=0.1) as server:
        port = server.sockets[0].getsockname()[1]
        client = LoadClient(host="127.0.0.1", port=port, path="/", ready_on_live=False)
        try:
            assert await client.connect(3, source="127.0.0.2", concurrency=3) == 0
            await asyncio.sleep(0.8)
            assert closed == []
            assert client.lost == 0
        finally:
            client.close()


@pytest.mark.slow
async def test_a_tiny_fanout_run_gives_every_row() -> None:
    """soiree serve and the bare loop measured with 20 clients: rows in every group, sane."""
    rows = await run_fanout_benchmarks(sizes=[20], quick=True, sse=False, restart=False)
    assert {row.group for row in rows} == {"fanout", "memory", "cpu"}
    assert len(rows) == 8
    for row in rows:
        assert row.name.startswith("20 clients") or row.name.startswith("20 idle clients")
        assert row.unit
        assert math.isfinite(row.value), row
        assert row.baseline is not None
        assert math.isfinite(row.baseline), row
        assert row.baseline_name == "bare websockets.broadcast"
        if row.group != "memory":  # RSS may not grow at all for 20 clients
            assert row.value > 0, row
            assert row.baseline > 0, row
        assert "missing" not in row.note, row
    targets = {row.name: row for row in rows if row.target is not None}
    assert set(targets) >= {
        "20 clients: p99 delivery",
        "20 clients: sustained deliveries",
        "20 idle clients: server RSS per subscriber",
        "20 clients: server CPU per delivered frame",
    }
    assert all(row.met is not None for row in targets.values())
