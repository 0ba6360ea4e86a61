"""``soiree redis``: the embedded Redis server run in the foreground, for a process manager.

:func:`run_foreground` starts the server of a data directory attached to the terminal and
forwards SIGINT / SIGTERM to it; if another soiree command already started that server, it
follows it instead (stays in the foreground while it answers) and never stops what it did not
start.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType, TracebackType
from typing import Final

from ingest.store.embedded_layout import (
    EmbeddedPaths,
    check_appendfsync,
    embedded_paths,
    prepare,
)
from ingest.store.embedded_redis import (
    START_TIMEOUT,
    answers,
    clear_stale,
    data_dir_locked,
    running_pid,
    spawn,
    terminate,
    wait_ready,
)
from ingest.store.redis_errors import EmbeddedRedisError

__all__ = ["run_foreground"]


class _SignalForwarder:
    """Forward SIGINT and SIGTERM to a child in another session, once each time received."""

    SIGNALS: Final = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.received: int | None = None
        self._child: subprocess.Popen[bytes] | None = None
        self._previous: dict[int, object] = {}

    def attach(self, child: subprocess.Popen[bytes]) -> None:
        self._child = child
        if self.received is not None:
            child.send_signal(self.received)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received = signum
        if self._child is not None and self._child.poll() is None:
            self._child.send_signal(signum)

    def __enter__(self) -> _SignalForwarder:
        try:
            for signum in self.SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        except ValueError:
            pass  # not the main thread: the caller handles signals itself
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]


def _say(message: str) -> None:
    print(f"soiree redis: {message}", file=sys.stderr, flush=True)


def _follow(paths: EmbeddedPaths, forwarder: _SignalForwarder) -> int:
    """Stay in the foreground while the already running server answers.

    It was started by another command, which may depend on it (a demo, an ingest): on SIGINT /
    SIGTERM the follower leaves it running, and says so; ``soiree redis --stop`` stops it.
    """
    _say(
        f"a server for {paths.data_dir} already runs at {paths.url} (another command started"
        " it); following it: Ctrl-C leaves it running"
    )
    while forwarder.received is None:
        if not answers(paths.socket):
            _say("the server stopped")
            return 1
        time.sleep(0.1)
    _say("stopped following; the server keeps running (`soiree redis --stop` stops it)")
    return 0


def run_foreground(
    data_dir: Path, *, appendfsync: str = "everysec", timeout: float = START_TIMEOUT
) -> int:
    """Run the embedded server of ``data_dir`` in the foreground (``soiree redis``).

    Returns redis-server's exit code (0 after SIGINT / SIGTERM, which are forwarded to it, also
    when one lands while it starts, before it handles them itself).
    If another soiree command already started the server of that data directory, it is not
    started twice: this command follows it instead (it stays in the foreground while the
    server runs), so that a process manager such as honcho sees one long-running ``redis``
    process whichever process came first. A follower never stops what it did not start: on
    SIGINT / SIGTERM it exits 0 and leaves the server running, saying so.
    """
    policy = check_appendfsync(appendfsync)
    paths = prepare(embedded_paths(data_dir))
    with _SignalForwarder() as forwarder:
        with data_dir_locked(paths.lock):
            already = answers(paths.socket) or running_pid(paths) is not None
            if not already:
                clear_stale(paths)
                child = spawn(paths, policy, foreground=True)
                forwarder.attach(child)
                try:
                    wait_ready(paths, timeout=timeout, child=child, quote_log=False)
                except EmbeddedRedisError:
                    if forwarder.received is None:
                        terminate(child)
                        raise
        if already:
            return _follow(paths, forwarder)
        if child.poll() is None:
            _say(f"serving {paths.data_dir} at {paths.url} (Ctrl-C to stop)")
        returncode = child.wait()
    if forwarder.received is not None and returncode == -forwarder.received:
        return 0  # stopped as asked, before redis-server had its own handler: a clean stop
    return returncode if returncode >= 0 else 128 - returncode
