"""How many xdist workers ``pytest -n auto`` starts: the cores this process may really use.

xdist counts the machine's CPUs; in a container limited to a share of a larger host that is the
host's count, and the suite's servers, browsers and timing-bound waits would then share two
cores between dozens of workers. The count here is the process's CPU affinity, lowered to the
cgroup's CPU quota when one is set (``/sys/fs/cgroup/cpu.max``, cgroup v2), at least one.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")


def usable_cores(cpu_max: str | None, affinity: int) -> int:
    """The cores a process may use: its ``affinity`` count, capped by a ``cpu.max`` quota.

    ``cpu.max`` reads ``"<quota> <period>"`` (microseconds) or ``"max <period>"`` (no quota).
    """
    cores = affinity
    fields = (cpu_max or "").split()
    if len(fields) == 2 and fields[0] != "max":
        try:
            quota, period = int(fields[0]), int(fields[1])
        except ValueError:
            return max(1, cores)
        if quota > 0 and period > 0:
            cores = min(cores, math.ceil(quota / period))
    return max(1, cores)


def _cpu_max() -> str | None:
    try:
        return CGROUP_CPU_MAX.read_text(encoding="ascii")
    except OSError:
        return None


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: one worker per usable core."""
    del config
    return usable_cores(_cpu_max(), len(os.sched_getaffinity(0)))
