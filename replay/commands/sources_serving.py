"""The shell both ``soiree sources`` commands run in: listen, say what is served, watch the
clock until Ctrl-C or SIGTERM, then close.

``soiree sources`` (a night's fixtures, :mod:`replay.commands.sources`) and ``soiree sources
--recording`` (:mod:`replay.commands.sources_recording`) differ only in their app, the state
under its key, what they announce and how they show the clock (a status line, a progress bar);
each passes those in.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from contextlib import AbstractContextManager
from typing import Final, TypeVar

from aiohttp import web
from rich.console import Console

from ingest.model.errors import CommandError
from ingest.runtime.aio import stop_on_signals
from ingest.runtime.listen_errors import listen_error_reason
from replay.emulated.server import start_sources_server

__all__ = ["WATCH_EVERY", "serve_sources"]

# How often a command looks at the clock to report changes (wall seconds).
WATCH_EVERY: Final = 0.2

State = TypeVar("State")
Display = TypeVar("Display")


async def serve_sources(
    app: web.Application,
    key: web.AppKey[State],
    *,
    host: str,
    port: int,
    console: Console,
    port_hint: str,
    announce: Callable[[State, str, Console], None],
    display: Callable[[Console], AbstractContextManager[Display]],
    watch: Callable[[State, Console, Display], Coroutine[object, object, None]],
) -> int:
    """Serve ``app`` on ``host:port`` until SIGINT or SIGTERM; the exit status.

    ``announce`` prints what is served at the base URL; ``watch`` runs, with what ``display``
    opens on the console, until the signal. A port that cannot be listened on is a
    :class:`CommandError` that ends with ``port_hint``.
    """
    state = app[key]
    try:
        runner, base_url = await start_sources_server(app, host, port)
    except OSError as error:
        raise CommandError(
            f"cannot listen on {host}:{port}: {listen_error_reason(error)}{port_hint}"
        ) from error
    try:
        announce(state, base_url, console)
        async with stop_on_signals() as stop:
            with display(console) as shown:
                watcher = asyncio.create_task(watch(state, console, shown))
                try:
                    await stop.wait()
                finally:
                    watcher.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await watcher
    finally:
        await runner.cleanup()
    console.print("stopped")
    return 0
