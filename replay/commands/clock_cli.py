"""The virtual clock options shared by ``soiree replay``, ``sources`` and ``demo``."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

__all__ = ["ClockOptions", "add_clock_options"]


@dataclass(frozen=True)
class ClockOptions:
    """``--speed``, ``--from``, ``--to`` and ``--max-gap``, as given (checked against the night
    by :func:`replay.commands.clock_options.window_of`)."""

    speed: str = "1"
    start: str | None = None
    end: str | None = None
    max_gap: str | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ClockOptions:
        """The clock options of a parsed command line."""
        return cls(speed=args.speed, start=args.start, end=args.end, max_gap=args.max_gap)


def add_clock_options(
    parser: argparse.ArgumentParser, *, speed: str = "1", max_gap: str | None = None
) -> None:
    """The clock options, with the command's own defaults for ``--speed`` and ``--max-gap``."""
    group = parser.add_argument_group("virtual clock")
    group.add_argument(
        "--speed",
        default=speed,
        metavar="N",
        help="replay speed: 1 is real time, 60 a minute per second, 'max' no waiting"
        " (default: %(default)s)",
    )
    group.add_argument(
        "--from",
        dest="start",
        metavar="TIME",
        help="start at this Paris time (20:30, 20h30 or ISO 8601); what came before is"
        " there at once (default: the first entry of the night's day)",
    )
    group.add_argument(
        "--to", dest="end", metavar="TIME", help="stop after this Paris time (default: the end)"
    )
    group.add_argument(
        "--max-gap",
        default=max_gap,
        metavar="DURATION",
        help="cut every idle gap of the night down to this (300, 5m, 1h) (default: "
        + ("no cut" if max_gap is None else max_gap)
        + ")",
    )
