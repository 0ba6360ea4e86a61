"""What a ``soiree`` command is, and the option groups (and the port check) several commands share.

A command is a :class:`Command`: its name and help, ``add_arguments`` (its options on its
sub-parser), ``options`` (the parsed arguments turned into the command's typed, checked options
object) and ``run``, the ``module:function`` that does the work with that object. Commands are
found through the ``soiree.commands`` entry-point group (``pyproject.toml``), so that the
dispatcher (:mod:`ingest.cli`), in the bottom layer, never imports the layers above it. ``run``
is imported only when its command runs: ``soiree --help`` stays fast.

This module and every ``*_cli`` module import nothing heavier than the standard library.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from ingest.model.errors import CommandError

__all__ = [
    "DATA_DIR_DEFAULT",
    "NIGHT_STREAM_DEFAULT",
    "RUN_STREAM_DEFAULT",
    "Command",
    "NightOptions",
    "RedisOptions",
    "add_night_options",
    "add_redis_options",
    "checked_port",
]

OptionsT = TypeVar("OptionsT")


@dataclass(frozen=True, slots=True)
class Command(Generic[OptionsT]):
    """One subcommand of ``soiree``."""

    name: str
    help: str
    description: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    options: Callable[[argparse.Namespace], OptionsT]
    run: str
    """``module:function``: the function taking the options object and returning the status."""
    order: int = 100
    """Where the command stands in ``soiree --help`` (smallest first)."""

    def execute(self, args: argparse.Namespace) -> int:
        """Check the options, then import and call :attr:`run`; return the exit status."""
        options = self.options(args)
        module_name, _, function_name = self.run.partition(":")
        function: Callable[[Any], int] = getattr(
            importlib.import_module(module_name), function_name
        )
        return function(options)


@dataclass(frozen=True, slots=True)
class NightOptions:
    """``--night`` and ``--fixtures``: which night (a night file's path, or a slug), from which
    nights directory (for a slug)."""

    night: str | None = None
    fixtures: Path | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> NightOptions:
        """The night options of a parsed command line."""
        return cls(night=args.night, fixtures=Path(args.fixtures) if args.fixtures else None)


@dataclass(frozen=True, slots=True)
class RedisOptions:
    """``--redis-url``, ``--data-dir`` and ``--stream``: which server, which stream."""

    redis_url: str | None = None
    data_dir: Path | None = None
    stream: str | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> RedisOptions:
        """The Redis options of a parsed command line."""
        return cls(
            redis_url=args.redis_url,
            data_dir=Path(args.data_dir) if args.data_dir else None,
            stream=getattr(args, "stream", None),
        )


#: Where the embedded server keeps its data, as ``--help`` shows it.
DATA_DIR_DEFAULT = "$SOIREE_DATA_DIR, else $XDG_DATA_HOME/soiree, else ~/.local/share/soiree"
#: What ``--stream`` defaults to in most commands, as ``--help`` shows it.
NIGHT_STREAM_DEFAULT = "the night's stream, e.g. soiree:night:2017-01-29"
#: What it defaults to in the commands that write a stream per run (``replay``, ``demo``).
RUN_STREAM_DEFAULT = "a new stream each run, <night's stream>:replay:N"


def add_redis_options(
    parser: argparse.ArgumentParser,
    *,
    stream: bool = True,
    stream_default: str = NIGHT_STREAM_DEFAULT,
) -> None:
    """``--redis-url``, ``--data-dir`` and (with ``stream``) ``--stream``.

    ``stream_default`` is what ``--help`` says the command uses without ``--stream``.
    """
    group = parser.add_argument_group("redis")
    group.add_argument(
        "--redis-url",
        metavar="URL",
        help="redis://, rediss:// or unix:// URL of a Redis 6.2+ or Valkey server, or"
        " redis+sentinel://host[:port][,host...]/service[/db] to follow a Sentinel-managed"
        " primary (docs/deploy.md) (default: $REDIS_URL, else soiree's embedded server)",
    )
    group.add_argument(
        "--data-dir",
        metavar="DIR",
        help=f"data directory of the embedded server (default: {DATA_DIR_DEFAULT})",
    )
    if stream:
        group.add_argument(
            "--stream",
            metavar="KEY",
            help="the stream's key; <night's stream>:replay:latest is the newest replay run"
            f" (default: {stream_default})",
        )


def add_night_options(parser: argparse.ArgumentParser) -> None:
    """``--night`` and ``--fixtures``."""
    group = parser.add_argument_group("night")
    group.add_argument(
        "--night",
        metavar="NIGHT",
        help="a night file (night.toml; docs/night.md), its folder, or the slug of a night of"
        " the nights directory (default: the first by name, 2017-01-29)",
    )
    group.add_argument(
        "--fixtures",
        metavar="DIR",
        help="the nights directory (default: $SOIREE_FIXTURES, else the nights bundled in"
        " ingest/nights/)",
    )


def checked_port(port: int, *, name: str = "--port") -> int:
    """``port`` if a TCP port (0: any free one); else :class:`CommandError` naming ``name``."""
    if not 0 <= port <= 65535:
        raise CommandError(f"{name} must be within 0-65535, got {port}")
    return port
