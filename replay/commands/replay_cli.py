"""``soiree replay``'s command line: its options, as :class:`ReplayOptions`."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from ingest.commands.command import (
    RUN_STREAM_DEFAULT,
    Command,
    NightOptions,
    RedisOptions,
    add_night_options,
    add_redis_options,
)
from replay.commands.clock_cli import ClockOptions, add_clock_options

__all__ = ["COMMAND", "ReplayOptions"]


@dataclass(frozen=True)
class ReplayOptions:
    """What ``soiree replay`` was asked for."""

    night: NightOptions
    redis: RedisOptions
    clock: ClockOptions
    loop: bool = False
    no_progress: bool = False

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ReplayOptions:
        """The options of a parsed command line."""
        return cls(
            night=NightOptions.from_args(args),
            redis=RedisOptions.from_args(args),
            clock=ClockOptions.from_args(args),
            loop=args.loop,
            no_progress=args.no_progress,
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``soiree replay``'s options."""
    add_night_options(parser)
    add_redis_options(parser, stream_default=RUN_STREAM_DEFAULT)
    add_clock_options(parser)
    parser.add_argument(
        "--loop", action="store_true", help="start the night again after its last update"
    )
    parser.add_argument(
        "--no-progress", action="store_true", help="no progress bar (also when not a terminal)"
    )


COMMAND = Command(
    name="replay",
    help="replay a night's fixtures straight into the stream",
    description="Append the updates of a night to the stream on the virtual clock."
    " Without --stream, each run writes a new stream (its key is printed), so a"
    " rehearsal never mixes with the night's live stream or an earlier run.",
    add_arguments=add_arguments,
    options=ReplayOptions.from_args,
    run="replay.commands.replay:run",
    order=20,
)
