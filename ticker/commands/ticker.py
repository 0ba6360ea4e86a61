"""``soiree ticker``: the night live in the terminal, from Redis or relayed from a broadcaster.

The shell around the pure parts: it opens a feed (:class:`~ticker.terminal.redis_feed.RedisFeed` by
default, :class:`~ticker.terminal.ws_relay.WsRelay` with ``--ws``), lets it fill a
:class:`~ticker.terminal.ticker_view.TickerView`, and shows
:class:`~ticker.terminal.render_frame.TickerFrame` frames in a ``rich`` :class:`~rich.live.Live`
with ``auto_refresh=False``: the event loop refreshes it when the feed brings something and once a
second for the clock, never in a busy loop. ``--once`` prints one frame and exits. Keys: ``p``
pauses / resumes a replay (when reading a replay's stream from Redis with ``--control``: the pause
is the replay's, for every viewer; other tickers show it), ``q`` quits; so do Ctrl-C and SIGTERM,
cleanly.
"""

from __future__ import annotations

import asyncio
import math
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from rich.console import Console
from rich.live import Live

from ingest.commands.stream_options import night_of, open_store, redis_url_of
from ingest.model.errors import CommandError
from ingest.model.night import Night
from ingest.model.polls_close import embargo_end
from ingest.runtime.aio import cancel_until_done, run_command, stop_on_signals
from ingest.store.stream_store import StreamStore
from ticker.board.board_state import BoardState
from ticker.commands.ticker_cli import TickerCommandOptions
from ticker.terminal.keyboard import read_keys
from ticker.terminal.redis_feed import RedisFeed
from ticker.terminal.relay_messages import relay_url
from ticker.terminal.render_frame import TickerFrame
from ticker.terminal.ticker_view import Connection, ConnectionState, TickerView
from ticker.terminal.ws_relay import WsRelay
from ticker.wire.client_filter import Filter, parse_filter_values
from ticker.wire.protocol_codes import ProtocolError

__all__ = ["TickerOptions", "run", "show_store", "view_of_night"]

#: At most this many refreshes a second, however fast updates come (a burst is one frame).
_MIN_REFRESH_INTERVAL: Final = 0.1
_KEYS_REPLAY: Final = "p pause / reprise · q quitter"
_KEYS: Final = "q quitter"


@dataclass(frozen=True, slots=True)
class TickerOptions:
    """What ``soiree ticker`` was asked for."""

    filter: Filter
    once: bool
    feed_items: int
    ws_url: str | None
    #: Whether ``p`` may pause the replay (the process running it, or ``--control``).
    control: bool = False

    @classmethod
    def from_command(cls, args: TickerCommandOptions) -> TickerOptions:
        """Validate the command line's options."""
        try:
            wanted = Filter(
                kinds=parse_filter_values(args.kinds, field="kinds")
                if args.kinds is not None
                else None,
                sources=parse_filter_values(args.sources, field="sources")
                if args.sources is not None
                else None,
            )
        except ProtocolError as error:
            raise CommandError(f"--{error.message}") from None
        if args.items < 1:
            raise CommandError(f"--items must be at least 1, got {args.items}")
        if args.ws is not None and args.redis.stream is not None:
            raise CommandError(
                "--stream has no effect with --ws: the broadcaster relays its own stream"
            )
        return cls(
            filter=wanted,
            once=args.once,
            feed_items=args.items,
            ws_url=args.ws,
            control=args.control,
        )


def run(args: TickerCommandOptions) -> int:
    """Run ``soiree ticker``; return the exit status."""
    options = TickerOptions.from_command(args)
    console = Console()
    if options.ws_url is not None:
        return run_command(_relay(options, console))
    night = _night(args)
    url = redis_url_of(args.redis, command="ticker")
    view = view_of_night(night, options.filter)
    stream = args.redis.stream or (night.stream if night is not None else None)
    assert stream is not None  # _night only gives up when --stream is given
    return run_command(_from_redis(url, stream, view, options, console))


def _night(args: TickerCommandOptions) -> Night | None:
    """The night whose title, round and candidates head the display.

    A stream of one's own (``--stream``) needs no fixtures: without them, the display goes
    without the night's title, and the round is the highest the figures name.
    """
    try:
        return night_of(args.night)
    except ValueError:
        if args.night.night or not args.redis.stream:
            raise
        return None


async def _from_redis(
    url: str, stream: str, view: TickerView, options: TickerOptions, console: Console
) -> int:
    client, store = await open_store(url, stream)
    try:
        return await show_store(store, view, options, console)
    finally:
        await client.aclose()


def view_of_night(night: Night | None, wanted: Filter | None = None) -> TickerView:
    """An empty view headed by ``night`` (its title, round, candidates and time zone)."""
    view = TickerView(board=BoardState(filter=wanted or Filter()))
    if night is not None:
        view.board.round = night.round
        view.board.add_candidates(candidate.name for candidate in night.candidates)
        view.set_lists((c.name, c.head, c.label) for c in night.candidates)
        view.set_colours((c.name, c.colour) for c in night.candidates)
        view.seats_total = None if night.seats is None else night.seats.total
        view.title, view.timezone, view.night_date = night.title, night.timezone, night.date
        view.embargo_closes = embargo_end(night)
    return view


