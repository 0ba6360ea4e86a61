"""``soiree redis``'s command line: its options, checked into :class:`RedisServerOptions`."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ingest.commands.command import DATA_DIR_DEFAULT, Command
from ingest.model.settings import settings

__all__ = ["APPENDFSYNC_ENV", "COMMAND", "RedisServerOptions"]

APPENDFSYNC_ENV: Final = "SOIREE_APPENDFSYNC"
APPENDFSYNC_CHOICES: Final = ("always", "everysec", "no")


@dataclass(frozen=True)
class RedisServerOptions:
    """What ``soiree redis`` was asked for."""

    appendfsync: str
    data_dir: Path | None = None
    stop: bool = False
    url: bool = False

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> RedisServerOptions:
        """The options of a parsed command line."""
        return cls(
            data_dir=Path(args.data_dir) if args.data_dir else None,
            appendfsync=args.appendfsync,
            stop=args.stop,
            url=args.url,
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``soiree redis``'s options."""
    parser.add_argument(
        "--data-dir", metavar="DIR", help=f"its data directory (default: {DATA_DIR_DEFAULT})"
    )
    parser.add_argument(
        "--appendfsync",
        choices=APPENDFSYNC_CHOICES,
        default=settings().appendfsync,
        help=f"AOF fsync policy (default: ${APPENDFSYNC_ENV}, else everysec)",
    )
    parser.add_argument(
        "--stop", action="store_true", help="stop the embedded server of the data directory"
    )
    parser.add_argument(
        "--url", action="store_true", help="start it if needed and print its URL, then exit"
    )


COMMAND = Command(
    name="redis",
    help="run the embedded Redis server in the foreground (for the Procfile)",
    description="Run soiree's embedded Redis server for the data directory in the"
    " foreground; Ctrl-C or SIGTERM stop it. If another command already started one for that"
    " directory, follow it instead: stay in the foreground while it runs, and on Ctrl-C leave"
    " it running (it serves whoever started it); --stop stops it.",
    add_arguments=add_arguments,
    options=RedisServerOptions.from_args,
    run="ingest.commands.redis_server:run",
    order=40,
)
