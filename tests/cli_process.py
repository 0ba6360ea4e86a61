"""Run ``soiree`` as a user does: a real process, its output read, its signals real.

``soiree(*args)`` runs a command to its end; ``SoireeProcess`` starts a long-running one, reads
its stderr line by line (``wait_for_line``) and stops it with a signal. Both run the installed
entry point's ``main`` with this interpreter, so that they test the checkout.
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Final

from tests.conftest import TIMEOUT_FACTOR

__all__ = ["MAIN", "SoireeProcess", "soiree", "soiree_env"]

#: ``python -c MAIN args...`` runs ``soiree args...``.
MAIN: Final = "import sys; from ingest.launch import main; sys.exit(main())"


def soiree_env(data_dir: Path | None = None, **extra: str) -> dict[str, str]:
    """The environment of a soiree process: no outside Redis, no token, a data dir of its own."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("SOIREE_") and name not in ("REDIS_URL", "PORT")
    }
    env["SOIREE_TEST_TIMEOUT_FACTOR"] = str(TIMEOUT_FACTOR)
    if data_dir is not None:
        env["SOIREE_DATA_DIR"] = str(data_dir)
    env.update(extra)
    return env


def soiree(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    """Run ``soiree args...`` to its end; its status, stdout and stderr."""
    return subprocess.run(
        [sys.executable, "-c", MAIN, *args],
        capture_output=True,
        text=True,
        env=dict(env) if env is not None else soiree_env(),
        stdin=subprocess.DEVNULL,
        timeout=timeout * TIMEOUT_FACTOR,
        check=False,
    )


class SoireeProcess:
    """A long-running ``soiree`` command: its stderr read as it comes, stopped by a signal."""

    @staticmethod
    def command(*args: str) -> list[str]:
        """The command line that runs ``soiree args...``."""
        return [sys.executable, "-c", MAIN, *args]

    def __init__(self, *args: str, env: Mapping[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            self.command(*args),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env) if env is not None else soiree_env(),
        )
        self.stderr = ""

    def wait_for_line(self, pattern: str, timeout: float = 30.0) -> re.Match[str]:
        """The first match of ``pattern`` in stderr, read as it comes; fails after ``timeout``."""
        deadline = time.monotonic() + timeout * TIMEOUT_FACTOR
        stream = self.process.stderr
        assert stream is not None
        while True:
            found = re.search(pattern, self.stderr)
            if found:
                return found
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {pattern!r} in stderr: {self.stderr!r}")
            if _readable(stream, min(left, 0.2)):
                chunk = os.read(stream.fileno(), 65536).decode(errors="replace")
                if not chunk:  # end of file: the process is gone
                    raise AssertionError(
                        f"exited ({self.process.wait()}) without {pattern!r}: {self.stderr!r}"
                    )
                self.stderr += chunk

    def stop(self, signum: int = signal.SIGINT, timeout: float = 20.0) -> int:
        """Send ``signum`` and wait for the exit status (killed, and failing, after timeout)."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            status = self.process.wait(timeout * TIMEOUT_FACTOR)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"still running {timeout} s after signal {signum}") from None
        assert self.process.stderr is not None
        self.stderr += self.process.stderr.read().decode(errors="replace")
        return status

    def close(self) -> None:
        """Kill it if it still runs (the end of a test, whatever happened)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


def _readable(stream: IO[bytes], timeout: float) -> bool:
    ready, _, _ = select.select([stream], [], [], timeout)
    return bool(ready)
