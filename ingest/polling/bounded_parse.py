"""Parsing a fetched document with bounded work: a time limit, in a process that can be killed.

A document under the size cap can still cost minutes to parse: HTML nested 100,000 deep (1 MB)
makes lexbor's tree building quadratic (40 s), and so does a feed whose description holds
200,000 nested elements (4.6 MB). A thread cannot be stopped, so such a parse used to outlive
its poll and hold a shutdown for minutes. Hence two paths, chosen by :func:`parses_inline`:

- a document that is small and holds little markup (at most :data:`INLINE_MAX_BYTES` and
  :data:`INLINE_MAX_MARKUP` ``<`` and ``&``; every source of the bundled night) is parsed on the
  event loop: it cannot nest deeper than its markup, so its parse is bounded, and a process hop
  would only add to the detection latency;
- any other is parsed in a worker process (:class:`ParseWorkers`, at most :data:`DEFAULT_WORKERS`
  per ingest process, started on first need and reused), given the source's ``parse_timeout``.
  Past it, or when the poll is cancelled (a shutdown), the worker is killed (SIGKILL) at once:
  the poll fails with :class:`ParseLimitError` (``parse_error`` in the source's health, saying
  why), and a shutdown never waits for a parse.

Waiting for a free worker is not counted in the time limit. The worker is this package's own
code (``python -m ingest.polling.bounded_parse``), talking over its stdin and stdout with pickled
calls of module-level functions; it dies with its parent (``PR_SET_PDEATHSIG`` on Linux, and the end
of its stdin everywhere).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import pickle
import signal
import subprocess
import sys
import threading
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, Final, TypeVar

__all__ = [
    "DEFAULT_WORKERS",
    "INLINE_MAX_BYTES",
    "INLINE_MAX_MARKUP",
    "ParseLimitError",
    "ParseWorkers",
    "parse_bounded",
    "parses_inline",
    "shared_workers",
]

#: Documents larger than this are parsed in a worker process.
INLINE_MAX_BYTES: Final = 256 * 1024
#: Documents with more ``<`` and ``&`` than this (markup, escaped markup in a feed) too: no
#: document under it nests deep enough to cost more than a few milliseconds.
INLINE_MAX_MARKUP: Final = 4096
#: Worker processes per ingest process (parses of large documents at once; others wait).
DEFAULT_WORKERS: Final = 2
#: Seconds a new worker has to import the parsers and say it is ready.
WORKER_START_TIMEOUT: Final = 30.0
# The preamble of every message between parent and worker: the pickle's length.
_LENGTH_BYTES: Final = 8
_READY: Final = b"R"
_PACKAGE_ROOT: Final = Path(__file__).resolve().parent.parent

_T = TypeVar("_T")


class ParseLimitError(ValueError):
    """A parse went past its time limit, or its worker process died: the poll's parse_error."""


def parses_inline(body: bytes) -> bool:
    """Whether ``body`` is small and plain enough to parse on the event loop (bounded work)."""
    return (
        len(body) <= INLINE_MAX_BYTES and body.count(b"<") + body.count(b"&") <= INLINE_MAX_MARKUP
    )


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "still running"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
        return f"killed by signal {-code}"
    return f"exit status {code}"


