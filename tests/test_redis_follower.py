"""`soiree redis` following a server it did not start never stops it; the demo's ticker comes
back when Redis does."""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import signal
import struct
import termios
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.store.embedded_redis import embedded_running, stop_embedded
from tests.cli_process import SoireeProcess, soiree, soiree_env
from tests.conftest import TIMEOUT_FACTOR
from tests.test_ticker_command import PtyOutput


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data directory of the test's own; its embedded server is stopped at the end."""
    directory = tmp_path / "data"
    yield directory
    stop_embedded(directory)


def test_a_follower_leaves_running_the_server_another_command_started(data_dir: Path) -> None:
    """Ctrl-C on a following `soiree redis` exits 0, says so, and the server still answers."""
    env = soiree_env(data_dir)
    started = soiree("redis", "--url", env=env)  # another command starts it, in the background
    assert started.returncode == 0, started.stderr
    follower = SoireeProcess("redis", env=env)
    try:
        follower.wait_for_line(r"following it")
        assert follower.stop(signal.SIGINT) == 0
    finally:
        follower.close()
    assert "keeps running" in follower.stderr
    assert embedded_running(data_dir)


class Screen(PtyOutput):
    """A pseudo-terminal's output, waited on from a given offset."""

    async def after(self, needle: str, offset: int = 0, *, within: float = 30.0) -> int:
        """Wait until ``needle`` is written after ``offset``; return where it ends."""
        async with asyncio.timeout(within * TIMEOUT_FACTOR):
            while (found := self.text.find(needle, offset)) < 0:
                self._changed.clear()
                await self._changed.wait()
        return found + len(needle)


async def _run(*args: str, env: dict[str, str]) -> int:
    process = await asyncio.to_thread(soiree, *args, env=env)
    return process.returncode


@pytest.mark.slow
async def test_the_demo_survives_a_follower_and_comes_back_after_a_redis_restart(
    data_dir: Path,
) -> None:
    """A follower's Ctrl-C leaves the demo live; Redis stopped then restarted, it shows the
    night again (live, the clock moving)."""
    env = soiree_env(data_dir, TERM="xterm-256color", NO_COLOR="")
    env.pop("COLUMNS", None)
    main, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    demo = await asyncio.create_subprocess_exec(
        *SoireeProcess.command("demo", "--port", "0", "--speed", "600"),
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=env,
        start_new_session=True,
    )
    os.close(secondary)
    screen = Screen(main)
    try:
        await screen.after("EN DIRECT")
        follower = SoireeProcess("redis", env=soiree_env(data_dir))
        try:
            await asyncio.to_thread(follower.wait_for_line, r"following it")
            assert await asyncio.to_thread(follower.stop, signal.SIGINT) == 0
        finally:
            follower.close()
        assert embedded_running(data_dir)
        mark = len(screen.text)
        await screen.after("EN DIRECT", mark)
        assert "injoignable" not in screen.text[mark:]

        assert await _run("redis", "--stop", env=soiree_env(data_dir)) == 0
        down = await screen.after("Redis injoignable", mark)
        assert await _run("redis", "--url", env=soiree_env(data_dir)) == 0
        back = await screen.after("EN DIRECT", down)
        await screen.after("EN DIRECT", back)  # and it goes on refreshing
        os.write(main, b"q")
        async with asyncio.timeout(20 * TIMEOUT_FACTOR):
            assert await demo.wait() == 0
    finally:
        if demo.returncode is None:
            demo.kill()
            await demo.wait()
        screen.close()
    assert "Traceback" not in screen.text
