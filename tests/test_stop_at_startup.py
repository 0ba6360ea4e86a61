"""SIGTERM at any moment of a command's start-up: exit 0, nothing left running (issue 15.9).

``soiree demo`` starts the embedded Redis of its data directory before anything else; a SIGTERM
that lands while that server starts, just after it answers, while the event loop comes up or
once the ticker shows the night must end the demo with status 0 and stop that server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT, TIMEOUT_FACTOR

SOIREE = str(Path(sys.executable).with_name("soiree"))


def _servers_of(config: Path) -> list[int]:
    """Pids of the redis-server processes started with ``config``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if os.fsencode(str(config)) in cmdline.split(b"\0"):
            pids.append(int(entry.name))
    return pids


def _wait(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.002)
    return False


MOMENTS = {
    "server spawning": ("config", 0.0),
    "server answering": ("socket", 0.0),
    "event loop starting": ("socket", 0.05),
    "pollers starting": ("socket", 0.3),
    "ticker running": ("page", 0.0),
}


#: Ctrl-C is a clean stop too (status 0), also before the demo's ticker takes it.
CTRL_C_MOMENTS = ("server answering", "event loop starting")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("moment", "signum"),
    [(moment, signal.SIGTERM) for moment in MOMENTS]
    + [(moment, signal.SIGINT) for moment in CTRL_C_MOMENTS],
)
def test_sigterm_during_demo_startup_exits_0_and_stops_its_redis(
    tmp_path: Path, moment: str, signum: signal.Signals
) -> None:
    """SIGTERM (or Ctrl-C) at this start-up moment: the demo exits 0 and its embedded Redis is
    gone."""
    data_dir = tmp_path / "d"
    config = data_dir.resolve() / "redis.conf"
    log = tmp_path / "demo.log"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "SOIREE_DATA_DIR")}
    trigger, delay = MOMENTS[moment]
    with log.open("wb") as out:
        demo = subprocess.Popen(
            [SOIREE, "demo", "--data-dir", str(data_dir), "--port", "0", "--speed", "max"],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        checks: dict[str, Callable[[], bool]] = {
            "config": config.exists,
            "socket": lambda: (data_dir / "redis.sock").exists() or bool(_servers_of(config)),
            "page": lambda: b"web page" in log.read_bytes(),
        }
        assert _wait(checks[trigger], 30 * TIMEOUT_FACTOR), log.read_text(errors="replace")
        time.sleep(delay)
        demo.send_signal(signum)
        try:
            status = demo.wait(timeout=30 * TIMEOUT_FACTOR)
        except subprocess.TimeoutExpired:
            output = log.read_text(errors="replace")
            pytest.fail(f"still running after {signum.name} at {moment!r}:\n{output}")
        output = log.read_text(errors="replace")
        assert status == 0, f"exit status {status} at {moment!r}:\n{output}"
        assert _wait(lambda: not _servers_of(config), 5 * TIMEOUT_FACTOR), (
            f"redis-server left running at {moment!r}:\n{output}"
        )
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()
        for pid in _servers_of(config):
            os.kill(pid, signal.SIGKILL)


# -- before the command line runs, and after it returned ----------------------------------------

#: The ``soiree`` executable's entry point, as pyproject.toml declares it (``module:function``).
ENTRY_MODULE, _, ENTRY_FUNCTION = tomllib.loads(
    (ROOT / "pyproject.toml").read_text(encoding="utf-8")
)["project"]["scripts"]["soiree"].partition(":")

#: The console script's own lines (``from M import F; sys.exit(F())``), a signal sent to itself
#: at a chosen point: while the command line is being imported (a module it imports is looked
#: up), once the command has returned, or while Python finalizes its modules (this script's
#: own globals are collected).
SCRIPT = """
import importlib.abc, os, signal, sys
SIGNUM, WHEN = signal.Signals[sys.argv[1]], sys.argv[2]
sys.argv[1:3] = []
class SignalWhenCollected:  # what it needs is its own: module globals may be gone by then
    def __init__(self):
        self.kill, self.pid, self.signum, self.when = os.kill, os.getpid(), SIGNUM, WHEN
    def __del__(self):
        if self.when == "finalizing":
            self.kill(self.pid, self.signum)
collected_last = SignalWhenCollected()
class SignalOnImport(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if WHEN == "importing" and name == "ingest.runtime.aio":
            os.kill(os.getpid(), SIGNUM)
        return None
sys.meta_path.insert(0, SignalOnImport())
from {module} import {function}
status = {function}()
if WHEN == "returned":
    os.kill(os.getpid(), SIGNUM)
sys.exit(status)
"""


def _entry_point(signum: str, when: str, *args: str) -> subprocess.CompletedProcess[str]:
    script = SCRIPT.format(module=ENTRY_MODULE, function=ENTRY_FUNCTION)
    return subprocess.run(
        [sys.executable, "-c", script, signum, when, *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60 * TIMEOUT_FACTOR,
        check=False,
    )


@pytest.mark.parametrize("signum", ["SIGTERM", "SIGINT"])
def test_a_stop_signal_while_the_command_line_is_imported_exits_0(signum: str) -> None:
    """Ctrl-C or SIGTERM before the command line even runs: status 0, no traceback, nothing
    done (the night is not checked)."""
    done = _entry_point(signum, "importing", "night", "check", "2017-01-29")
    assert (done.returncode, done.stdout) == (0, ""), done.stderr
    assert "Traceback" not in done.stderr, done.stderr


@pytest.mark.parametrize("when", ["returned", "finalizing"])
@pytest.mark.parametrize("signum", ["SIGTERM", "SIGINT"])
def test_a_stop_signal_once_the_command_returned_keeps_its_status(signum: str, when: str) -> None:
    """A signal landing as the process ends (the command has returned, or Python finalizes its
    modules): it exits with the command's own status (1 here: no such night file), with no
    traceback."""
    done = _entry_point(signum, when, "night", "check", "no-such-night.toml")
    assert done.returncode == 1, done.stderr
    assert "no such night file" in done.stderr
    assert "Traceback" not in done.stderr, done.stderr


#: Commands that start the embedded Redis of their data directory (the demo: above), with what
#: makes them run here on their own.
STARTERS = {
    "redis": ["redis"],
    "dump --follow": ["dump", "--follow"],
    "serve": ["serve", "--port", "0"],
    "ingest": ["ingest"],
}


@pytest.mark.slow
@pytest.mark.parametrize("command", list(STARTERS))
def test_sigterm_while_a_command_starts_the_embedded_redis_exits_0(
    tmp_path: Path, command: str
) -> None:
    """SIGTERM as soon as the embedded server is being set up for this command: status 0, no
    traceback, and the server is not left half-started (it is stopped, or it answers)."""
    data_dir = tmp_path / "d"
    config = data_dir.resolve() / "redis.conf"
    lock = data_dir / "lock"  # taken just before the server is spawned
    log = tmp_path / "command.log"
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "SOIREE_DATA_DIR")}
    env["SOIREE_SOURCES_URL"] = "http://127.0.0.1:9"  # nothing is fetched before the signal
    with log.open("wb") as out:
        process = subprocess.Popen(
            [SOIREE, *STARTERS[command], "--data-dir", str(data_dir)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
        )
    try:
        assert _wait(lock.exists, 30 * TIMEOUT_FACTOR), log.read_text(errors="replace")
        process.send_signal(signal.SIGTERM)
        try:
            status = process.wait(timeout=30 * TIMEOUT_FACTOR)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running after SIGTERM:\n{log.read_text(errors='replace')}")
        output = log.read_text(errors="replace")
        assert status == 0, f"exit status {status}:\n{output}"
        assert "Traceback" not in output, output
        left = _servers_of(config)
        if left:  # a command other than the demo may leave it running: then it serves
            stopped = subprocess.run(
                [SOIREE, "redis", "--stop", "--data-dir", str(data_dir)],
                capture_output=True,
                text=True,
                env=env,
                timeout=30 * TIMEOUT_FACTOR,
                check=False,
            )
            assert "stopped the embedded Redis" in stopped.stdout, (stopped.stdout, output)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for pid in _servers_of(config):
            os.kill(pid, signal.SIGKILL)


def test_the_installed_soiree_starts_where_pyproject_says() -> None:
    """The ``soiree`` executable the tests run is the entry point pyproject.toml declares (a
    venv installed before a change of entry point runs the old one: re-run .ci/setup)."""
    script = Path(SOIREE).read_text(encoding="utf-8")
    assert f"from {ENTRY_MODULE} import {ENTRY_FUNCTION}" in script, (
        f"{SOIREE} is stale: run `bash .ci/setup --test` (pip install -e .)"
    )
