"""``soiree serve --workers N``: N broadcaster processes sharing one port (``SO_REUSEPORT``).

The parent (this module) reserves the port first: a socket bound *without* ``SO_REUSEPORT`` (so
that a port anybody holds, another soiree's group included, is refused as today), which is then
given ``SO_REUSEPORT`` and kept open, never listening. ``--port 0`` thus picks one port, for
every worker and every restart. It then starts N workers (multiprocessing's *spawn*): each is a
whole ``soiree serve`` (its own Redis reader, its own clients) listening on that port with
``SO_REUSEPORT``; the kernel spreads new connections over the listening sockets. The parent
prints one address line once every worker listens, forwards SIGTERM/SIGINT (stop, status 0)
and SIGHUP (tokens read again) to them, and waits.

A worker that dies unexpectedly is started again, with one line on stderr; a worker that cannot
start (at the outset or when started again), or more than :data:`MAX_RESTARTS` restarts within
:data:`RESTART_WINDOW` seconds, ends the command with one line and status 1. A worker never
outlives the parent: it asks the kernel for SIGTERM when the parent dies (``PR_SET_PDEATHSIG``
on Linux) and also checks its parent's pid every second.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import multiprocessing
import os
import signal
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Final

from ingest.model.errors import CommandError
from ingest.runtime.aio import call_on_signals, stop_on_signals

__all__ = [
    "MAX_RESTARTS",
    "RESTART_WINDOW",
    "WORKERS_MAX",
    "WorkerSide",
    "die_with_parent",
    "parse_workers",
    "reserve_port",
    "supervise",
    "usable_cores",
]

WORKERS_MAX: Final = 64
#: How long a worker may take to listen (spawn, imports, Redis) before the command gives up.
START_TIMEOUT: Final = 60.0
#: How long the workers have to close their clients (1001) on a stop before being killed.
STOP_GRACE: Final = 15.0
MAX_RESTARTS: Final = 5
RESTART_WINDOW: Final = 60.0
_PR_SET_PDEATHSIG: Final = 1


def usable_cores() -> int:
    """The cores this process may run on (its affinity), else the machine's."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def parse_workers(raw: str) -> int:
    """``--workers``: a number within 1-64, or ``auto`` (the usable cores)."""
    text = raw.strip().lower()
    if text == "auto":
        return max(1, min(usable_cores(), WORKERS_MAX))
    try:
        count = int(text, 10)
    except ValueError:
        count = 0
    if not 1 <= count <= WORKERS_MAX:
        raise CommandError(f"--workers must be within 1-{WORKERS_MAX} or auto, got {raw!r}")
    return count


def reserve_port(host: str, port: int) -> socket.socket:
    """A socket holding ``host:port`` for the workers (bound, not listening; see the module)."""
    if not hasattr(socket, "SO_REUSEPORT"):
        raise CommandError(
            "--workers needs SO_REUSEPORT, which this system lacks: run one soiree serve per"
            " port behind a load balancer instead (docs/deploy.md)"
        )
    where = f"{host}:{port}"
    try:
        found = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except socket.gaierror as error:
        raise CommandError(f"cannot listen on {where}: {error.strerror}") from None
    family, kind, proto, _, address = found[0]
    reserved = socket.socket(family, kind, proto)
    try:
        reserved.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        reserved.bind(address)
        reserved.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    except OSError as error:
        reserved.close()
        raise CommandError(f"cannot listen on {where}: {error.strerror}") from None
    return reserved


def die_with_parent(parent_pid: int) -> None:
    """In a worker: SIGTERM to itself when the parent dies (prctl, and a watch of the ppid)."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="soiree-parent-watch", daemon=True).start()


@dataclass
class WorkerSide:
    """A worker's end of its link to the parent: it says once that it listens, or why not."""

    index: int
    link: Connection
    said: bool = False

    def ready(self, lines: list[str]) -> None:
        """The worker listens; ``lines``: its address line, any warning (the parent prints)."""
        self._say("ready", "\n".join(lines))

    def failed(self, why: str) -> None:
        """The worker cannot serve: ``why`` in one line (stderr if the parent is not listening)."""
        if not self._say("error", why):
            print(f"soiree serve: worker {self.index}: error: {why}", file=sys.stderr, flush=True)

    def _say(self, kind: str, text: str) -> bool:
        if self.said:
            return False
        self.said = True
        try:
            self.link.send((kind, text))
        except OSError:
            return False
        finally:
            self.link.close()
        return True


#: What a worker runs: ``target(*args, index, link)`` in the new process.
WorkerTarget = Callable[..., None]


