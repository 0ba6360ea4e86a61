"""Single key presses from the terminal, for a live ticker (``p`` pause, ``q`` quit).

While :func:`read_keys` is open, the terminal is in cbreak mode (each key is delivered at once,
without echo; Ctrl-C still interrupts) and every key pressed is passed to ``on_key`` from the
event loop (``loop.add_reader``: no thread, no polling). The terminal's settings are restored on
exit, whatever happens. Without a terminal on stdin (a pipe, a service), it does nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import TextIO

__all__ = ["read_keys"]


@contextlib.contextmanager
def read_keys(
    loop: asyncio.AbstractEventLoop, on_key: Callable[[str], None], *, stdin: TextIO | None = None
) -> Iterator[bool]:
    """Deliver key presses to ``on_key`` while open; yield whether keys can be read at all."""
    stream = stdin if stdin is not None else sys.stdin
    try:
        import termios  # noqa: PLC0415 - POSIX only
        import tty  # noqa: PLC0415
    except ImportError:  # pragma: no cover - not POSIX
        yield False
        return
    try:
        fd = stream.fileno()
        interactive = os.isatty(fd)
    except (AttributeError, OSError, ValueError):
        interactive = False
    if not interactive:
        yield False
        return
    saved = termios.tcgetattr(fd)

    def readable() -> None:
        try:
            data = os.read(fd, 64)
        except OSError:
            return
        for key in data.decode("utf-8", "ignore"):
            on_key(key)

    tty.setcbreak(fd)
    loop.add_reader(fd, readable)
    try:
        yield True
    finally:
        loop.remove_reader(fd)
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
