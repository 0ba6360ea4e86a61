"""Everything one ticker frame shows: the board, and what the header says around it. Pure.

The feeds (:mod:`ticker.terminal.redis_feed`, :mod:`ticker.terminal.ws_relay`) write into one
:class:`TickerView`; the renderables (``ticker/render_*.py``) only read it. Time is always a
parameter (``now``, Unix seconds), so a frame renders the same in a test as on the night.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo

from ticker.board.board_state import BoardState
from ticker.terminal import theme
from ticker.wire.desk import DeskState
from ticker.wire.embargo import EmbargoAct
from ticker.wire.replay_clock import ReplayClock

__all__ = ["DEFAULT_TITLE", "PARIS", "Connection", "ConnectionState", "TickerView"]

PARIS: Final = ZoneInfo("Europe/Paris")
DEFAULT_TITLE: Final = "Soirée électorale"


class ConnectionState(StrEnum):
    """Where the ticker's feed stands."""

    CONNECTING = "connecting"
    #: Connected, reading what happened before (the backlog).
    CATCHING_UP = "catching_up"
    LIVE = "live"
    #: Lost the connection; trying again (``retry_at``), resuming from the last id seen.
    RECONNECTING = "reconnecting"
    #: ``--once``: one frame of the stream as it stands.
    SNAPSHOT = "snapshot"


@dataclass(frozen=True, slots=True)
class Connection:
    """The connection state, with what went wrong and when the next attempt is due."""

    state: ConnectionState
    detail: str | None = None
    retry_at: float | None = None


@dataclass(slots=True)
class TickerView:
    """The state of the ticker: the board and the header's facts."""

    board: BoardState = field(default_factory=BoardState)
    title: str = DEFAULT_TITLE
    timezone: ZoneInfo = PARIS
    night_date: date | None = None
    #: Where the updates come from, as shown: ``"redis · soiree:night:2017-01-29"``.
    origin: str | None = None
    connection: Connection = field(default_factory=lambda: Connection(ConnectionState.CONNECTING))
    #: The replay's clock when the stream is a replay's (None: show the wall clock).
    clock: ReplayClock | None = None
    #: When the night's embargo ends (None: nothing is held): the ticker is staff, it shows
    #: held updates marked "sous embargo" (``ticker.wire.embargo``).
    embargo_closes: datetime | None = None
    #: The editors' releases and holds read so far (``<stream>:embargo``), in order: they move
    #: the embargo's end as they do the broadcaster's.
    embargo_acts: list[EmbargoAct] = field(default_factory=list)
    #: Relayed from a broadcaster (``--ws``): the ids of the updates it marks held now
    #: (``"embargoed"`` and the snapshot's ``embargo.held``, to staff clients), which replace
    #: the rule above; None: the ticker reads Redis.
    embargo_marked: set[str] | None = None
    #: What the ticker asked the replay (True: pause), until the replay's clock says it is so.
    pause_requested: bool | None = None
    #: When it was asked (Unix seconds).
    pause_requested_at: float | None = None
    #: Something the newsroom must know (a gap in the stream, a server's error).
    notice: str | None = None
    #: Something worth knowing, not a warning (the web page's address).
    info: str | None = None
    #: The keys the ticker answers to, as shown (``"p pause · q quitter"``); None: no keys.
    keys_hint: str | None = None
    #: A list's head and party label as shown under its name (``"Claire Vasseur · DVG"``),
    #: by list name, from the night file or the broadcaster's ``hello``.
    heads: dict[str, str] = field(default_factory=dict)
    #: A candidate's colour (``#rrggbb``, from the night file or ``hello``) by name: its share
    #: bar's colour (``theme.hex_style``); a candidate without one keeps the palette's.
    colours: dict[str, str] = field(default_factory=dict)
    #: The seats at stake when the night file says (None: none, or unknown).
    seats_total: int | None = None
    #: The desk's actions read so far (pins, key events, corrections: ``ticker.wire.desk``).
    desk: DeskState = field(default_factory=DeskState)

    def set_lists(self, lists: Iterable[tuple[str, str | None, str | None]]) -> None:
        """Take the night's lists: (name, head, label) each."""
        for name, head, label in lists:
            shown = " · ".join(part for part in (head, label) if part)
            if shown:
                self.heads[name] = shown

    def set_colours(self, colours: Iterable[tuple[str, str | None]]) -> None:
        """Take the night's candidates' colours: (name, ``#rrggbb`` or None) each; anything
        but a six-digit lower-case hex colour is left out."""
        for name, colour in colours:
            if theme.hex_style(colour) is not None and colour is not None:
                self.colours[name] = colour

    def set_connection(self, connection: Connection) -> bool:
        """Set the connection state; return whether it changed."""
        if connection == self.connection:
            return False
        self.connection = connection
        return True

    def set_clock(self, clock: ReplayClock | None) -> bool:
        """Take the replay clock just read; return whether it changed."""
        if (
            clock is not None
            and self.pause_requested is not None
            and clock.paused == self.pause_requested
        ):
            self.pause_requested = None  # the replay did as asked
            self.pause_requested_at = None
        if clock == self.clock:
            return False
        self.clock = clock
        return True

    @property
    def paused(self) -> bool:
        """Whether the replay is paused, or about to be (a pause was asked)."""
        if self.pause_requested is not None:
            return self.pause_requested
        return self.clock is not None and self.clock.paused

    def toggle_pause(self, now: float) -> bool:
        """Record a press of ``p`` at ``now``; return True to ask for a pause, False to resume."""
        self.pause_requested = not self.paused
        self.pause_requested_at = now
        return self.pause_requested
