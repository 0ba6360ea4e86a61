"""The ``soiree`` command line: a dispatcher over the commands the installed packages declare.

Commands are found through the ``soiree.commands`` entry-point group (``pyproject.toml``): each
entry names a :class:`~ingest.commands.command.Command`, declared in a light ``*_cli`` module
next to the command's work (``replay.commands.demo_cli`` for ``replay.commands.demo``...). This
module, in the bottom layer, so never imports a command of the layers above; it builds the
parser, lets the chosen command check its options and run, and turns every error a user can
cause (:class:`~ingest.model.errors.SoireeError`, and the outside world's: an OS error, Redis
unreachable) into one clear line on stderr and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Iterable, Sequence
from importlib.metadata import PackageNotFoundError, entry_points, version
from typing import Any, Final

from ingest.commands.command import Command
from ingest.model.errors import SoireeError
from ingest.runtime.aio import Stopped, stop_handling

__all__ = ["ENTRY_POINT_GROUP", "build_parser", "find_commands", "main"]

ENTRY_POINT_GROUP: Final = "soiree.commands"
EXIT_FAILURE: Final = 1
#: Ctrl-C and SIGTERM are clean stops, at any moment (README.md, "Commands").
EXIT_STOPPED: Final = 0


def find_commands() -> list[Command[Any]]:
    """Every command of the ``soiree.commands`` entry-point group, in ``--help`` order."""
    commands: list[Command[Any]] = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        command = entry.load()
        if not isinstance(command, Command):
            raise TypeError(f"entry point {entry.name} = {entry.value} is not a Command")
        commands.append(command)
    return sorted(commands, key=lambda command: (command.order, command.name))


def build_parser(commands: Iterable[Command[Any]] | None = None) -> argparse.ArgumentParser:
    """The whole command line: one sub-parser per command, its options its own."""
    parser = argparse.ArgumentParser(
        prog="soiree",
        description="Election-night liveblog ingester and ticker.",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)"
    )
    parser.add_argument("--version", action="version", version=f"soiree {_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in find_commands() if commands is None else commands:
        sub = subparsers.add_parser(
            command.name, help=command.help, description=command.description
        )
        command.add_arguments(sub)
        # -v after the subcommand too (`soiree dump -v`): counted apart, added to the first.
        sub.add_argument(
            "-v",
            "--verbose",
            dest="verbose_after",
            action="count",
            default=0,
            help="more log output (-vv: debug)",
        )
        sub.set_defaults(soiree_command=command)
    return parser


def _version() -> str:
    """The installed distribution's version (``pyproject.toml``)."""
    try:
        return version("soiree")
    except PackageNotFoundError:  # run from a tree that was never installed
        return "unknown"


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    # -vv shows what libraries log of the wire (websockets: every handshake header): no secret.
    from ingest.runtime.log_redaction import install  # noqa: PLC0415 - keeps `soiree --help` fast

    install()


def _user_errors() -> tuple[type[Exception], ...]:
    """The errors a user can cause: soiree's own (:class:`SoireeError`, the whole tree), and the
    outside world's (an OS error, an unreachable Redis). Anything else is a bug: a traceback.

    redis is imported here, late, so that ``soiree --help`` stays fast.
    """
    import redis.exceptions  # noqa: PLC0415

    return (
        SoireeError,
        redis.exceptions.ConnectionError,
        redis.exceptions.TimeoutError,
        redis.exceptions.AuthenticationError,
        OSError,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``soiree`` command line; return the exit status.

    Stop handling comes first, before anything is started: SIGTERM or Ctrl-C at any moment ends
    the command cleanly with status 0, whatever it had started stopped again (before this runs,
    :mod:`ingest.launch`, the executable's entry point, holds the signals).
    """
    with stop_handling():
        try:
            return _run(argv)
        except Stopped as stopped:
            if stopped.signum != signal.SIGTERM:
                print("soiree: interrupted", file=sys.stderr)
            return EXIT_STOPPED


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose + args.verbose_after)
    command: Command[Any] = args.soiree_command
    try:
        return command.execute(args)
    except Stopped:
        raise
    except KeyboardInterrupt:
        print("soiree: interrupted", file=sys.stderr)
        return EXIT_STOPPED
    except _user_errors() as error:
        print(f"soiree {args.command}: error: {error}", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as error:
        # Redis refusing writes (a full disk, maxmemory) is the server's state, not a bug.
        from ingest.store.redis_errors import describe_refusal  # noqa: PLC0415

        refusal = describe_refusal(error)
        if refusal is None:
            raise
        print(f"soiree {args.command}: error: {refusal}", file=sys.stderr)
        return EXIT_FAILURE
