"""Smoke test of tests.benchmarks.sources at a tiny size: rows come out well formed.

Benchmarks are not tests: nothing here asserts anything about CPU or latency.
"""

from __future__ import annotations

from tests.benchmarks.sources import run_sources_benchmarks
from tests.test_bench_append import check_row


async def test_sources_benchmark_rows() -> None:
    """Two sizes: a CPU-share row and a detection row each, beside their baselines."""
    rows = await run_sources_benchmarks(quick=True, sizes=(3, 6), window=1.0, interval=0.3)
    assert [row.group for row in rows] == ["sources"] * 4
    for row in rows:
        check_row(row)
    cpu_3, detection_3, cpu_6, detection_6 = rows
    assert cpu_3.unit == cpu_6.unit == "%"
    assert cpu_3.baseline_name == "bare aiohttp fetch loop, same pages"
    assert "3 sources" in cpu_3.name
    assert "6 sources" in cpu_6.name
    assert detection_3.target == detection_6.target == "<= 50 ms"
    assert detection_6.baseline_name == "3 sources, p99"