async def show_store(
    store: StreamStore, view: TickerView, options: TickerOptions, console: Console
) -> int:
    """The ticker on ``store``: one frame with ``options.once``, else live until q / Ctrl-C."""
    view.origin = f"redis · {store.stream}"
    if options.once:
        feed = RedisFeed(store, view)
        await feed.load()
        if not view.board.applied and view.clock is None:
            print(f"soiree ticker: {store.stream} holds no update yet", file=sys.stderr)
        return _print_once(view, options, console)
    display = _LiveDisplay(view, console, options)
    feed = RedisFeed(store, view, notify=display.notify)

    def pause() -> None:
        # Only a replay's stream has a clock to pause; elsewhere `p` does nothing.
        if view.clock is None:
            return
        display.spawn(feed.request_pause(view.toggle_pause(time.time())))

    if options.control:
        display.on_pause = pause
    return await display.run(feed.follow())


async def _relay(options: TickerOptions, console: Console) -> int:
    assert options.ws_url is not None
    view = TickerView(board=BoardState(filter=options.filter))
    if options.once:
        relay = WsRelay(_checked_url(options.ws_url), view)
        await relay.run(until_live=True)
        return _print_once(view, options, console)
    display = _LiveDisplay(view, console, options)
    relay = WsRelay(_checked_url(options.ws_url), view, notify=display.notify)
    return await display.run(relay.run())


def _checked_url(url: str) -> str:
    try:
        relay_url(url, since=None)
    except ValueError as error:
        raise CommandError(f"--ws: {error}") from None
    return url


def _print_once(view: TickerView, options: TickerOptions, console: Console) -> int:
    view.set_connection(Connection(ConnectionState.SNAPSHOT))
    console.print(TickerFrame(view, now=time.time(), feed_items=options.feed_items))
    return 0


class _LiveDisplay:
    """The live display: refresh on news and once a second, keys, clean stop."""

    def __init__(self, view: TickerView, console: Console, options: TickerOptions) -> None:
        self.view = view
        self.console = console
        self.options = options
        self.on_pause: Callable[[], None] | None = None
        self._changed = asyncio.Event()
        self._stop = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._rung = 0

    def notify(self) -> None:
        """Something changed: refresh as soon as the loop gets to it."""
        self._changed.set()

    def spawn(self, work: Awaitable[None]) -> None:
        """Run ``work`` beside the display (a pause request), keeping a reference to it."""

        async def guarded() -> None:
            try:
                await work
            except Exception as error:  # noqa: BLE001 - shown, never fatal to the display
                self.view.notice = f"commande non transmise : {error}"
            self.notify()

        task = asyncio.create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _key(self, key: str) -> None:
        if key in ("q", "Q"):
            self._stop.set()
        elif key in ("p", "P", " ") and self.on_pause is not None:
            self.on_pause()
            self.notify()
        elif key in ("a", "A") and self.view.board.acknowledge():
            self.notify()

    def _ring(self) -> None:
        """The terminal bell, once per alert that came since the last frame."""
        count = len(self.view.board.alerts)
        if count > self._rung:
            self._rung = count
            if self.console.is_terminal:
                self.console.bell()

    def _frame(self) -> TickerFrame:
        height = self.console.size.height if self.console.is_terminal else None
        return TickerFrame(
            self.view, now=time.time(), height=height, feed_items=self.options.feed_items
        )

    async def run(self, feed: Awaitable[None]) -> int:
        """Show the view while ``feed`` fills it, until ``q``, Ctrl-C or SIGTERM."""
        if not self.console.is_terminal:
            print(
                "soiree ticker: not a terminal: the frame is printed when the ticker stops"
                " (use --once for one frame now)",
                file=sys.stderr,
            )
        loop = asyncio.get_running_loop()
        feeding: asyncio.Task[None] = asyncio.ensure_future(feed)
        try:
            async with stop_on_signals(event=self._stop):
                return await self._show(loop, feeding)
        finally:
            # The feed may read Redis, whose client can lose a first cancellation.
            await cancel_until_done([feeding])
            if not feeding.cancelled():
                feeding.result()  # a feed that failed says so
            if self._tasks:
                # A pause asked just before quitting is still delivered (within a second).
                await asyncio.wait(set(self._tasks), timeout=1.0)
            for task in list(self._tasks):
                task.cancel()

    async def _show(self, loop: asyncio.AbstractEventLoop, feeding: asyncio.Task[None]) -> int:
        """The display loop: a frame per change, at most ten a second, until stopped."""
        with (
            read_keys(loop, self._key) as keys_ok,
            Live(
                self._frame(),
                console=self.console,
                auto_refresh=False,
                screen=self.console.is_terminal,
                redirect_stdout=False,
                redirect_stderr=False,
                vertical_overflow="crop",
            ) as live,
        ):
            while not self._stop.is_set():
                if keys_ok:
                    can_pause = self.on_pause is not None and self.view.clock is not None
                    self.view.keys_hint = _KEYS_REPLAY if can_pause else _KEYS
                self._ring()
                live.update(self._frame(), refresh=True)
                refreshed = time.monotonic()
                await self._wait(feeding)
                pause = _MIN_REFRESH_INTERVAL - (time.monotonic() - refreshed)
                if pause > 0 and not self._stop.is_set():
                    await asyncio.sleep(pause)
        return 0

    async def _wait(self, feeding: asyncio.Task[None]) -> None:
        """Until news, a stop, the feed's end, or the next whole second (for the clock)."""
        now = time.time()
        timeout = max(0.05, math.floor(now) + 1 - now)
        changed = asyncio.ensure_future(self._changed.wait())
        stopped = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait(
                {changed, stopped, feeding}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            changed.cancel()
            stopped.cancel()
        self._changed.clear()
        if feeding.done():
            # The feeds run until cancelled: an end is an error (a bug, or a CommandError).
            feeding.result()
            raise CommandError("the ticker's feed stopped")
