"""``soiree embargo release|hold --reason TEXT``: an editor ends the embargo early or holds it
longer; the act is logged beside the night's stream and the broadcaster obeys it."""

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

__all__ = ["COMMAND", "EmbargoOptions"]


@dataclass(frozen=True)
class EmbargoOptions:
    """What ``soiree embargo`` was asked for (checked when it runs)."""

    night: NightOptions
    redis: RedisOptions
    act: str
    reason: str
    until: str | None = None
    who: str = "editor"

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> EmbargoOptions:
        """The options of a parsed command line."""
        return cls(
            night=NightOptions.from_args(args),
            redis=RedisOptions.from_args(args),
            act=args.act,
            reason=args.reason,
            until=args.until,
            who=args.by,
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``soiree embargo``'s options."""
    add_night_options(parser)
    add_redis_options(parser)
    parser.add_argument("act", choices=("release", "hold"), help="end the embargo now, or hold it")
    parser.add_argument("--reason", required=True, metavar="TEXT", help="why (logged)")
    parser.add_argument(
        "--until",
        metavar="HH:MM",
        help="hold: until this time of the night (default: until an editor releases)",
    )
    parser.add_argument(
        "--by", default="editor", metavar="NAME", help="who acts (logged; default: %(default)s)"
    )


COMMAND = Command(
    name="embargo",
    help="release the embargo early or hold it longer, with a reason (logged)",
    description="Release the embargo on estimates and counts now, or hold it (until --until"
    " or until released), with a reason: the act is appended to <stream>:embargo, the log of"
    " every release and hold, and the broadcasters serving the stream obey it"
    " (docs/protocol.md, 'The embargo'). The time of the act is the replay's virtual clock"
    " when the stream has one, else now.",
    add_arguments=add_arguments,
    options=EmbargoOptions.from_args,
    run="ticker.commands.embargo:run",
    order=75,
)
