"""What ``--help`` says each option defaults to is what each command really uses.

Every ``(default: X)`` of every command's ``--help`` is read back: a literal default must be
the parsed one, and a default described in words (the night's stream, ``$PORT, else 8765``...)
must be one of the descriptions below, each checked against what the code computes, and for
``--stream`` against what the command itself prints it uses.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from ingest.cli import build_parser
from ingest.commands.bench_cli import QUICK_DURATION
from ingest.commands.command import (
    DATA_DIR_DEFAULT,
    NIGHT_STREAM_DEFAULT,
    RUN_STREAM_DEFAULT,
    NightOptions,
)
from ingest.commands.ingest import config_path_of
from ingest.commands.ingest_cli import IngestOptions
from ingest.commands.redis_cli import RedisServerOptions
from ingest.model.nights import find_night
from ingest.model.settings import Settings, settings
from ingest.store.scratch_redis import ScratchServer
from replay.clock import ReplayWindow
from replay.commands.clock_cli import ClockOptions
from replay.commands.clock_options import window_of
from replay.commands.demo_cli import DEFAULT_PORT as DEMO_PORT
from replay.commands.demo_cli import DemoOptions
from replay.fixtures import find_night as find_fixture
from replay.timeline import default_start
from tests.cli_process import SoireeProcess, soiree, soiree_env
from tests.conftest import BUNDLED_NIGHTS, ROOT, TIMEOUT_FACTOR
from ticker.commands.serve import read_token, resolve_port

NIGHT = find_night()


def _parser(name: str) -> argparse.ArgumentParser:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    chosen: argparse.ArgumentParser = sub.choices[name]
    return chosen


def shown_defaults() -> list[tuple[str, argparse.Action, str]]:
    """Every (command, option, shown default) of every command's --help."""
    found = []
    for name in ("demo", "replay", "dump", "redis", "sources", "ingest", "serve", "ticker"):
        parser = _parser(name)
        formatter = parser._get_formatter()
        for action in parser._actions:
            if not action.help or action.help == argparse.SUPPRESS:
                continue
            text = " ".join(formatter._expand_help(action).split())
            match = re.search(r"\(default:? (.*)\)$", text)
            if match:
                found.append((name, action, match[1]))
    return found


def _literal(shown: str, default: object) -> bool:
    """Whether ``shown`` states ``default`` (numbers compared as numbers)."""
    head = shown.split(";", maxsplit=1)[0].split(",", maxsplit=1)[0].strip()
    if isinstance(default, int | float) and not isinstance(default, bool):
        return float(head) == float(default)
    return head == str(default)


def _clock_window(command: str) -> ReplayWindow:
    args = _parser(command).parse_args([])
    return window_of(ClockOptions.from_args(args), find_fixture(None))


def _check_start(command: str) -> None:
    window = _clock_window(command)
    assert window.start == default_start(find_fixture(None))


def _check_end(command: str) -> None:
    assert _clock_window(command).end is None


def _check_no_cut(command: str) -> None:
    assert _clock_window(command).max_gap is None


def _check_night(command: str) -> None:
    assert NIGHT.slug == "2017-01-29"
    assert NightOptions.from_args(_parser(command).parse_args([])).night is None


def _check_fixtures(command: str) -> None:
    assert Settings.from_env({}).fixtures is None
    assert Path(Settings.from_env({"SOIREE_FIXTURES": "/x"}).fixtures or "") == Path("/x")
    assert find_fixture(None).directory.parent == BUNDLED_NIGHTS


def _check_redis_url(command: str) -> None:
    assert Settings.from_env({"REDIS_URL": "redis://h:1/0"}).redis_url == "redis://h:1/0"
    assert Settings.from_env({}).redis_url is None  # then the embedded server


def _check_data_dir(command: str) -> None:
    assert Settings.from_env({"SOIREE_DATA_DIR": "/d"}).data_dir == Path("/d")
    assert Settings.from_env({"XDG_DATA_HOME": "/x"}).data_dir == Path("/x/soiree")
    assert Settings.from_env({}).data_dir == Path.home() / ".local" / "share" / "soiree"


def _check_serve_port(command: str) -> None:
    assert Settings.from_env({"PORT": "9000"}).port == "9000"
    if settings().port is None:
        assert resolve_port(None) == 8765


def _check_demo_port(command: str) -> None:
    assert DEMO_PORT == 8765
    assert DemoOptions.from_args(_parser("demo").parse_args([])).port is None


def _check_token(command: str) -> None:
    assert read_token(None) == settings().read_token


def _check_config(command: str) -> None:
    args = _parser("ingest").parse_args([])
    path = config_path_of(IngestOptions.from_args(args))
    assert path == find_fixture(None).directory / "sources.toml"


def _check_base_url(command: str) -> None:
    assert Settings.from_env({"SOIREE_SOURCES_URL": "http://h/"}).sources_url == "http://h/"


