"""``soiree night``'s command line: a group of subcommands about night files.

Each subcommand is a :class:`~ingest.commands.command.Command` found through the
``soiree.night_commands`` entry-point group (``pyproject.toml``), like the top-level commands:
adding one (``soiree night from-recording``, from a layer above) is one small ``*_cli`` module
and one line there; this group never imports it. ``check`` and ``new`` are declared here, their
work in :mod:`ingest.commands.night` and :mod:`ingest.commands.night_new`.

Imports nothing heavier than the standard library.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Final

from ingest.commands.command import Command

__all__ = [
    "CHECK",
    "COMMAND",
    "NEW",
    "NIGHT_COMMANDS_GROUP",
    "CheckOptions",
    "NewOptions",
    "find_night_commands",
]

NIGHT_COMMANDS_GROUP: Final = "soiree.night_commands"


@dataclass(frozen=True, slots=True)
class CheckOptions:
    """``soiree night check FILE``."""

    file: str


@dataclass(frozen=True, slots=True)
class NewOptions:
    """``soiree night new``: what the flags gave; the rest is asked on a terminal."""

    output: Path
    date: str | None = None
    round: int | None = None
    candidates: tuple[str, ...] = ()
    timezone: str | None = None
    title: str | None = None
    slug: str | None = None


def _check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file", metavar="FILE", help="a night file, its folder, or a bundled night's slug"
    )


def _new_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        default="night.toml",
        help="where to write it; never overwritten (default: %(default)s)",
    )
    parser.add_argument("--date", metavar="YYYY-MM-DD", help="the night's date")
    parser.add_argument("--round", type=int, choices=(1, 2), help="the round: 1 or 2")
    parser.add_argument(
        "--candidate",
        action="append",
        metavar="NAME[=ALIAS,...]",
        help='a candidate, with the other ways texts write the name: "Marine Le Pen=Le Pen";'
        " repeatable, in the order of the ballot",
    )
    parser.add_argument(
        "--timezone", metavar="ZONE", help="IANA time zone of the night (Europe/Paris if not asked)"
    )
    parser.add_argument("--title", help="the title pages and the ticker show")
    parser.add_argument(
        "--slug", help="the night's short name, for --night and its stream (the date if not asked)"
    )


CHECK = Command(
    name="check",
    help="check a night file: OK with a one-line summary, or every problem (exit 1)",
    description="Read a night file strictly (docs/night.md): unknown keys, wrong types, a"
    " missing date, duplicate candidates or aliases are each one line naming the file, the"
    " key and the line. Exit status 0 when it is valid, 1 otherwise.",
    add_arguments=_check_arguments,
    options=lambda args: CheckOptions(file=args.file),
    run="ingest.commands.night:check",
    order=10,
)

NEW = Command(
    name="new",
    help="write a commented night.toml skeleton from flags, or from questions on a terminal",
    description="Write a new night file, commented key by key (docs/night.md), from --date,"
    " --round, --candidate (repeatable), --timezone, --title and --slug. On a terminal, what"
    " the flags leave out is asked; otherwise --date, --round and one --candidate at least are"
    " needed. An existing file is never overwritten.",
    add_arguments=_new_arguments,
    options=lambda args: NewOptions(
        output=Path(args.output),
        date=args.date,
        round=args.round,
        candidates=tuple(args.candidate or ()),
        timezone=args.timezone,
        title=args.title,
        slug=args.slug,
    ),
    run="ingest.commands.night_new:run",
    order=20,
)


def find_night_commands() -> list[Command[Any]]:
    """Every subcommand of ``soiree night`` the installed packages declare, in help order."""
    commands: list[Command[Any]] = []
    for entry in entry_points(group=NIGHT_COMMANDS_GROUP):
        command = entry.load()
        if not isinstance(command, Command):
            raise TypeError(f"entry point {entry.name} = {entry.value} is not a Command")
        commands.append(command)
    return sorted(commands, key=lambda command: (command.order, command.name))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """One sub-parser per ``soiree night`` subcommand."""
    subparsers = parser.add_subparsers(dest="night_command", metavar="SUBCOMMAND", required=True)
    for command in find_night_commands():
        sub = subparsers.add_parser(
            command.name, help=command.help, description=command.description
        )
        command.add_arguments(sub)
        sub.set_defaults(night_subcommand=command)


@dataclass(frozen=True, slots=True)
class Chosen:
    """The subcommand chosen and the parsed command line, to be checked when it runs."""

    command: Command[Any]
    args: argparse.Namespace


def run(chosen: Chosen) -> int:
    """Run the chosen subcommand: check its options, then do its work."""
    return chosen.command.execute(chosen.args)


COMMAND = Command(
    name="night",
    help="night files: check one, write a new one, make one from a recording (docs/night.md)",
    description="Night files (night.toml: the night's date, round, time zone and candidates;"
    " docs/night.md). `soiree night check FILE` validates one; `soiree night new` writes a"
    " commented skeleton; `soiree night from-recording DIR OUT` turns a recording into a"
    " night's fixtures (docs/recording.md).",
    add_arguments=add_arguments,
    options=lambda args: Chosen(command=args.night_subcommand, args=args),
    run="ingest.commands.night_cli:run",
    order=5,
)
