"""SSE fan-out rows of `soiree bench`: soiree serve's /sse clients measured as its /ws ones."""

from __future__ import annotations

import math

import pytest

from tests.benchmarks.fanout import SSE_BASELINE, run_fanout_benchmarks
from tests.benchmarks.load_client import EventReader


def test_the_event_reader_never_cuts_an_event_in_two() -> None:
    """Only whole events are handed on; a marker split across reads is counted once, whole."""
    reader = EventReader()
    assert reader.feed(b'id: 1\nevent: update\ndata: {"text":"burst t') == (b"", [])
    complete, controls = reader.feed(b'0=1.5 #1"}\n\nid: 2\ndata: x')
    assert complete.count(b"burst t0=") == 1
    assert complete.endswith(b"\n\n")
    assert controls == []
    assert reader.feed(b"\n\n")[0] == b"id: 2\ndata: x\n\n"


@pytest.mark.slow
async def test_a_tiny_fanout_run_gives_the_sse_rows_beside_the_websocket_ones() -> None:
    """20 event-stream clients: p50, p99, deliveries/s, CPU and memory rows, against /ws."""
    rows = await run_fanout_benchmarks(sizes=[20], quick=True)
    sse = [row for row in rows if "SSE" in row.name]
    assert [row.name for row in sse] == [
        "20 SSE clients: p50 delivery",
        "20 SSE clients: p99 delivery",
        "20 SSE clients: sustained deliveries",
        "20 SSE clients: server CPU per delivered event",
        "20 idle SSE clients: server RSS per subscriber",
    ]
    websocket = {row.name: row.value for row in rows if "SSE" not in row.name}
    by_name = {row.name: row for row in sse}
    assert (
        by_name["20 SSE clients: sustained deliveries"].baseline
        == (websocket["20 clients: sustained deliveries"])
    )
    for row in sse:
        assert row.baseline_name == SSE_BASELINE
        assert math.isfinite(row.value), row
        assert "missing" not in row.note, row
        if row.group != "memory":
            assert row.value > 0, row
