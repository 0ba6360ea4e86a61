"""The ``soiree`` executable's entry point: stop signals are taken before anything is imported.

Importing the command line (:mod:`ingest.cli`: argparse, asyncio, the entry points) takes a
tenth of a second, more under load; a SIGTERM or Ctrl-C landing then would kill the process by
the signal (status -15) or print a ``KeyboardInterrupt`` traceback. So this module, which
imports only ``os``, ``sys`` and ``_signal`` (loaded in a millisecond), takes both signals first:
until the command line's own stop handling (:func:`ingest.runtime.aio.stop_handling`) takes
over, a stop signal ends the process at once with status 0, having started nothing. Once the
command has returned, one ends it at once with the command's own status (it was ending anyway:
the signal neither changes the status nor turns into a traceback at exit), and in Python's last
step, the finalization of modules (0.2-0.6 s under load), one is ignored.

What is left is Python's own start-up, before this module runs (a few tens of milliseconds):
the signal's default action applies there, and nothing has started.
"""

from __future__ import annotations

# signal's C core, already loaded: `signal` builds enums, tens of milliseconds under load.
import _signal  # type: ignore[import-not-found]  # no stub: its calls are signal's own
import atexit
import os
import sys

TYPE_CHECKING = False  # typing takes tens of milliseconds to import; mypy knows this name
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import FrameType

__all__ = ["main"]

STOP_SIGNALS = (_signal.SIGTERM, _signal.SIGINT)


def _exit_at_once(status: int) -> Callable[[int, FrameType | None], None]:
    """A signal handler ending the process now with ``status``, its output flushed."""

    def handler(signum: int, frame: FrameType | None) -> None:
        for stream in (sys.stdout, sys.stderr):
            try:  # noqa: SIM105 - contextlib costs milliseconds to import, unprotected
                stream.flush()
            except (OSError, ValueError, RuntimeError):  # closed, or a write under way
                pass
        os._exit(status)

    return handler


def _on_stop(handler: Callable[[int, FrameType | None], None]) -> None:
    for signum in STOP_SIGNALS:
        _signal.signal(signum, handler)


def _ignore_stop_signals() -> None:
    """Python's finalization (after the last ``atexit`` function) puts the default action
    back for signals with a Python handler: a signal would then kill the process. It is ending
    with its status already set; ignored, the signal cannot change it."""
    for signum in STOP_SIGNALS:
        _signal.signal(signum, _signal.SIG_IGN)


def main() -> int:
    """Run ``soiree`` with stop signals handled from the first line to the last."""
    _on_stop(_exit_at_once(0))
    atexit.register(_ignore_stop_signals)  # the first registered: it runs last
    status = 1
    try:
        from ingest.cli import main as command_line  # noqa: PLC0415 - after the handlers

        status = command_line()
    except SystemExit as exiting:  # --help, --version, a usage error
        code = exiting.code
        status = code if isinstance(code, int) else 0 if code is None else 1
        raise
    finally:
        _on_stop(_exit_at_once(status))
    return status