def _check_appendfsync(command: str) -> None:
    assert Settings.from_env({}).appendfsync == "everysec"
    options = RedisServerOptions.from_args(_parser("redis").parse_args([]))
    assert options.appendfsync == settings().appendfsync


def _check_ticker_items(command: str) -> None:
    assert _parser("ticker").parse_args([]).items == 20


def _check_since(command: str) -> None:
    assert _parser("dump").parse_args([]).since == "0"


def _check_stream(command: str) -> None:
    assert command in STREAM_CHECKED  # the command's own run says which stream it uses


#: Every default ``--help`` describes in words, and what checks it.
DESCRIBED: dict[str, Callable[[str], None]] = {
    "the first by name, 2017-01-29": _check_night,
    "$SOIREE_FIXTURES, else the nights bundled in ingest/nights/": _check_fixtures,
    "$REDIS_URL, else soiree's embedded server": _check_redis_url,
    DATA_DIR_DEFAULT: _check_data_dir,
    NIGHT_STREAM_DEFAULT: _check_stream,
    RUN_STREAM_DEFAULT: _check_stream,
    "the first entry of the night's day": _check_start,
    "the end": _check_end,
    "no cut": _check_no_cut,
    f"{DEMO_PORT} if free, else any free one": _check_demo_port,
    "$PORT, else 8765": _check_serve_port,
    "$SOIREE_READ_TOKEN; none: open": _check_token,
    "$SOIREE_SOURCES_CONFIG, else the night's sources.toml, which polls `soiree sources`": (
        _check_config
    ),
    "$SOIREE_SOURCES_URL": _check_base_url,
    "$SOIREE_APPENDFSYNC, else everysec": _check_appendfsync,
}


@pytest.mark.parametrize(
    ("command", "dest", "shown"),
    [(command, action.dest, shown) for command, action, shown in shown_defaults()],
)
def test_every_default_shown_is_the_one_used(command: str, dest: str, shown: str) -> None:
    """A default shown by --help is the parsed default, or a description the code matches."""
    action = next(a for a in _parser(command)._actions if a.dest == dest)
    if shown in DESCRIBED:
        DESCRIBED[shown](command)
    else:
        assert action.default is not None, f"{command} --{dest}: {shown!r} is checked by nobody"
        assert _literal(shown, action.default), (command, dest, shown, action.default)


def test_demo_and_replay_clock_defaults_are_the_ones_they_run_with() -> None:
    """demo runs at 60x with gaps cut to 5 minutes, replay at 1x uncut, as --help says."""
    demo = _clock_window("demo")
    assert demo.speed == 60
    assert demo.max_gap == timedelta(minutes=5)
    replay = _clock_window("replay")
    assert replay.speed == 1


def test_bench_quick_says_what_the_readme_says() -> None:
    """`bench --help` and README.md give --quick the same duration (about 45 s, not a minute)."""
    shown = " ".join(_parser("bench").format_help().split())
    assert f"({QUICK_DURATION} in all)" in shown
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.search(rf"soiree bench --quick +# {QUICK_DURATION}", readme)


# -- the stream each command really uses, from its own output --------------------------------

STREAM_CHECKED = ("demo", "replay", "dump", "ingest", "serve", "ticker")


def _stream_help(command: str) -> str:
    return next(
        shown
        for name, action, shown in shown_defaults()
        if name == command and action.dest == "stream"
    )


def _expected(command: str) -> re.Pattern[str]:
    if _stream_help(command) == RUN_STREAM_DEFAULT:
        return re.compile(re.escape(NIGHT.stream) + r":replay:\d+")
    assert _stream_help(command) == NIGHT_STREAM_DEFAULT
    return re.compile(re.escape(NIGHT.stream) + r"(?![:\w])")


@pytest.mark.parametrize("command", ["replay", "dump", "ingest", "serve", "demo"])
def test_stream_without_option_is_the_one_help_names(command: str, tmp_path: Path) -> None:
    """Without --stream, the stream a command prints it uses matches its --help default."""
    expected = _expected(command)
    with ScratchServer(tmp_path, timeout=10 * TIMEOUT_FACTOR) as server:
        url = server.url
        env = soiree_env(SOIREE_READ_TOKEN="")
        if command in ("replay", "dump", "ingest"):
            args = {
                "replay": ["replay", "--speed", "max", "--to", "18:00", "--no-progress"],
                "dump": ["dump"],
                "ingest": ["ingest", "--status"],
            }[command]
            result = soiree(*args, "--redis-url", url, env=env)
            said = " ".join((result.stdout + result.stderr).split())
        else:
            args = ["serve", "--port", "0"] if command == "serve" else ["demo", "--port", "0"]
            running = SoireeProcess(*args, "--redis-url", url, env=env)
            try:
                said = running.wait_for_line(r"(relaying|stream) (\S+)")[2]
            finally:
                running.close()
    assert expected.search(said), (command, said)
