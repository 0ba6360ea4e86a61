"""``soiree sources --recording DIR``: serve a recording again, on the virtual clock.

Says what the recording holds and where each document is served, then, on a terminal, a
progress bar through the recording's time span (with the recorded time); otherwise one line on
stderr each time a document changes. Stops cleanly on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn

from ingest.runtime.aio import run_command
from replay.clock import speed_in_words
from replay.commands.recording_options import open_recording, recording_window
from replay.commands.sources_cli import SourcesOptions
from replay.commands.sources_serving import WATCH_EVERY, serve_sources
from replay.emulated.recorded_server import RECORDING_KEY, RecordingState, build_recording_app

__all__ = ["serve_recording"]


def serve_recording(args: SourcesOptions, root: Path) -> int:
    """Serve the recording in ``root`` with ``args``' clock and address; the exit status."""
    recording = open_recording(root)
    window = recording_window(args.clock, recording)
    app = build_recording_app(recording, window, interval=args.interval, loop=args.loop)
    console = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)
    console.print(f"recording {root} holds {recording.summary()}")
    return run_command(
        serve_sources(
            app,
            RECORDING_KEY,
            host=args.host,
            port=args.port,
            console=console,
            port_hint=" (try another --port)",
            announce=_announce,
            display=_progress,
            watch=_watch,
        )
    )


def _announce(state: RecordingState, base_url: str, console: Console) -> None:
    """Say what is served, where, and at which pace (and keep the base URL for /healthz)."""
    state.base_url = base_url
    pace = speed_in_words(state.schedule.window.speed)
    console.print(f"serving the recording at {base_url} {pace}")
    for url, path in state.paths.items():
        console.print(f"  {base_url}{path}  (recorded from {url})")
    console.print(f"  {base_url}/healthz")


@contextlib.contextmanager
def _progress(console: Console) -> Iterator[Progress | None]:
    """A progress bar through the recording on a terminal; nothing otherwise."""
    if not console.is_terminal:
        yield None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
    )
    with Progress(*columns, console=console, transient=True) as progress:
        yield progress


async def _watch(state: RecordingState, console: Console, progress: Progress | None) -> None:
    """Print a line when a document changes or the pass ends; move the bar."""
    seen: dict[str, tuple[int, int]] = {}
    finished_pass: int | None = None
    task: TaskID | None = None
    duration = max(state.schedule.duration, 1e-9)
    if progress is not None:
        task = progress.add_task("recorded time --", total=duration)
    while True:
        elapsed = state.clock.elapsed()
        moment = state.schedule.moment(elapsed)
        when = "--" if moment.virtual_time is None else f"{moment.virtual_time:%H:%M:%S} UTC"
        changed: list[str] = []
        for url, path in state.paths.items():
            version = state.schedule.version(url, elapsed)
            key = (moment.pass_index, version.index)
            if seen.get(url) != key:
                seen[url] = key
                steps = state.schedule.steps(url)
                changed.append(f"{path} version {version.index + 1}/{steps}")
        if changed and progress is None:
            console.print(f"[recorded {when}] " + ", ".join(changed))
        if moment.finished and finished_pass != moment.pass_index:
            finished_pass = moment.pass_index
            again = " (starting again shortly: --loop)" if state.schedule.loop else ""
            console.print(f"[recorded {when}] the recording is over; the sources stay{again}")
        if progress is not None and task is not None:
            local = elapsed - moment.pass_index * state.schedule.period
            progress.update(task, completed=min(local, duration), description=f"recorded {when}")
        await asyncio.sleep(WATCH_EVERY)