@dataclass
class _Pool:
    target: WorkerTarget
    args: tuple[Any, ...]
    stop: asyncio.Event
    workers: dict[int, BaseProcess] = field(default_factory=dict)
    restarts: deque[float] = field(default_factory=deque)
    context: Any = field(default_factory=lambda: multiprocessing.get_context("spawn"))

    async def start(self, index: int) -> str:
        """Start worker ``index``; its address line once it listens (raises if it cannot)."""
        ours, theirs = self.context.Pipe(duplex=False)
        process: BaseProcess = self.context.Process(
            target=self.target,
            args=(*self.args, index, theirs),
            name=f"soiree-serve-worker-{index}",
            daemon=True,
        )
        process.start()
        theirs.close()
        self.workers[index] = process
        try:
            await _readable([ours.fileno(), process.sentinel], self.stop, START_TIMEOUT)
            message: tuple[str, str] | None = None
            with contextlib.suppress(EOFError, OSError):
                if ours.poll():
                    message = ours.recv()
        finally:
            ours.close()
        if message is not None and message[0] == "ready":
            return message[1]
        if self.stop.is_set():
            return ""
        if message is not None:
            raise CommandError(f"worker {index}: {message[1]}")
        if process.is_alive():
            raise CommandError(f"worker {index} did not listen within {START_TIMEOUT:.0f} s")
        process.join()
        raise CommandError(f"worker {index} did not start ({_how_it_ended(process)})")

    async def restart_dead(self) -> None:
        """Start again every worker that has died (one line each)."""
        for index, process in list(self.workers.items()):
            if process.is_alive() or self.stop.is_set():
                continue
            process.join()
            now = time.monotonic()
            self.restarts.append(now)
            while self.restarts and self.restarts[0] < now - RESTART_WINDOW:
                self.restarts.popleft()
            if len(self.restarts) > MAX_RESTARTS:
                raise CommandError(
                    f"workers died {len(self.restarts)} times within {RESTART_WINDOW:.0f} s"
                    f" (the last: worker {index}, {_how_it_ended(process)}); stopping"
                )
            print(
                f"soiree serve: worker {index} (pid {process.pid}) {_how_it_ended(process)};"
                " starting it again",
                file=sys.stderr,
                flush=True,
            )
            await self.start(index)

    def signal_all(self, signum: int) -> None:
        """Send ``signum`` to every live worker."""
        for process in self.workers.values():
            if process.is_alive() and process.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signum)

    async def stop_all(self) -> None:
        """SIGTERM every worker, wait :data:`STOP_GRACE` at most, then SIGKILL what is left."""
        self.signal_all(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        never = asyncio.Event()
        while (alive := [p for p in self.workers.values() if p.is_alive()]) and (
            left := deadline - time.monotonic()
        ) > 0:
            await _readable([p.sentinel for p in alive], never, left)
        self.signal_all(signal.SIGKILL)
        for process in self.workers.values():
            process.join()


def _how_it_ended(process: BaseProcess) -> str:
    code = process.exitcode
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-code).name}"
    return f"exited with status {code}"


async def _readable(fds: Iterable[int], stop: asyncio.Event, within: float | None) -> None:
    """Wait until one of ``fds`` is readable, ``stop`` is set, or ``within`` seconds pass."""
    loop = asyncio.get_running_loop()
    woke = asyncio.Event()
    watched = list(fds)
    for fd in watched:
        loop.add_reader(fd, woke.set)
    waits = [asyncio.ensure_future(woke.wait()), asyncio.ensure_future(stop.wait())]
    try:
        await asyncio.wait(waits, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
        for fd in watched:
            loop.remove_reader(fd)


async def supervise(target: WorkerTarget, args: tuple[Any, ...], count: int) -> None:
    """Run ``count`` workers (``target(*args, index, link)``) until SIGTERM/SIGINT."""
    async with stop_on_signals() as stop:
        pool = _Pool(target, args, stop)
        try:
            with call_on_signals([signal.SIGHUP], pool.signal_all):  # passed on to workers
                lines = [await pool.start(index) for index in range(count)]
                if stop.is_set():
                    return
                address, *warnings = lines[0].split("\n")
                print(f"{address} - {count} workers", *warnings, sep="\n", file=sys.stderr)
                sys.stderr.flush()
                while not stop.is_set():
                    sentinels = [process.sentinel for process in pool.workers.values()]
                    await _readable(sentinels, stop, None)
                    await pool.restart_dead()
        finally:
            await pool.stop_all()
