"""``soiree sources``: serve a night's fixtures as its emulated sources, on the virtual clock.

Prints the base URL and the documents' addresses, then one line on stderr each time a document
changes (with the virtual time), and on a terminal a status line with the running virtual clock.
Stops cleanly on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Iterator
from datetime import datetime
from typing import Final

from rich.console import Console
from rich.status import Status

from ingest.commands.command import checked_port
from ingest.model.errors import CommandError
from ingest.runtime.aio import run_command
from replay.clock import speed_in_words
from replay.commands.clock_options import window_of
from replay.commands.sources_cli import SourcesOptions
from replay.commands.sources_recording import serve_recording
from replay.commands.sources_serving import WATCH_EVERY, serve_sources
from replay.emulated.documents import Document, published_instants
from replay.emulated.server import PATHS, SOURCES_KEY, SourcesState, build_sources_app
from replay.fixtures import find_night
from replay.night_fixture import NightFixture

__all__ = ["run"]

_UNITS: Final = {
    Document.LIVEBLOG: "entries",
    Document.FEED: "articles",
    Document.RESULTS: "checkpoints",
}


def run(args: SourcesOptions) -> int:
    """Run ``soiree sources``; return the exit status."""
    if args.page_size < 1:
        raise CommandError(f"--page-size must be at least 1, got {args.page_size}")
    if not (math.isfinite(args.interval) and args.interval >= 0):
        raise CommandError(f"--interval must be a number of seconds >= 0, got {args.interval}")
    checked_port(args.port)
    if args.recording is not None:
        return serve_recording(args, args.recording)
    fixture = find_night(args.night.night, fixtures_dir=args.night.fixtures)
    window = window_of(args.clock, fixture)
    app = build_sources_app(
        fixture, window, page_size=args.page_size, interval=args.interval, loop=args.loop
    )
    console = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)
    return run_command(
        serve_sources(
            app,
            SOURCES_KEY,
            host=args.host,
            port=args.port,
            console=console,
            port_hint=" (is another `soiree sources` running? try another --port)",
            announce=_announce,
            display=_status,
            watch=_watch,
        )
    )


def _announce(state: SourcesState, base_url: str, console: Console) -> None:
    """Say what is served, where, and at which pace."""
    pace = speed_in_words(state.window.speed)
    console.print(f"serving {state.fixture.night.title} at {base_url} {pace}")
    for document, path in PATHS.items():
        console.print(f"  {document.value:<9} {base_url}{path}")
    console.print(f"  {'health':<9} {base_url}/healthz")


@contextlib.contextmanager
def _status(console: Console) -> Iterator[Status | None]:
    """A live status line on a terminal; nothing otherwise (logs stay plain lines)."""
    if not console.is_terminal:
        yield None
        return
    with console.status("starting") as status:
        yield status


async def _watch(state: SourcesState, console: Console, status: Status | None) -> None:
    """Print a line whenever a document changes or a pass ends; keep the status line fresh."""
    zone = state.fixture.night.timezone
    seen: dict[Document, tuple[int, int]] = {}
    finished_pass: int | None = None
    while True:
        elapsed = state.clock.elapsed()
        moment = state.schedule.moment(elapsed)
        virtual = (
            "--"
            if moment.virtual_time is None
            else f"{moment.virtual_time.astimezone(zone):%d/%m %H:%M:%S}"
        )
        changed: list[str] = []
        for document in Document:
            version = state.schedule.version(document, elapsed)
            key = (moment.pass_index, version.index)
            if seen.get(document) != key:
                seen[document] = key
                count = _shown(state.fixture, document, version.shows)
                newest = f" (newest {version.shows.astimezone(zone):%d/%m %H:%M})" if count else ""
                changed.append(f"{document.value} {count} {_UNITS[document]}{newest}")
        if changed:
            console.print(f"[virtual {virtual}] " + ", ".join(changed))
        if moment.finished and finished_pass != moment.pass_index:
            finished_pass = moment.pass_index
            again = " (starting again shortly: --loop)" if state.schedule.loop else ""
            console.print(
                f"[virtual {virtual}] the night is over; the sources stay as they are{again}"
            )
        if status is not None:
            status.update(f"virtual time {virtual}")
        await asyncio.sleep(WATCH_EVERY)


def _shown(fixture: NightFixture, document: Document, now: datetime) -> int:
    """How many items of ``document`` are shown at ``now``."""
    return sum(1 for at in published_instants(fixture, document) if at <= now)
