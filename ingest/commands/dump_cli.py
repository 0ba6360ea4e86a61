"""``soiree dump``'s command line: its options, checked into :class:`DumpOptions`."""

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

__all__ = ["COMMAND", "DumpOptions"]


@dataclass(frozen=True)
class DumpOptions:
    """What ``soiree dump`` was asked for."""

    night: NightOptions
    redis: RedisOptions
    since: str = "0"
    follow: bool = False
    audit: bool = False

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> DumpOptions:
        """The options of a parsed command line."""
        return cls(
            night=NightOptions.from_args(args),
            redis=RedisOptions.from_args(args),
            since=args.since,
            follow=args.follow,
            audit=args.audit,
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``soiree dump``'s options."""
    add_night_options(parser)
    add_redis_options(parser)
    parser.add_argument(
        "--since",
        metavar="ID",
        default=DumpOptions.since,
        help="print updates after this id (default: %(default)s, from the oldest retained)",
    )
    parser.add_argument(
        "--follow", "-f", action="store_true", help="keep printing new updates as they come"
    )
    parser.add_argument(
        "--audit",
        action="store_true",
        help="print the desk's audit trail (<stream>:desk: who, when, action, target, previous"
        " value) instead of the updates",
    )


COMMAND = Command(
    name="dump",
    help="print the stream as JSON Lines",
    description="Print every retained update after --since as JSON Lines, oldest first,"
    " one update a line with its id. Exits 3 if --since is older than what is retained"
    " (after printing what is). With --audit, the desk's actions instead (soiree desk,"
    " POST /desk), oldest first, one a line: id, action, at, who, target, reason, the new"
    " text or figures, and the previous value.",
    add_arguments=add_arguments,
    options=DumpOptions.from_args,
    run="ingest.commands.dump:run",
    order=30,
)
