"""Tests for ingest.cli: commands found through entry points, their help, options and errors."""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
from typing import Any

import pytest

from ingest.cli import build_parser, find_commands, main
from ingest.commands.command import Command, NightOptions, RedisOptions
from ingest.model.errors import CommandError

COMMANDS = (
    "night", "demo", "replay", "dump", "export", "redis", "sources", "ingest", "serve", "alerts",
    "embargo", "desk",
    "ticker", "bench",
)  # fmt: skip


def test_every_command_is_found_through_the_entry_point_group() -> None:
    """The commands come from the soiree.commands group, in --help order."""
    assert tuple(command.name for command in find_commands()) == COMMANDS


@pytest.mark.parametrize("name", COMMANDS)
def test_help_of_every_command_works(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``soiree NAME --help`` prints its usage and exits 0."""
    with pytest.raises(SystemExit) as exit_info:
        main([name, "--help"])
    assert exit_info.value.code == 0
    assert f"usage: soiree {name}" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["dump", "serve", "ingest"])
def test_redis_url_help_names_the_sentinel_form(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--redis-url``'s help names ``redis+sentinel://`` beside the plain forms."""
    with pytest.raises(SystemExit):
        main([name, "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "redis+sentinel://host[:port][,host...]/service[/db]" in help_text


@pytest.mark.parametrize(
    "name", [name for name in COMMANDS if name not in ("night", "alerts", "embargo", "desk")]
)
def test_parsed_defaults_are_the_options_defaults(name: str) -> None:
    """With no option given, each command's options object holds its own declared defaults.

    (``night`` and ``alerts`` are groups: their subcommands' defaults are
    tests/test_night_command.py's and tests/test_alert_rules.py's; ``embargo`` needs its act
    and ``--reason``: tests/test_embargo_broadcast.py runs it; ``desk`` needs its action and
    ``--by``: tests/test_desk.py runs it.)
    """
    command = next(command for command in find_commands() if command.name == name)
    options = command.options(build_parser().parse_args([name]))
    assert dataclasses.is_dataclass(options)
    checked = 0
    for field in dataclasses.fields(options):
        value = getattr(options, field.name)
        if isinstance(value, NightOptions | RedisOptions):
            assert value == type(value)(), field.name
            checked += 1
        elif field.default is not dataclasses.MISSING:
            assert value == field.default, field.name
            checked += 1
    assert checked >= 1


def test_demo_help_shows_the_demo_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    """The demo's --speed and --max-gap defaults, as shown, are the ones it uses (60, 5m)."""
    args = build_parser().parse_args(["demo"])
    assert (args.speed, args.max_gap) == ("60", "5m")
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert "(default: 60)" in shown
    assert "(default: 5m)" in shown


def _failing(_: argparse.Namespace) -> object:
    raise CommandError("nothing to do here")


def test_a_soiree_error_is_one_line_and_status_1(capsys: pytest.CaptureFixture[str]) -> None:
    """Any SoireeError a command raises is reported in one line, exit status 1."""
    failing: Command[Any] = Command(
        name="fail",
        help="fails",
        description="fails",
        add_arguments=lambda parser: None,
        options=_failing,
        run="builtins:print",
    )
    parser = build_parser([failing])
    args = parser.parse_args(["fail"])
    with pytest.raises(CommandError):
        failing.execute(args)
    assert main(["bench", "--only", "nothing"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("soiree bench: error: --only takes")


def test_help_imports_no_command_and_no_upper_layer() -> None:
    """``soiree --help`` builds every parser without importing a command's work or redis."""
    code = (
        "import sys\n"
        "from ingest.cli import build_parser\n"
        "build_parser().format_help()\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('redis', 'aiohttp', 'websockets', 'rich')"
        " or m in ('replay.commands.demo', 'ticker.commands.serve', 'ingest.commands.ingest'))\n"
        "print(heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
