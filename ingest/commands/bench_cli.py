"""``soiree bench``'s command line: its options, checked into :class:`BenchOptions`."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ingest.commands.command import Command
from ingest.model.errors import CommandError

__all__ = ["COMMAND", "GROUPS", "BenchOptions"]

#: What ``--only`` accepts, in the order the benchmarks run.
GROUPS: Final = ("append", "replay", "detection", "sources", "fanout")
DEFAULT_JSON: Final = "bench-results/bench.json"
#: How long ``--quick`` takes on the 2-core benchmark machine (README.md says the same).
QUICK_DURATION: Final = "about 45 s"


@dataclass(frozen=True)
class BenchOptions:
    """What ``soiree bench`` was asked for."""

    groups: tuple[str, ...] = GROUPS
    quick: bool = False
    json: Path = Path(DEFAULT_JSON)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> BenchOptions:
        """The options of a parsed command line."""
        return cls(groups=selected_groups(args.only), quick=args.quick, json=Path(args.json))


def selected_groups(raw: str | None) -> tuple[str, ...]:
    """The groups ``--only`` names (all without it)."""
    if raw is None:
        return GROUPS
    wanted = tuple(part.strip() for part in raw.split(",") if part.strip())
    unknown = [group for group in wanted if group not in GROUPS]
    if unknown or not wanted:
        raise CommandError(
            f"--only takes a comma-separated list of {', '.join(GROUPS)}; got {raw!r}"
        )
    return wanted


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``soiree bench``'s options."""
    parser.add_argument(
        "--quick", action="store_true", help=f"small sizes only ({QUICK_DURATION} in all)"
    )
    parser.add_argument("--only", metavar="GROUPS", help=f"comma-separated: {','.join(GROUPS)}")
    parser.add_argument(
        "--json",
        metavar="PATH",
        default=DEFAULT_JSON,
        help=f"where to write the table as JSON (default: {DEFAULT_JSON})",
    )


COMMAND = Command(
    name="bench",
    help="run the benchmarks and print a table of ratios against baselines",
    description="Measure soiree against baselines measured in the same run on this machine"
    " (fan-out to 1k/5k/10k websocket clients, memory per subscriber, CPU per frame,"
    " idempotent append, replay lateness, detection latency). Prints a table and writes"
    " it as JSON. Everything stays on 127.0.0.1. Runs from a checkout of the repository"
    " (the benchmarks live in tests/benchmarks).",
    add_arguments=add_arguments,
    options=BenchOptions.from_args,
    run="ingest.commands.bench:run",
    order=90,
)
