"""Smoke test of tests.benchmarks.replay at a tiny size: rows come out well formed.

Benchmarks are not tests: nothing here asserts anything about lateness.
"""

from __future__ import annotations

import math
from datetime import timedelta

from tests.benchmarks.replay import ReplaySizes, dense_schedule, run_replay_benchmarks
from tests.test_bench_append import check_row

TINY = ReplaySizes(
    dense=6,
    low=0.001,
    high=0.003,
    drift_speed=20_000.0,
    drift_gap=timedelta(minutes=1),
    synthetic=50,
    speeches_speed=60_000.0,
)


async def test_replay_benchmark_rows() -> None:
    """Lateness at each speed, drift and --speed max rows, each beside its baseline."""
    rows = await run_replay_benchmarks(quick=True, sizes=TINY)
    for row in rows:
        check_row(row)
        assert row.group == "replay"
        assert row.unit == "ms"
        assert row.baseline is not None
    names = [row.name for row in rows]
    for speed in ("1", "60", "600"):
        for statistic in ("p50", "p99", "max"):
            assert f"lateness {statistic}, speed {speed}" in names
    assert any(name.startswith("drift") for name in names)
    assert sum(name.startswith("--speed max") for name in names) == 2


def test_dense_schedule_has_the_wall_gaps_asked_for() -> None:
    """At any speed, the plan's wall offsets step by the drawn gaps (or 0 for ties)."""
    for speed in (1.0, 600.0):
        updates, plan = dense_schedule(40, speed=speed, low=0.01, high=0.02)
        assert len(updates) == len(plan.order) == 40
        steps = [b - a for a, b in zip(plan.offsets, plan.offsets[1:], strict=False)]
        assert all(step == 0 or 0.0099 <= step <= 0.0201 for step in steps)
        assert math.isclose(plan.offsets[0], 0.0)
        assert len({update.uid for update in updates}) == 40
