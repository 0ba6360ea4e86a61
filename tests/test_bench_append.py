"""Smoke test of tests.benchmarks.append at a tiny size: rows come out well formed.

Benchmarks are not tests: nothing here asserts anything about speed.
"""

from __future__ import annotations

import math

from tests.benchmarks.append import AppendSizes, run_append_benchmarks
from tests.benchmarks.table import GROUPS, BenchRow

TINY = AppendSizes(count=300, single=20, benchmark_requests=500, benchmark_one_at_a_time=False)


def check_row(row: BenchRow) -> None:
    """A row any benchmark may return: known group, finite positive figures, consistent target."""
    assert row.group in GROUPS
    assert row.name
    assert row.unit
    assert math.isfinite(row.value)
    assert row.value >= 0
    if row.baseline is not None:
        assert math.isfinite(row.baseline)
        assert row.baseline_name
        assert row.ratio is not None or row.baseline == 0
    assert (row.target is None) == (row.met is None)


async def test_append_benchmark_rows() -> None:
    """Every append figure is produced, with its raw-XADD baseline and the 50k target."""
    rows = await run_append_benchmarks(quick=True, sizes=TINY)
    for row in rows:
        check_row(row)
        assert row.group == "append"
        assert row.unit == "updates/s"
        assert row.value > 0
    names = " | ".join(row.name for row in rows)
    for part in (
        "new updates, batches",
        "duplicates",
        "one at a time",
        "AOF everysec",
        "WAIT 1 replica",
    ):
        assert part in names
    targeted = [row for row in rows if row.target is not None]
    assert targeted
    assert all(row.baseline_name and "XADD" in row.baseline_name for row in targeted)
