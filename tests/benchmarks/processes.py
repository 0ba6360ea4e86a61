"""The fan-out benchmark's child processes, and what ``/proc`` says about them.

- :class:`Child`: a child process started with pipes, whose stdout (or stderr) lines are read
  asynchronously; used for the servers and the load generators.
- :func:`cpu_seconds`, :func:`rss_bytes`: a process's CPU time (user + system) and resident
  memory, from ``/proc/<pid>/stat`` and ``/proc/<pid>/status`` (Linux).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

__all__ = [
    "Child",
    "cpu_seconds",
    "machine_busy_seconds",
    "python_command",
    "rss_bytes",
    "soiree_command",
]

_CLOCK_TICKS: Final = os.sysconf("SC_CLK_TCK")
_STOP_TIMEOUT: Final = 10.0


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) the process ``pid`` has used so far, in seconds.

    The sum of its threads' run time in ``/proc/<pid>/task/*/schedstat`` (nanoseconds), else
    ``utime + stime`` of ``/proc/<pid>/stat`` (clock ticks: 10 ms steps).
    """
    total = 0
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(FileNotFoundError):  # a thread that just ended
                total += int((task / "schedstat").read_text(encoding="ascii").split()[0])
    except OSError:
        total = 0
    if total:
        return total / 1e9
    stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    # The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def machine_busy_seconds() -> float:
    """CPU time every core of the machine has spent busy so far (``/proc/stat``), in seconds."""
    with Path("/proc/stat").open(encoding="ascii") as stat:
        fields = stat.readline().split()
    # cpu  user nice system idle iowait irq softirq steal ...: everything but idle and iowait.
    busy = sum(int(value) for value in fields[1:4]) + sum(int(value) for value in fields[6:9])
    return busy / _CLOCK_TICKS


def rss_bytes(pid: int) -> int:
    """Resident memory (``VmRSS``) of the process ``pid``, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}: is it gone?")


def python_command(module: str, *args: str) -> list[str]:
    """``python -m module args...`` with this interpreter."""
    return [sys.executable, "-m", module, *args]


def soiree_command(*args: str) -> list[str]:
    """The ``soiree`` command line of this environment (its script, else ``ingest.cli``)."""
    script = Path(sys.executable).with_name("soiree")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script), *args]
    code = "import sys; from ingest.cli import main; sys.exit(main())"
    return [sys.executable, "-c", code, *args]


class Child:
    """A child process with pipes: commands in on stdin, JSON or text lines out.

    ``lines_from`` is the stream its lines are read from (``"stdout"`` or ``"stderr"``); the
    other one goes to this process's stderr.
    """

    def __init__(self, process: asyncio.subprocess.Process, *, lines_from: str) -> None:
        self.process = process
        self.pid = process.pid
        stream = process.stdout if lines_from == "stdout" else process.stderr
        assert stream is not None
        self._lines = stream
        self._drain: asyncio.Task[None] | None = None
        #: The last lines read by :meth:`keep_draining` (what it said before failing).
        self.tail: list[str] = []

    @classmethod
    async def start(
        cls,
        command: Sequence[str],
        *,
        lines_from: str = "stdout",
        env: Mapping[str, str] | None = None,
    ) -> Child:
        """Start ``command`` (with ``env`` added to this process's environment)."""
        pipe = asyncio.subprocess.PIPE
        process = await asyncio.create_subprocess_exec(
            *command,
            env=None if env is None else {**os.environ, **env},
            stdin=pipe,
            stdout=pipe if lines_from == "stdout" else subprocess.DEVNULL,
            stderr=pipe if lines_from == "stderr" else None,
            limit=16 << 20,
        )
        return cls(process, lines_from=lines_from)

    async def line(self, within: float) -> str:
        """The next line it prints (without the newline) within ``within`` seconds."""
        async with asyncio.timeout(within):
            raw = await self._lines.readline()
        if not raw:
            code = await self.process.wait()
            raise RuntimeError(f"child {self.pid} exited ({code}) before saying anything more")
        return raw.decode().rstrip("\n")

    async def message(self, within: float) -> dict[str, Any]:
        """The next line it prints, as a JSON object."""
        data = json.loads(await self.line(within))
        if not isinstance(data, dict):
            raise TypeError(f"child {self.pid}: expected a JSON object, got {data!r}")
        return data

    def keep_draining(self) -> None:
        """From now on, read and keep only the last lines it prints (a full pipe would block it)."""

        async def drain() -> None:
            while raw := await self._lines.readline():
                self.tail = [*self.tail[-19:], raw.decode(errors="replace").rstrip()]

        if self._drain is None:
            self._drain = asyncio.create_task(drain())

    async def send(self, command: dict[str, Any]) -> None:
        """Write one JSON command line to its stdin."""
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(json.dumps(command).encode() + b"\n")
        await stdin.drain()

    def cpu(self) -> float:
        """Its CPU time so far (seconds)."""
        return cpu_seconds(self.pid)

    def rss(self) -> int:
        """Its resident memory now (bytes)."""
        return rss_bytes(self.pid)

    async def stop(self, *, sig: int = signal.SIGTERM) -> None:
        """Signal it, wait for it (kill it after a while); never raises if it is gone."""
        process = self.process
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(sig)
            try:
                async with asyncio.timeout(_STOP_TIMEOUT):
                    await process.wait()
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        if self._drain is not None:
            with contextlib.suppress(Exception):
                await self._drain
