"""``soiree night from-recording DIR OUT``'s command line (a subcommand of ``soiree night``,
found through the ``soiree.night_commands`` entry points): its work is
:mod:`replay.commands.night_from_recording`, which turns a recording into a night's fixtures.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from ingest.commands.command import Command, NightOptions, add_night_options

__all__ = ["COMMAND", "FromRecordingOptions"]


@dataclass(frozen=True)
class FromRecordingOptions:
    """What ``soiree night from-recording`` was asked for."""

    night: NightOptions
    recording: Path
    out: Path
    config: Path | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> FromRecordingOptions:
        """The options of a parsed command line."""
        return cls(
            night=NightOptions.from_args(args),
            recording=Path(args.recording),
            out=Path(args.out),
            config=Path(args.config) if args.config else None,
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``soiree night from-recording``'s arguments and options."""
    parser.add_argument("recording", metavar="DIR", help="the recording")
    parser.add_argument("out", metavar="OUT", help="the night's new folder")
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="the sources file the recording was made with (default: the night's sources.toml)",
    )
    add_night_options(parser)


COMMAND = Command(
    name="from-recording",
    help="turn a recording (soiree ingest --record) into a night's fixtures",
    description="Read every body a recording holds with the pollers' parsers and write the"
    " entries as a night's fixtures (night.toml, liveblog.json, articles.json,"
    " checkpoints.json) that `soiree replay --night OUT` plays (docs/recording.md).",
    add_arguments=add_arguments,
    options=FromRecordingOptions.from_args,
    run="replay.commands.night_from_recording:run",
    order=30,
)
