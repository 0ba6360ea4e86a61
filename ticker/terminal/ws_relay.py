"""The ticker's websocket feed: relay a broadcaster (``soiree ticker --ws URL``).

A thin shell over :mod:`ticker.terminal.relay_messages`: connect to ``/ws?since=...``, read
messages, apply them to the :class:`~ticker.terminal.ticker_view.TickerView` (the replay's clock
too, from ``snapshot`` and ``clock``), and call ``notify`` whenever the view changed. When the
connection drops (the server restarts, the network fails, the server closes a slow client with
4008), it reconnects with exponential backoff and jitter, resuming
after the last id it saw (the last update's, or ``live``'s ``last_id`` if later), so no update
is missed or shown twice. With the staff token, an update the broadcaster holds for the public
comes marked ``embargoed``, and again without the mark once released; the ``snapshot`` of each
connection lists what is held then (``embargo.held``), so marks of updates released while the
ticker was away go when it is back (``docs/protocol.md``, "The embargo"). The first
connection asks for ``since=0-0``: the whole retained night, so the scoreboard, the turnout and
the feed start complete.

With ``until_live`` (``--once``), :meth:`WsRelay.run` returns at the first ``live`` message
and raises :class:`~ingest.model.errors.CommandError` if the server cannot be reached.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable
from typing import Final

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, InvalidURI, WebSocketException

from ingest.model.errors import CommandError
from ingest.model.settings import settings
from ingest.runtime.backoff import Backoff
from ingest.runtime.retrying import Attempt, retrying
from ticker.terminal.relay_messages import (
    BoardMessage,
    ClockMessage,
    DeskMessage,
    Gap,
    Health,
    Hello,
    Live,
    RelayMessageError,
    ServerError,
    ServerMessage,
    Snapshot,
    UpdateMessage,
    describe_url,
    parse_server_message,
    relay_url,
)
from ticker.terminal.safe_text import untrusted
from ticker.terminal.ticker_view import Connection, ConnectionState, TickerView
from ticker.wire.replay_clock import ReplayClock
from ticker.wire.stream_positions import id_key

__all__ = ["DEFAULT_BACKOFF", "TOKEN_ENV", "WsRelay"]

logger = logging.getLogger(__name__)

#: The read token a broadcaster may require (as ``soiree serve`` reads it).
TOKEN_ENV: Final = "SOIREE_READ_TOKEN"  # noqa: S105 - the variable's name, not a token
#: Reconnect delays: 0.5 s, 1 s, 2 s... up to 15 s, each with up to half taken off at random.
DEFAULT_BACKOFF: Final = Backoff(interval=0.5, max_backoff=15.0)
# Largest message accepted from the server (an update is at most ~20 KB of text).
_MAX_MESSAGE: Final = 1 << 22


def _later(first: str | None, second: str | None) -> str | None:
    if first is None or second is None:
        return first or second
    return first if id_key(first) >= id_key(second) else second


_RETRIED: Final = (OSError, TimeoutError, InvalidHandshake, WebSocketException)


class _ServerClosedError(Exception):
    """The server closed the connection (a restart, 1001, 4008): reconnect."""


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return untrusted(text, max_length=160)


class WsRelay:
    """Relay the broadcaster at ``url`` into ``view``."""

    def __init__(
        self,
        url: str,
        view: TickerView,
        *,
        notify: Callable[[], None] = lambda: None,
        backoff: Backoff = DEFAULT_BACKOFF,
        open_timeout: float = 10.0,
        token: str | None = None,
    ) -> None:
        relay_url(url, since=None)  # raises ValueError for a URL that cannot work
        self.url = url
        self.view = view
        self.notify = notify
        self.backoff = backoff
        self.open_timeout = open_timeout
        self.token = token if token is not None else settings().read_token
        #: Where to resume: the last id seen (None: from the start).
        self.cursor: str | None = None
        #: Connections made (that got a ``hello``).
        self.connections = 0
        self._went_live = False
        view.origin = describe_url(url)
        # The broadcaster decides what is held (a staff client gets it marked).
        view.embargo_marked = set()

    def _set_connection(self, connection: Connection) -> None:
        if self.view.set_connection(connection):
            self.notify()

    async def run(self, *, until_live: bool = False) -> None:
        """Relay until cancelled (or, with ``until_live``, until the backlog is over)."""

        def reconnecting(error: BaseException, delay: float) -> None:
            detail = str(error) if isinstance(error, _ServerClosedError) else _describe(error)
            if until_live:
                raise CommandError(f"cannot relay {describe_url(self.url)}: {detail}")
            logger.info("ticker relay: %s; reconnecting in %.1f s", detail, delay)
            self._set_connection(
                Connection(
                    ConnectionState.RECONNECTING, detail=detail, retry_at=time.time() + delay
                )
            )

        attempts = retrying(self.backoff, retry_on=_RETRIED, on_failure=reconnecting)
        async with contextlib.aclosing(attempts):
            async for attempt in attempts:
                with attempt:
                    if await self._connect_and_read(attempt, until_live=until_live):
                        return

    async def _connect_and_read(self, attempt: Attempt, *, until_live: bool) -> bool:
        """One connection: read it until it closes; return True when ``until_live`` is met."""
        url = relay_url(self.url, since=self.cursor, filter=self.view.board.filter)
        try:
            async with connect(
                url,
                open_timeout=self.open_timeout,
                max_size=_MAX_MESSAGE,
                close_timeout=2.0,
                additional_headers=(
                    {"Authorization": f"Bearer {self.token}"} if self.token else None
                ),
            ) as ws:
                if await self._read(ws, until_live=until_live):
                    return True
                if self._went_live:
                    attempt.succeeded()
                detail = f"le serveur a fermé la connexion ({ws.close_code or '—'})"
                reason = ws.close_reason
                if reason:
                    detail += f" : {untrusted(reason, max_length=120)}"
                attempt.fail(_ServerClosedError(detail))
                return False
        except InvalidURI as error:
            raise CommandError(f"--ws: {error}") from error

    async def _read(self, ws: ClientConnection, *, until_live: bool) -> bool:
        """Read one connection's messages; return True when ``until_live`` is satisfied."""
        async for raw in ws:
            try:
                message = parse_server_message(raw)
            except RelayMessageError as error:
                # Logged, not shown: a log line on stderr would tear the full-screen display.
                logger.debug("ticker relay: skipping a message: %s", error)
                continue
            changed = self._apply(message)
            if changed:
                self.notify()
            if until_live and isinstance(message, Live):
                return True
        return False

    def _apply(self, message: ServerMessage) -> bool:
        """Apply one message to the view; return whether it changed."""
        view = self.view
        board = view.board
        if isinstance(message, UpdateMessage):
            update = message.update
            self.cursor = _later(self.cursor, update.id)
            marked = _follow_mark(view, update.id, held=message.embargoed)
            # The first backlog is the night so far; after a reconnect, what was missed is new.
            return board.apply(update, now=time.time() if self._went_live else None) or marked
        if isinstance(message, Hello):
            self.connections += 1
            self._hello(message)
            view.set_connection(Connection(ConnectionState.CATCHING_UP))
            return True
        if isinstance(message, Snapshot):
            changed = board.set_health(message.health)
            # A server older than the board message sends none: the rule runs here instead.
            if message.board is not None:
                changed = board.serve(message.board) or changed
            if message.desk is not None:
                view.desk = message.desk
                changed = True
            held = message.embargo_held
            if held is not None and view.embargo_marked != set(held):
                # What is held now: marks of updates released while away (or before a restart
                # of the broadcaster) go; those of updates still held stay or come back.
                view.embargo_marked = set(held)
                changed = True
            return self._set_clock(message.clock) or changed
        if isinstance(message, DeskMessage):
            view.desk = message.desk
            return True
        if isinstance(message, BoardMessage):
            return board.serve(message.board)
        if isinstance(message, ClockMessage):
            return self._set_clock(message.clock)
        if isinstance(message, Live):
            self.cursor = _later(self.cursor, message.last_id)
            self._went_live = True
            return view.set_connection(Connection(ConnectionState.LIVE))
        if isinstance(message, Health):
            return board.set_health(message.sources)
        if isinstance(message, Gap):
            first = f" ; le fil reprend à {message.first_id}" if message.first_id else ""
            view.notice = f"des mises à jour ne sont plus conservées par le serveur{first}"
            return True
        if isinstance(message, ServerError):
            view.notice = f"le serveur signale : {message.code} — {message.message}"
            return True
        return False

    def _set_clock(self, clock: ReplayClock | None) -> bool:
        """The replay's clock as the server relays it, from the moment it was received (the
        view then shows it as the Redis feed does: virtual time, speed, en pause, terminé)."""
        received = None if clock is None else dataclasses.replace(clock, wall=time.time())
        return self.view.set_clock(received)

    def _hello(self, hello: Hello) -> None:
        view = self.view
        if hello.title:
            view.title = hello.title
        if hello.night_date is not None:
            view.night_date = hello.night_date
        if hello.timezone is not None:
            view.timezone = hello.timezone
        if hello.round is not None and view.board.round is None:
            view.board.round = hello.round
        view.board.add_candidates(hello.candidates)
        view.set_lists(hello.lists)
        view.set_colours(hello.colours)
        if hello.seats_total is not None:
            view.seats_total = hello.seats_total
        if hello.stream:
            view.origin = f"{describe_url(self.url)} · {hello.stream}"


def _follow_mark(view: TickerView, update_id: str | None, *, held: bool) -> bool:
    """Keep the broadcaster's "embargoed" mark of the update ``update_id`` (a released update
    comes again without it); return whether it changed."""
    marked = view.embargo_marked
    if marked is None or update_id is None or (update_id in marked) == held:
        return False
    if held:
        marked.add(update_id)
    else:
        marked.discard(update_id)
    return True
