"""``soiree replay``: the night's fixtures straight into the stream, on the virtual clock.

Shows a progress bar with the virtual time while it runs (on a terminal), stops cleanly on
Ctrl-C or SIGTERM between two appends, and prints what it appended and how late the appends
went out (p50 / p99 / max) at the end.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ingest.commands.stream_options import (
    connect_client,
    redis_url_of,
    resolve_stream,
    stream_maxlen,
)
from ingest.model.errors import CommandError
from ingest.model.update import Update
from ingest.runtime.aio import run_command, stop_on_signals
from ingest.store.keys import replay_run_stream, replay_runs_key
from ingest.store.stream_store import StreamStore
from replay.clock import AnchoredClock, ReplayPlan, plan_replay, speed_in_words
from replay.commands.clock_options import window_of
from replay.commands.replay_cli import ReplayOptions
from replay.fixtures import find_night
from replay.night_fixture import NightFixture
from replay.runner import ReplayReport, replay_into_stream
from replay.timeline import night_updates

__all__ = ["run"]


def run(options: ReplayOptions) -> int:
    """Run ``soiree replay``; return the exit status."""
    fixture = find_night(options.night.night, fixtures_dir=options.night.fixtures)
    window = window_of(options.clock, fixture)
    updates = night_updates(fixture, seen=datetime.now(UTC))
    plan = plan_replay([update.at for update in updates], window)
    if not plan.order:
        raise CommandError("nothing to replay: --to is before the first update of the night")
    stream = options.redis.stream
    if options.loop and stream == fixture.night.stream:
        raise CommandError(
            f"--loop would append the night again and again to its live stream {stream};"
            " leave --stream out (a new stream for the replay) or name another one"
        )
    url = redis_url_of(options.redis, command="replay")
    err = Console(stderr=True)
    show_progress = not options.no_progress and err.is_terminal
    report = run_command(
        _replay(
            fixture,
            updates,
            plan,
            url=url,
            stream=stream,
            speed=window.speed,
            loop=options.loop,
            show_progress=show_progress,
            console=err,
        )
    )
    _print_report(report, err)
    # Stopped by Ctrl-C or SIGTERM is a clean stop, as in every command: status 0.
    return 0


async def _replay(
    fixture: NightFixture,
    updates: list[Update],
    plan: ReplayPlan,
    *,
    url: str,
    stream: str | None,
    speed: float,
    loop: bool,
    show_progress: bool,
    console: Console,
) -> ReplayReport:
    client = await connect_client(url)
    try:
        if stream is None:
            run_number = await client.incr(replay_runs_key(fixture.night.stream))
            stream = replay_run_stream(fixture.night.stream, int(run_number))
        else:
            stream = await resolve_stream(client, stream)
        store = StreamStore(client, stream, maxlen=stream_maxlen())
        pace = speed_in_words(speed)
        # Signals handled before the first line: once it is printed, Ctrl-C is a clean stop.
        async with stop_on_signals() as stop:
            console.print(
                f"replaying {fixture.night.title} into stream {stream} {pace}",
                highlight=False,
                soft_wrap=True,
            )
            console.print(
                f"follow it with: soiree dump --follow --stream {stream}", highlight=False
            )
            return await _run_replay(
                store,
                updates,
                plan,
                stop=stop,
                loop=loop,
                speed=speed,
                console=console if show_progress else None,
            )
    finally:
        await client.aclose()


async def _run_replay(
    store: StreamStore,
    updates: list[Update],
    plan: ReplayPlan,
    *,
    stop: asyncio.Event,
    loop: bool,
    speed: float,
    console: Console | None,
) -> ReplayReport:
    """The replay, under a progress bar showing the virtual time when ``console`` is given."""
    clock = AnchoredClock()
    if console is None:
        return await replay_into_stream(
            store, updates, plan, clock=clock, stop=stop, loop=loop, speed=speed
        )
    progress = Progress(
        TextColumn("[bold]{task.fields[virtual]}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[last]}"),
        TimeElapsedColumn(),
        console=console,
    )
    total = len(plan.order)
    task = progress.add_task("replay", total=total, virtual="--:--", last="")
    zone = updates[0].at.tzinfo if updates else None

    def advance(done: int, update: Update) -> None:
        progress.update(task, completed=(done - 1) % total + 1, last=update.kind.value)

    async def show_virtual_time() -> None:
        while True:
            virtual = plan.virtual_time(clock.elapsed())
            if virtual is not None:
                label = virtual.astimezone(zone).strftime("%d/%m %H:%M:%S")
                progress.update(task, virtual=label + (" (paused)" if clock.paused else ""))
            await asyncio.sleep(0.1)

    with progress:
        shower = asyncio.create_task(show_virtual_time())
        try:
            return await replay_into_stream(
                store,
                updates,
                plan,
                clock=clock,
                stop=stop,
                progress=advance,
                loop=loop,
                speed=speed,
            )
        finally:
            shower.cancel()


def _print_report(report: ReplayReport, console: Console) -> None:
    late = report.lateness
    status = "stopped" if report.stopped else "done"
    console.print(
        f"{status}: {report.appended} appended, {report.duplicates} already in the stream"
        + (f", {report.passes} passes" if report.passes > 1 else ""),
        highlight=False,
    )
    console.print(
        f"lateness: p50 {late.p50 * 1000:.2f} ms, p99 {late.p99 * 1000:.2f} ms,"
        f" max {late.worst * 1000:.2f} ms over {len(late.samples)} updates",
        highlight=False,
    )
