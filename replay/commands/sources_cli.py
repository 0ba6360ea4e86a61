"""``soiree sources``' command line: its options, as :class:`SourcesOptions`."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from ingest.commands.command import Command, NightOptions, add_night_options
from replay.commands.clock_cli import ClockOptions, add_clock_options

__all__ = ["COMMAND", "SourcesOptions"]


@dataclass(frozen=True)
class SourcesOptions:
    """What ``soiree sources`` was asked for (numbers are checked when it runs)."""

    night: NightOptions
    clock: ClockOptions
    host: str = "127.0.0.1"
    port: int = 8750
    page_size: int = 20
    interval: float = 5.0
    loop: bool = False
    recording: Path | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> SourcesOptions:
        """The options of a parsed command line."""
        return cls(
            night=NightOptions.from_args(args),
            clock=ClockOptions.from_args(args),
            host=args.host,
            port=args.port,
            page_size=args.page_size,
            interval=args.interval,
            loop=args.loop,
            recording=Path(args.recording) if args.recording else None,
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``soiree sources``' options."""
    add_night_options(parser)
    add_clock_options(parser)
    parser.add_argument(
        "--host", default=SourcesOptions.host, help="address to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=SourcesOptions.port,
        help="port to listen on, 0 for any (default: %(default)s)",
    )
    parser.add_argument(
        "--page-size",
        type=int,
        default=SourcesOptions.page_size,
        metavar="N",
        help="entries on the liveblog page, newest first (default: %(default)s)",
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=SourcesOptions.interval,
        metavar="SECONDS",
        help="polling interval advertised by Cache-Control: max-age (default: %(default)g)",
    )
    parser.add_argument(
        "--loop",
        action="store_true",
        help="start the night again three intervals (at least 1 s) after its end",
    )
    parser.add_argument(
        "--recording",
        metavar="DIR",
        help="serve this recording (`soiree ingest --record`) instead of the night's fixtures;"
        " --from/--to are then times of the recording's day, and --page-size and --night do"
        " not apply (docs/recording.md)",
    )


COMMAND = Command(
    name="sources",
    help="serve a night's fixtures as its emulated sources (liveblog, feed, results)",
    description="Serve the liveblog page, the RSS feed and the results endpoint of a night"
    " as they stood at each moment of the virtual clock, with ETag and Last-Modified, so"
    " that `soiree ingest` polls a rehearsal end to end (see docs/sources.md).",
    add_arguments=add_arguments,
    options=SourcesOptions.from_args,
    run="replay.commands.sources:run",
    order=50,
)
