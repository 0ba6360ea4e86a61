"""The restart benchmark (``tests/benchmarks/restart.py``) on a small stream: its row is sane.

``soiree serve`` is started for real on a fresh redis-server; the figures themselves go in
docs/benchmarks.md ("Restart"), here only what they must be whatever the machine.
"""

from __future__ import annotations

import math

from tests.benchmarks.restart import TARGET_SECONDS, run_restart_benchmarks


async def test_a_restart_measurement_gives_its_row() -> None:
    """hello, warm: positive, finite, in order of what they wait for; the target judged."""
    (row,) = await run_restart_benchmarks(quick=True, entries=2_000)
    assert row.group == "fanout"
    assert row.name == "restart on a 2,000-entry stream: hello to a resuming client"
    assert row.unit == "s"
    assert row.baseline is not None
    assert math.isfinite(row.value)
    assert row.value > 0
    assert row.baseline > 0
    assert row.met is (row.value <= TARGET_SECONDS)
    assert "listening after" in row.note
