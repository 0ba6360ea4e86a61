"""``soiree ingest``'s command line: its options, checked into :class:`IngestOptions`."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from ingest.commands.command import (
    Command,
    NightOptions,
    RedisOptions,
    add_night_options,
    add_redis_options,
)

__all__ = ["COMMAND", "IngestOptions"]


@dataclass(frozen=True)
class IngestOptions:
    """What ``soiree ingest`` was asked for."""

    night: NightOptions
    redis: RedisOptions
    config: Path | None = None
    base_url: str | None = None
    burst: bool = False
    status: bool = False
    json: bool = False
    record: Path | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> IngestOptions:
        """The options of a parsed command line."""
        return cls(
            night=NightOptions.from_args(args),
            redis=RedisOptions.from_args(args),
            config=Path(args.config) if args.config else None,
            base_url=args.base_url or None,
            burst=args.burst,
            status=args.status,
            json=args.json,
            record=Path(args.record) if args.record else None,
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``soiree ingest``'s options."""
    add_night_options(parser)
    add_redis_options(parser)
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="the sources file (default: $SOIREE_SOURCES_CONFIG, else the night's"
        " sources.toml, which polls `soiree sources`)",
    )
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help="resolve the sources' relative URLs against this instead of the file's base_url"
        " (default: $SOIREE_SOURCES_URL)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--burst",
        action="store_true",
        help="poll each source until nothing changes, then exit (status 1 if a source failed)",
    )
    mode.add_argument("--status", action="store_true", help="print the sources' health and exit")
    parser.add_argument("--json", action="store_true", help="with --status: print JSON")
    parser.add_argument(
        "--record",
        metavar="DIR",
        help="also write every response received to the recording in DIR (created, or"
        " appended to), for `soiree sources --recording` (docs/recording.md)",
    )


COMMAND = Command(
    name="ingest",
    help="poll the configured sources (liveblog, feeds, results) into the stream",
    description="Poll every source of a sources.toml (docs/ingest.md) and append what is"
    " new, edited or deleted to the stream, once, however many ingest processes run."
    " Stops cleanly on Ctrl-C or SIGTERM.",
    add_arguments=add_arguments,
    options=IngestOptions.from_args,
    run="ingest.commands.ingest:run",
    order=60,
)
