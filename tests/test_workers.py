"""``pytest -n auto`` starts two workers per usable core (tests/plugins/workers.py)."""

from __future__ import annotations

import os

import pytest

from tests.plugins import workers
from tests.plugins.workers import usable_cores


@pytest.mark.parametrize(
    ("cpu_max", "affinity", "expected"),
    [
        (None, 2, 2),  # no cgroup v2 file: the affinity
        ("max 100000\n", 8, 8),  # no quota
        ("200000 100000\n", 64, 2),  # a 2-core quota on a 64-core host
        ("150000 100000", 64, 2),  # 1.5 cores: two workers, one of them half idle
        ("50000 100000", 4, 1),  # half a core: still one
        ("400000 100000", 2, 2),  # a quota above the affinity: the affinity
        ("garbage here", 3, 3),  # unreadable: the affinity
        ("", 0, 1),  # never zero
    ],
)
def test_usable_cores(cpu_max: str | None, affinity: int, expected: int) -> None:
    """The affinity, capped by the quota, at least one."""
    assert usable_cores(cpu_max, affinity) == expected


def test_auto_starts_two_workers_per_usable_core(
    pytestconfig: pytest.Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hook reads this process's affinity and quota, and doubles the cores."""
    monkeypatch.setattr(workers, "_cpu_max", lambda: "300000 100000")
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3, 4, 5, 6, 7})
    assert workers.pytest_xdist_auto_num_workers(pytestconfig) == 6
    monkeypatch.setattr(workers, "_cpu_max", lambda: None)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    assert workers.pytest_xdist_auto_num_workers(pytestconfig) == 2
