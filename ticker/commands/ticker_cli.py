"""``soiree ticker``'s command line: its options, as :class:`TickerCommandOptions`."""

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

__all__ = ["COMMAND", "TickerCommandOptions"]


@dataclass(frozen=True)
class TickerCommandOptions:
    """What ``soiree ticker`` was asked for (filters are checked when it runs)."""

    night: NightOptions
    redis: RedisOptions
    ws: str | None = None
    kinds: str | None = None
    sources: str | None = None
    once: bool = False
    items: int = 20
    #: Whether ``p`` may pause the replay for everyone watching it.
    control: bool = False

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> TickerCommandOptions:
        """The options of a parsed command line."""
        return cls(
            night=NightOptions.from_args(args),
            redis=RedisOptions.from_args(args),
            ws=args.ws,
            kinds=args.kinds,
            sources=args.sources,
            once=args.once,
            items=args.items,
            control=args.control,
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``soiree ticker``'s options."""
    add_night_options(parser)
    add_redis_options(parser)
    group = parser.add_argument_group("ticker")
    group.add_argument(
        "--ws",
        metavar="URL",
        help="relay the broadcaster at this websocket URL (ws://host:8765/ws) instead of"
        " reading Redis; reconnects and resumes by itself ($SOIREE_READ_TOKEN: read token)",
    )
    group.add_argument(
        "--kinds",
        metavar="KIND,...",
        help="show only these kinds (turnout, count, estimate, speech, rally, milestone, news)",
    )
    group.add_argument(
        "--sources", metavar="NAME,...", help="show only the updates of these sources"
    )
    group.add_argument(
        "--once", action="store_true", help="print one frame of the night so far and exit"
    )
    group.add_argument(
        "--items",
        type=int,
        default=TickerCommandOptions.items,
        metavar="N",
        help="feed items in a --once frame (default: %(default)s; live, the feed fills the screen)",
    )
    group.add_argument(
        "--control",
        action="store_true",
        help="let p pause / resume the replay for everyone (without it, the pause is shown only)",
    )


COMMAND = Command(
    name="ticker",
    help="show the night live in the terminal: scoreboard, turnout, feed, sources",
    description="Show the night live in the terminal (docs/ticker.md): the latest count"
    " with its counted share, the turnout checkpoints, the feed of updates, the sources'"
    " health. Reads the stream from Redis, or relays a broadcaster with --ws. Keys: p"
    " pauses / resumes a replay's stream (with --control), q quits.",
    add_arguments=add_arguments,
    options=TickerCommandOptions.from_args,
    run="ticker.commands.ticker:run",
    order=80,
)