class _Worker:
    """One worker process and the blocking exchange with it (run in a thread)."""

    def __init__(self, preload: Sequence[str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ingest.polling.bounded_parse", str(os.getpid()), *preload],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            # Started from the directory holding this package, so that it imports this very
            # package (not one of the same name in the current directory).
            cwd=_PACKAGE_ROOT,
            # Its own session: a Ctrl-C at the terminal is the parent's to handle, not the
            # worker's (it would print a KeyboardInterrupt in the middle of a parse).
            start_new_session=True,
        )
        self._ready = False

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def _pipes(self) -> tuple[IO[bytes], IO[bytes]]:
        stdin, stdout = self.process.stdin, self.process.stdout
        if stdin is None or stdout is None:  # never: both are pipes
            raise ParseLimitError("the parser process has no pipes")
        return stdin, stdout

    def wait_ready(self) -> None:
        """Block until the worker has imported what it preloads (it writes one byte)."""
        if self._ready:
            return
        _, stdout = self._pipes()
        if stdout.read(1) != _READY:
            raise ParseLimitError(
                f"the parser process did not start ({_describe_exit(self.process.wait())})"
            )
        self._ready = True

    def exchange(self, request: bytes) -> bytes:
        """Send one pickled call, block until its pickled answer (ParseLimitError on EOF)."""
        stdin, stdout = self._pipes()
        try:
            stdin.write(len(request).to_bytes(_LENGTH_BYTES, "big") + request)
            stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            raise self._died() from None
        header = stdout.read(_LENGTH_BYTES)
        if len(header) < _LENGTH_BYTES:
            raise self._died()
        size = int.from_bytes(header, "big")
        answer = stdout.read(size)
        if len(answer) < size:
            raise self._died()
        return answer

    def call(self, request: bytes) -> tuple[bool, Any]:
        """:meth:`exchange`, and the answer unpickled: (True, value) or (False, exception)."""
        answer: tuple[bool, Any] = pickle.loads(self.exchange(request))  # noqa: S301 (our worker)
        return answer

    def _died(self) -> ParseLimitError:
        try:
            code = self.process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            code = None
        return ParseLimitError(f"the parser process ended ({_describe_exit(code)})")

    def kill(self) -> None:
        """Kill the worker now (it may be in the middle of a parse); never raises.

        A thread blocked reading its answer then reads the end of the pipe and returns.
        """
        with contextlib.suppress(OSError):
            self.process.kill()

    def reap(self) -> None:
        """Collect the killed process's exit status (no zombie left), then close its pipes."""
        with contextlib.suppress(subprocess.TimeoutExpired, OSError):
            self.process.wait(timeout=5.0)
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError, ValueError):
                    pipe.close()


def _kill_all(workers: list[_Worker]) -> None:
    for worker in workers:
        worker.kill()
    for worker in workers:
        worker.reap()
    workers.clear()


class ParseWorkers:
    """Up to ``size`` worker processes, each running one call at a time, killable at any time.

    Belongs to one event loop (:func:`shared_workers` gives each loop its own). Workers start on
    first need, stay for the next calls, and are killed by :meth:`close`, when the pool is
    garbage-collected, or at interpreter exit.
    """

    def __init__(
        self,
        *,
        size: int = DEFAULT_WORKERS,
        preload: Sequence[str] = ("ingest.sources.parsed_document",),
    ) -> None:
        if size < 1:
            raise ValueError("size must be at least 1")
        self._slots = asyncio.Semaphore(size)
        self._preload = tuple(preload)
        self._idle: list[_Worker] = []
        #: Every worker alive, idle or busy: what :meth:`close` and the finalizer kill.
        self._all: list[_Worker] = []
        self._closed = False
        self._finalizer = weakref.finalize(self, _kill_all, self._all)

    @property
    def processes(self) -> list[int]:
        """The pids of the worker processes alive (idle or busy)."""
        return [worker.process.pid for worker in self._all if worker.alive]

    async def call(
        self, function: Callable[..., _T], *args: Any, time_limit: float, **kwargs: Any
    ) -> _T:
        """``function(*args, **kwargs)`` in a worker, within ``time_limit`` seconds.

        ``function`` must be a module-level function and its arguments and result picklable.
        What it raises is raised here. Past ``time_limit``, or if this call is cancelled, the
        worker is killed at once; a timeout or a worker dying raises :class:`ParseLimitError`.
        """
        if self._closed:
            raise RuntimeError("the parse workers are closed")
        request = pickle.dumps((function, args, kwargs), protocol=pickle.HIGHEST_PROTOCOL)
        async with self._slots:
            worker = await self._take()
            try:
                async with asyncio.timeout(time_limit):
                    # Unpickled in the thread too: 20,000 updates take 0.25 s, off the loop.
                    ok, value = await asyncio.to_thread(worker.call, request)
            except TimeoutError:
                self._discard(worker)
                raise ParseLimitError(
                    f"parsing took longer than {time_limit:g} s (parse_timeout): given up, the"
                    " parser stopped; a document this costly is hostile or broken"
                ) from None
            except BaseException:
                # Cancelled (a shutdown), or the worker died: it is in an unknown state.
                self._discard(worker)
                raise
            self._idle.append(worker)
        if not ok:
            raise value
        result: _T = value
        return result

    async def _take(self) -> _Worker:
        """An idle worker, or a new one once it is ready (not counted in a call's limit)."""
        while self._idle:
            worker = self._idle.pop()
            if worker.alive:
                return worker
            self._discard(worker)
        try:
            worker = _Worker(self._preload)
        except OSError as error:  # out of processes or files: this poll's parse fails, not more
            raise ParseLimitError(f"cannot start a parser process: {error}") from None
        self._all.append(worker)
        try:
            async with asyncio.timeout(WORKER_START_TIMEOUT):
                await asyncio.to_thread(worker.wait_ready)
        except TimeoutError:
            self._discard(worker)
            raise ParseLimitError(
                f"the parser process did not start within {WORKER_START_TIMEOUT:g} s"
            ) from None
        except BaseException:
            self._discard(worker)
            raise
        return worker

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        # Reaped off the loop: a killed process ends within milliseconds, but never block.
        threading.Thread(target=worker.reap, name="soiree-parse-reap", daemon=True).start()
        with contextlib.suppress(ValueError):
            self._all.remove(worker)

    def close(self) -> None:
        """Kill every worker (busy ones too); later calls raise RuntimeError."""
        self._closed = True
        self._idle.clear()
        self._finalizer()


