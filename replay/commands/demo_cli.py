"""``soiree demo``'s command line: its options, as :class:`DemoOptions`."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ingest.commands.command import (
    RUN_STREAM_DEFAULT,
    Command,
    NightOptions,
    RedisOptions,
    add_night_options,
    add_redis_options,
    checked_port,
)
from replay.commands.clock_cli import ClockOptions, add_clock_options

__all__ = ["COMMAND", "DEFAULT_PORT", "DemoOptions"]

#: The web page's port when ``--port`` is not given (if it is free).
DEFAULT_PORT: Final = 8765


@dataclass(frozen=True)
class DemoOptions:
    """What ``soiree demo`` was asked for."""

    night: NightOptions
    redis: RedisOptions
    clock: ClockOptions
    host: str = "127.0.0.1"
    port: int | None = None
    """None: 8765 if free, else any free port (said so); a port given must be free."""
    loop: bool = False
    recording: Path | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> DemoOptions:
        """The options of a parsed command line."""
        return cls(
            night=NightOptions.from_args(args),
            redis=RedisOptions.from_args(args),
            clock=ClockOptions.from_args(args),
            host=args.host,
            port=None if args.port is None else checked_port(args.port),
            loop=args.loop,
            recording=Path(args.recording) if args.recording else None,
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``soiree demo``'s options."""
    add_night_options(parser)
    add_redis_options(parser, stream_default=RUN_STREAM_DEFAULT)
    add_clock_options(parser, speed="60", max_gap="5m")
    parser.add_argument(
        "--host", default=DemoOptions.host, help="web page address (default: %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=int,
        help=f"web page port; 0: any free one (default: {DEFAULT_PORT} if free, else any free one)",
    )
    parser.add_argument("--loop", action="store_true", help="start the night again at its end")
    parser.add_argument(
        "--recording",
        metavar="DIR",
        help="play this recording (soiree ingest --record) instead of the night's fixtures;"
        " the pollers read the recording's night's sources.toml (docs/recording.md)",
    )


COMMAND = Command(
    name="demo",
    help="everything at once: the night replayed through sources, pollers, web page, ticker",
    description="Bring up, on the embedded Redis (or --redis-url): the emulated sources"
    " replaying the night, the pollers reading them, the broadcaster and its web page (its"
    " address is printed) and the ticker in the foreground. q or Ctrl-C stops every part."
    " Each run writes a stream of its own (<night stream>:replay:N).",
    add_arguments=add_arguments,
    options=DemoOptions.from_args,
    run="replay.commands.demo:run",
    order=10,
)
