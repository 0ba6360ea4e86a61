"""`soiree demo` as a user runs it: in a real terminal (tmux), read from the screen, Ctrl-C."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from replay.commands.demo import poll_interval
from tests.conftest import TIMEOUT_FACTOR

SOIREE = str(Path(sys.executable).with_name("soiree"))


def test_poll_interval_follows_speed() -> None:
    """About a virtual minute between polls, within 0.1 s and 2 s of wall time."""
    assert poll_interval(60) == 1.0
    assert poll_interval(1) == 2.0
    assert poll_interval(3000) == 0.1
    assert poll_interval(float("inf")) == 0.1


class Tmux:
    """A tmux server of the test's own (its own socket), killed at the end."""

    def __init__(self) -> None:
        tmux = shutil.which("tmux")
        if tmux is None:
            pytest.fail("tmux is not installed: run `bash .ci/setup --test`")
        self.tmux = tmux
        self.socket = f"soiree-test-{uuid.uuid4().hex[:8]}"

    def __call__(self, *args: str) -> str:
        return subprocess.run(
            [self.tmux, "-L", self.socket, *args],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-t", "demo")

    def alive(self) -> bool:
        result = subprocess.run(
            [self.tmux, "-L", self.socket, "has-session", "-t", "demo"],
            capture_output=True,
            check=False,
        )
        return result.returncode == 0

    def kill(self) -> None:
        subprocess.run(
            [self.tmux, "-L", self.socket, "kill-server"], capture_output=True, check=False
        )


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    """A private tmux server."""
    server = Tmux()
    yield server
    server.kill()


def wait_for(condition: object, timeout: float) -> bool:
    """Poll ``condition()`` until true or ``timeout`` seconds (x TIMEOUT_FACTOR) pass."""
    deadline = time.monotonic() + timeout * TIMEOUT_FACTOR
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


def processes_of(data_dir: Path) -> list[str]:
    """Every process started for this data directory: its environment or command line names it.

    Not every ``soiree demo`` on the machine: other tests (another xdist worker, another
    checkout's suite) run demos of their own at the same time.
    """
    marker = f"SOIREE_DATA_DIR={data_dir}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            environ = (proc / "environ").read_bytes().split(b"\0")
            args = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if marker in environ or str(data_dir) in args:
            found.append(f"{proc.name} {args[:80]}")
    return found


@pytest.mark.slow
def test_demo_in_a_terminal_shows_the_count_and_stops_clean(
    tmux: Tmux, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The demo shows the 20h41 count on screen; Ctrl-C leaves no soiree process behind."""
    data_dir = tmp_path_factory.mktemp("demo")
    env = " ".join(
        [
            f"SOIREE_DATA_DIR={data_dir}",
            "REDIS_URL=",
            f"PATH={os.environ.get('PATH', '')}",
        ]
    )
    command = f"env {env} {SOIREE} demo --speed 3000 --max-gap 1m --to 20:45 --port 0"
    tmux("new-session", "-d", "-s", "demo", "-x", "120", "-y", "40", command)
    wanted = ("58,65", "41,35", "Dépouillement", "60 %", "http://127.0.0.1:")  # count, page

    def shows_the_count() -> bool:
        screen = tmux.screen()
        return all(text in screen for text in wanted)

    try:
        assert wait_for(shows_the_count, 60), tmux.screen()
        tmux("send-keys", "-t", "demo", "C-c")
        assert wait_for(lambda: not tmux.alive(), 20), tmux.screen()
        assert wait_for(lambda: not processes_of(data_dir), 10), processes_of(data_dir)
    finally:
        # Whatever happened above, leave no embedded server of this test running.
        subprocess.run(
            [SOIREE, "redis", "--stop", "--data-dir", str(data_dir)],
            capture_output=True,
            check=False,
            timeout=30,
        )


@pytest.mark.slow
def test_demo_plays_the_presidential_night_to_its_final_result(
    tmux: Tmux, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """`soiree demo --night 2017-05-07 --speed max`: the final 66,10 / 33,90 reaches the ticker."""
    data_dir = tmp_path_factory.mktemp("demo-may7")
    env = " ".join(
        [
            f"SOIREE_DATA_DIR={data_dir}",
            "REDIS_URL=",
            f"PATH={os.environ.get('PATH', '')}",
        ]
    )
    command = f"env {env} {SOIREE} demo --night 2017-05-07 --speed max --port 0"
    tmux("new-session", "-d", "-s", "demo", "-x", "140", "-y", "50", command)
    wanted = ("7 mai 2017", "Emmanuel Macron", "66,10 %", "Marine Le Pen", "33,90 %", "définitifs")

    def shows_the_final_result() -> bool:
        screen = tmux.screen()
        return all(text in screen for text in wanted)

    try:
        assert wait_for(shows_the_final_result, 90), tmux.screen()
        tmux("send-keys", "-t", "demo", "q")
        assert wait_for(lambda: not tmux.alive(), 20), tmux.screen()
        assert wait_for(lambda: not processes_of(data_dir), 10), processes_of(data_dir)
    finally:
        subprocess.run(
            [SOIREE, "redis", "--stop", "--data-dir", str(data_dir)],
            capture_output=True,
            check=False,
            timeout=30,
        )