_SHARED: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ParseWorkers] = (
    weakref.WeakKeyDictionary()
)


def shared_workers() -> ParseWorkers:
    """The running loop's pool of parse workers (created on first use)."""
    loop = asyncio.get_running_loop()
    workers = _SHARED.get(loop)
    if workers is None:
        workers = _SHARED[loop] = ParseWorkers()
    return workers


async def parse_bounded(
    function: Callable[..., _T],
    body: bytes,
    *args: Any,
    time_limit: float,
    workers: ParseWorkers | None = None,
    **kwargs: Any,
) -> _T:
    """``function(*args, **kwargs)``, the parse of ``body``: inline when :func:`parses_inline`,
    else in a worker within ``time_limit`` seconds (``workers``, default :func:`shared_workers`).

    A parser that runs out of stack (``RecursionError``) is a :class:`ParseLimitError` too.
    """
    try:
        if parses_inline(body):
            return function(*args, **kwargs)
        pool = workers or shared_workers()
        return await pool.call(function, *args, time_limit=time_limit, **kwargs)
    except RecursionError:
        raise ParseLimitError("the document nests deeper than the parser can follow") from None


# -- the worker process -----------------------------------------------------------------------


def _die_with_parent(parent: int) -> None:
    """Have the kernel kill this process when its parent dies (Linux), and check it still lives."""
    if sys.platform.startswith("linux"):
        import ctypes  # noqa: PLC0415 (the worker only)

        with contextlib.suppress(OSError, AttributeError):
            pr_set_pdeathsig = 1
            ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(0)


def _answer(
    function: Callable[..., object], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> bytes:
    try:
        answer: tuple[bool, object] = (True, function(*args, **kwargs))
    except Exception as error:  # noqa: BLE001 (the caller re-raises it)
        answer = (False, error)
    try:
        return pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception as error:  # noqa: BLE001 (one that does not pickle: its words go back)
        return pickle.dumps((False, RuntimeError(f"{answer[1]!r} ({error})")))


def _serve(stdin: IO[bytes], stdout: IO[bytes]) -> None:
    """Answer pickled calls until stdin ends."""
    while True:
        header = stdin.read(_LENGTH_BYTES)
        if len(header) < _LENGTH_BYTES:
            return
        request = stdin.read(int.from_bytes(header, "big"))
        function, args, kwargs = pickle.loads(request)  # noqa: S301 (from our own parent)
        answer = _answer(function, args, kwargs)
        stdout.write(len(answer).to_bytes(_LENGTH_BYTES, "big") + answer)
        stdout.flush()


def _worker_main(argv: Sequence[str]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(int(argv[0]))
    # The answers get a descriptor of their own; whatever a parser might print goes to stderr.
    stdout = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    for module in argv[1:]:
        importlib.import_module(module)
    stdout.write(_READY)
    stdout.flush()
    _serve(sys.stdin.buffer, stdout)


if __name__ == "__main__":
    _worker_main(sys.argv[1:])
