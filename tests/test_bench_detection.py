"""Smoke test of tests.benchmarks.detection at a tiny size: rows come out well formed.

Benchmarks are not tests: nothing here asserts anything about latency.
"""

from __future__ import annotations

from tests.benchmarks.detection import run_detection_benchmarks
from tests.test_bench_append import check_row


async def test_detection_benchmark_rows() -> None:
    """New entries reach the stream and a websocket client; three rows in milliseconds."""
    rows = await run_detection_benchmarks(quick=True, entries=3)
    assert len(rows) == 3
    for row in rows:
        check_row(row)
        assert row.group == "detection"
        assert row.unit == "ms"
        assert "n=3" in row.note
    assert rows[0].target == "<= 50 ms"
