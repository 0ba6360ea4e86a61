"""``soiree export``'s command line: its options, as :class:`ExportOptions`."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from ingest.commands.command import (
    Command,
    NightOptions,
    RedisOptions,
    add_night_options,
    add_redis_options,
)

__all__ = ["COMMAND", "FORMATS", "TABLES", "ExportOptions"]

FORMATS = ("csv", "json", "sqlite")
TABLES = ("results", "turnout", "speeches", "updates", "all")


@dataclass(frozen=True)
class ExportOptions:
    """What ``soiree export`` was asked for (checked when it runs)."""

    night: NightOptions
    redis: RedisOptions
    format: str = "csv"
    table: str | None = None
    output: str | None = None
    as_of: str | None = None
    follow: bool = False

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ExportOptions:
        """The options of a parsed command line."""
        return cls(
            night=NightOptions.from_args(args),
            redis=RedisOptions.from_args(args),
            format=args.format,
            table=args.table,
            output=args.output,
            as_of=args.as_of,
            follow=args.follow,
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``soiree export``'s options."""
    add_night_options(parser)
    add_redis_options(parser)
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=ExportOptions.format,
        help="the file's format (default: %(default)s)",
    )
    parser.add_argument(
        "--table",
        choices=TABLES,
        help="which table (default: results for csv, all for json and sqlite)",
    )
    parser.add_argument(
        "--output", "-o", metavar="PATH", help="the file to write (default: standard output)"
    )
    parser.add_argument(
        "--as-of",
        metavar="ID|TIME",
        help="the state at a stream id or a Paris time of the night (20:45)",
    )
    parser.add_argument(
        "--follow",
        "-f",
        action="store_true",
        help="keep the file up to date (rewritten atomically) until Ctrl-C",
    )


COMMAND = Command(
    name="export",
    help="write the stream as CSV, JSON or SQLite tables",
    description="Write the night as tables (results by scope with official codes, turnout,"
    " speeches, updates) in CSV, JSON or SQLite; see docs/export.md.",
    add_arguments=add_arguments,
    options=ExportOptions.from_args,
    run="replay.commands.export:run",
    order=35,
)
