"""``soiree bench``: every benchmark of the targets of docs/design.md, as one table of ratios.

Each figure stands beside a baseline measured in the same run on the same machine (a bare
``websockets.broadcast`` loop, raw pipelined XADD, ``redis-benchmark`` where installed, a naive
sleep-chained scheduler), so the table says how soiree compares here, not on some other box.
The table is printed and written as JSON (``--json``, default ``bench-results/bench.json``).
Everything runs on this machine: servers on 127.0.0.1 and unix sockets, nothing else.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Final

from rich.console import Console

from ingest.commands.bench_cli import BenchOptions
from ingest.model.errors import CommandError
from ingest.runtime.aio import run_command

if TYPE_CHECKING:
    from tests.benchmarks.table import BenchRow

__all__ = ["run"]

FULL_SIZES: Final = (1_000, 5_000, 10_000)
QUICK_SIZES: Final = (1_000,)


def run(options: BenchOptions) -> int:
    """Run ``soiree bench``; return the exit status (0 even when a target is missed)."""
    _check_checkout()
    from tests.benchmarks.table import machine_info, render_table, rows_to_json  # noqa: PLC0415

    rows = run_command(_bench(options.groups, quick=options.quick))
    # Wide enough for the notes even when the table goes to a file or a pipe.
    Console(width=max(160, Console().width)).print(render_table(rows))
    json_path = options.json
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(
        json.dumps(rows_to_json(rows, machine=machine_info()), indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    print(f"soiree bench: table written to {json_path}", file=sys.stderr)
    return 0


def _check_checkout() -> None:
    """The benchmarks live in the repository (tests/benchmarks), not in the installed wheel."""
    try:
        found = importlib.util.find_spec("tests.benchmarks") is not None
    except ModuleNotFoundError:
        found = False
    if not found:
        raise CommandError(
            "the benchmarks live in a checkout of soiree's repository (tests/benchmarks), not in"
            " the installed package: run `soiree bench` from the checkout's .venv (bash .ci/setup)"
            " or `python -m tests.benchmarks` there"
        )


async def _bench(groups: tuple[str, ...], *, quick: bool) -> list[BenchRow]:
    # Imported here: the benchmarks pull in servers and clients the other commands never need.
    from tests.benchmarks.append import run_append_benchmarks  # noqa: PLC0415  # noqa: PLC0415
    from tests.benchmarks.detection import run_detection_benchmarks  # noqa: PLC0415  # noqa: PLC0415
    from tests.benchmarks.fanout import run_fanout_benchmarks  # noqa: PLC0415  # noqa: PLC0415
    from tests.benchmarks.replay import run_replay_benchmarks  # noqa: PLC0415  # noqa: PLC0415
    from tests.benchmarks.sources import run_sources_benchmarks  # noqa: PLC0415

    sizes = QUICK_SIZES if quick else FULL_SIZES
    runners: dict[str, Callable[[], Awaitable[list[BenchRow]]]] = {
        "append": lambda: run_append_benchmarks(quick=quick),
        "replay": lambda: run_replay_benchmarks(quick=quick),
        "detection": lambda: run_detection_benchmarks(quick=quick),
        "sources": lambda: run_sources_benchmarks(quick=quick),
        "fanout": lambda: run_fanout_benchmarks(sizes=sizes, quick=quick),
    }
    console = Console(stderr=True)
    rows: list[BenchRow] = []
    for group in groups:
        with console.status(f"benchmark: {group}…"):
            rows.extend(await runners[group]())
        console.print(f"[green]✓[/] {group}", highlight=False)
    return rows
