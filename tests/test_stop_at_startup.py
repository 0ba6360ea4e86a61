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
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import TIMEOUT_FACTOR

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


@pytest.mark.slow
@pytest.mark.parametrize("moment", list(MOMENTS))
def test_sigterm_during_demo_startup_exits_0_and_stops_its_redis(
    tmp_path: Path, moment: str
) -> None:
    """SIGTERM at this start-up moment: the demo exits 0 and its embedded Redis is gone."""
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
        demo.send_signal(signal.SIGTERM)
        try:
            status = demo.wait(timeout=30 * TIMEOUT_FACTOR)
        except subprocess.TimeoutExpired:
            pytest.fail(
                f"still running after SIGTERM at {moment!r}:\n{log.read_text(errors='replace')}"
            )
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
