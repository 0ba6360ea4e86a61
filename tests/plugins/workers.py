"""How many xdist workers ``pytest -n auto`` starts: two per core this process may really use.

xdist counts the machine's CPUs; in a container limited to a share of a larger host that is the
host's count, and the suite's servers, browsers and timing-bound waits would then share two
cores between dozens of workers. The count here is the process's CPU affinity, lowered to the
cgroup's CPU quota when one is set (``/sys/fs/cgroup/cpu.max``, cgroup v2), at least one.

Two workers a core, because the suite waits more than it computes: its tests start servers,
browsers and subprocesses and wait on them, and one worker a core kept each core busy less than
half the time (measured on 2 cores: about 320 s of CPU over 706 s of test time). With four
workers on those 2 cores the suite takes about 3 3/4 minutes instead of 5 3/4; with six, no
faster, and the waits that bound a behaviour start to run out (docs/testing.md).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest

CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")

#: Workers per usable core: the suite's tests mostly wait (see above).
WORKERS_PER_CORE = 2


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
    """``-n auto``: :data:`WORKERS_PER_CORE` workers per usable core."""
    del config
    return WORKERS_PER_CORE * usable_cores(_cpu_max(), len(os.sched_getaffinity(0)))
