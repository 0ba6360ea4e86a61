"""``soiree demo``: the whole chain on one machine, the first thing a new user runs.

In one process, on the embedded Redis by default: the emulated sources replaying the night
(:mod:`replay.emulated.server`), the real pollers reading them (:mod:`ingest.polling.runner`), the
websocket broadcaster and its web page (:mod:`ticker.broadcast.broadcaster`, address printed), and
the terminal ticker in the foreground. Each run writes a stream of its own, like ``soiree replay``.
``q``, Ctrl-C or SIGTERM stop every part cleanly; if the demo started the embedded Redis server
itself, it stops it too, so nothing is left running.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import errno
import logging
import math
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from aiohttp import web
from redis.exceptions import RedisError
from rich.console import Console

from ingest.commands.stream_options import (
    connect_client,
    redis_url_of,
    resolve_stream,
    stream_maxlen,
)
from ingest.model.errors import CommandError
from ingest.model.night import Night, NightError
from ingest.model.night_file import load_night
from ingest.model.nights import NIGHT_FILE, SOURCES_FILE, find_night_dir
from ingest.model.polls_close import embargo_end
from ingest.model.recording import Recording
from ingest.model.settings import settings
from ingest.polling.runner import run_ingest
from ingest.runtime.aio import cancel_until_done, deferred_stop, run_command
from ingest.runtime.listen_errors import listen_error_reason
from ingest.sources.config import load_ingest_config
from ingest.store.embedded_layout import default_data_dir
from ingest.store.embedded_redis import embedded_running, stop_embedded
from ingest.store.keys import (
    replay_control_key,
    replay_run_stream,
    replay_runs_key,
)
from ingest.store.stream_store import StreamStore
from replay.clock import AnchoredClock, ReplayWindow
from replay.commands.clock_options import window_of
from replay.commands.demo_cli import DEFAULT_PORT, DemoOptions
from replay.commands.recording_options import open_recording, recording_window
from replay.emulated.recorded_server import RECORDING_KEY, build_recording_app
from replay.emulated.server import (
    SOURCES_KEY,
    build_sources_app,
    start_sources_server,
)
from replay.fixtures import find_night
from replay.night_fixture import NightFixture
from replay.runner import publish_clock
from ticker.broadcast.broadcaster import Broadcaster, BroadcasterOptions
from ticker.commands.serve import night_info
from ticker.commands.ticker import TickerOptions, show_store, view_of_night
from ticker.wire.client_filter import Filter

__all__ = ["poll_interval", "run"]

# Poll every source about once a virtual minute, but never faster than this nor slower than
# two seconds: the demo should feel live at any speed without hammering its own server.
_FASTEST_POLL: Final = 0.1
_SLOWEST_POLL: Final = 2.0
_CLOCK_EVERY: Final = 0.25

logger = logging.getLogger(__name__)


def poll_interval(speed: float) -> float:
    """Seconds between two polls of a source at replay ``speed``."""
    if math.isinf(speed):
        return _FASTEST_POLL
    return min(_SLOWEST_POLL, max(_FASTEST_POLL, 60.0 / speed))


@dataclass(frozen=True, slots=True)
class _Served:
    """What the demo's sources serve: the night's fixtures, or a recording."""

    night: Night
    window: ReplayWindow
    sources_file: Path
    recording: Recording | None = None
    fixture: NightFixture | None = None

    def app(self, *, interval: float, loop: bool) -> tuple[web.Application, AnchoredClock]:
        """The sources' application, and its clock."""
        if self.recording is not None:
            app = build_recording_app(self.recording, self.window, interval=interval, loop=loop)
            return app, app[RECORDING_KEY].clock
        assert self.fixture is not None
        app = build_sources_app(self.fixture, self.window, interval=interval, loop=loop)
        return app, app[SOURCES_KEY].clock


def _served(args: DemoOptions) -> _Served:
    if args.recording is None:
        fixture = find_night(args.night.night, fixtures_dir=args.night.fixtures)
        window = window_of(args.clock, fixture)
        return _Served(fixture.night, window, fixture.directory / SOURCES_FILE, fixture=fixture)
    recording = open_recording(args.recording)
    print(f"soiree demo: recording {recording.root} holds {recording.summary()}", file=sys.stderr)
    try:
        directory = find_night_dir(
            args.night.night or recording.night, nights_dir=args.night.fixtures
        )
        night = load_night(directory / NIGHT_FILE)
    except NightError as error:
        raise CommandError(str(error)) from None
    window = recording_window(args.clock, recording)
    return _Served(night, window, directory / SOURCES_FILE, recording=recording)


def _moment(app: web.Application) -> tuple[datetime | None, bool]:
    """The sources' virtual (or recorded) time, and whether the night is over."""
    state = app[RECORDING_KEY] if RECORDING_KEY in app else app[SOURCES_KEY]
    moment = state.schedule.moment(state.clock.elapsed())
    return moment.virtual_time, moment.finished


def run(args: DemoOptions) -> int:
    """Run ``soiree demo``; return the exit status."""
    served = _served(args)
    data_dir = args.redis.data_dir or default_data_dir()
    uses_embedded = not (args.redis.redis_url or settings().redis_url)
    started_here = uses_embedded and not embedded_running(data_dir)
    try:
        url = redis_url_of(args.redis)
        return run_command(_demo(served, url=url, args=args))
    finally:
        if started_here:
            # A second SIGTERM must not tear the shutdown: the server would be left running.
            with deferred_stop():
                stop_embedded(data_dir)


async def _demo(served: _Served, *, url: str, args: DemoOptions) -> int:
    night, window = served.night, served.window
    client = await connect_client(url)
    console = Console()
    try:
        if args.redis.stream:
            stream = await resolve_stream(client, args.redis.stream)
        else:
            run_number = int(await client.incr(replay_runs_key(night.stream)))
            stream = replay_run_stream(night.stream, run_number)
        store = StreamStore(client, stream, maxlen=stream_maxlen())
        interval = poll_interval(window.speed)
        app, clock = served.app(interval=interval, loop=args.loop)
        sources, base_url = await start_sources_server(app, "127.0.0.1", 0)
        config = load_ingest_config(served.sources_file, base_url=base_url)
        config = dataclasses.replace(
            config,
            sources=tuple(
                dataclasses.replace(source, interval=interval) for source in config.sources
            ),
        )
        broadcaster = Broadcaster(
            client,
            BroadcasterOptions(
                stream=stream, night=night_info(night), embargo_closes=embargo_end(night)
            ),
        )
        await _start_web(broadcaster, args.host, args.port)
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(
                run_ingest(config, client, night=night, stream=stream, stop=stop), name="ingest"
            ),
            asyncio.create_task(
                _follow_sources_clock(app, clock, store, window.speed), name="clock"
            ),
        ]
        page = f"http://{args.host}:{broadcaster.port}/"
        print(
            f"soiree demo: web page {page} · stream {stream} · sources {base_url}",
            file=sys.stderr,
            flush=True,
        )
        view = view_of_night(night)
        view.info = f"page web : {page}"
        try:
            # The demo runs the replay: its ticker is the one that may pause it.
            options = TickerOptions(
                filter=Filter(), once=False, feed_items=40, ws_url=None, control=True
            )
            return await show_store(store, view, options, console)
        finally:
            stop.set()
            # The clock task reads Redis, whose client can lose a first cancellation.
            await cancel_until_done(tasks[1:])
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(tasks[0], 5.0)
            await cancel_until_done(tasks)
            await broadcaster.close()
            await sources.cleanup()
            print(f"soiree demo: stopped; the night stays in stream {stream}", file=sys.stderr)
    finally:
        await client.aclose()


async def _start_web(broadcaster: Broadcaster, host: str, port: int | None) -> None:
    """Listen on ``host``:``port``; without ``--port``, 8765, else any free port (said so)."""
    wanted = DEFAULT_PORT if port is None else port
    try:
        await broadcaster.start(host, wanted)
    except OSError as error:
        if port is not None or error.errno != errno.EADDRINUSE:
            reason = listen_error_reason(error)
            raise CommandError(
                f"the web page's server cannot listen on {host}:{wanted}: {reason}"
                + (" (--port 0: any free port)" if error.errno == errno.EADDRINUSE else "")
            ) from None
        await broadcaster.start(host, 0)
        print(
            f"soiree demo: port {wanted} is taken; the web page is on port {broadcaster.port}",
            file=sys.stderr,
            flush=True,
        )


async def _follow_sources_clock(
    app: web.Application, clock: AnchoredClock, store: StreamStore, speed: float
) -> None:
    """Show the sources' virtual time in the ticker's header, and obey its pause key.

    Redis may go away and come back (a restart): the clock carries on publishing then.
    """
    control = replay_control_key(store.stream)
    cleared = False
    while True:
        try:
            if not cleared:
                await store.redis.delete(control)
                cleared = True
            await _publish_clock_once(app, clock, store, control, speed)
        except (RedisError, OSError) as error:
            logger.debug("demo: publishing the clock failed (%r); retrying", error)
        await asyncio.sleep(_CLOCK_EVERY)


async def _publish_clock_once(
    app: web.Application, clock: AnchoredClock, store: StreamStore, control: str, speed: float
) -> None:
    """Obey the pause key once, and publish the sources' virtual time."""
    wanted = await store.redis.get(control)
    if wanted == "pause" and not clock.paused:
        clock.pause()
    elif wanted == "resume" and clock.paused:
        clock.resume()
    virtual, finished = _moment(app)
    if virtual is not None:
        await publish_clock(store, virtual, speed=speed, paused=clock.paused, finished=finished)
