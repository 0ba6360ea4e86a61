"""What the reader read, to every live client: states, boards, snapshots, embargo and desk.

The broadcaster's delivery, without sockets of its own: each batch the reader reads
(:meth:`Delivery.deliver`) goes into the snapshot state
(:class:`~ticker.board.live_state.LiveState`) and the recent updates, then to every live
client through the fan-outs, ``/ws`` and ``/sse`` (:meth:`Delivery.connect`), without waiting
for any; a slow client is closed (4008).

- **Two audiences.** Without an embargo, public and staff clients see the same stream (one
  state). With one (a night with a closing time), public clients get what
  :class:`~ticker.broadcast.embargo_view.EmbargoView` lets through, with a state, board and
  snapshot of their own; staff clients have a fan-out of their own and get everything, held
  updates marked. Releases come from the clock (a replay's, else the wall clock; checked as it
  changes and every 0.25 s: :meth:`Delivery.tick_forever`) and from editors' acts
  (:meth:`Delivery.act`).
- **Snapshots** (public and staff) are encoded once per reader position, and dropped when what
  they carry changes: the state, the desk, the sources' health, a replay's clock.
- **Boards, health, clock and desk changes** are sent to the clients already live.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, Final

from ingest.model.desk_action import DeskAction
from ticker.board.live_state import LiveState, RecentUpdates
from ticker.broadcast.clock_watch import ClockJson
from ticker.broadcast.desk_view import DeskView
from ticker.broadcast.embargo_view import EmbargoView
from ticker.broadcast.export_routes import ResultsExport
from ticker.broadcast.fan_out import FanOut
from ticker.broadcast.health_watch import SourcesHealth
from ticker.broadcast.metrics import BroadcasterMetrics
from ticker.broadcast.options import BroadcasterOptions
from ticker.broadcast.reader import StreamReader
from ticker.broadcast.sse_hub import SseHub
from ticker.broadcast.ws_client import WsClient
from ticker.broadcast.ws_endpoint import PublicHooks, StaffView, WsEndpoint
from ticker.wire.embargo import EmbargoAct
from ticker.wire.protocol import (
    board_message,
    clock_message,
    desk_message,
    health_message,
    snapshot_message,
)
from ticker.wire.ws_frames import EncodedUpdate, encode_text_frame

__all__ = ["Delivery"]

logger = logging.getLogger(__name__)

#: The night's time while the replay clock is not known yet (see ``Delivery._now``).
_NOT_KNOWN_YET: Final = datetime.min.replace(tzinfo=UTC)


class Delivery:
    """The broadcaster's delivery (see the module docstring).

    Built first (the reader, ``/ws`` and ``/sse`` take its methods), then :meth:`connect`\\ ed
    to them before the reader runs.
    """

    # Set by connect(): the reader's position, and the clients of /ws and /sse.
    _reader: StreamReader
    _ws: WsEndpoint
    _sse: SseHub

    def __init__(
        self,
        options: BroadcasterOptions,
        *,
        fan_out: FanOut[WsClient],
        staff_fan_out: FanOut[WsClient],
        recent: RecentUpdates,
        exports: ResultsExport,
        metrics: BroadcasterMetrics,
        health: Callable[[], SourcesHealth],
        clock: Callable[[], ClockJson | None],
        clock_known: Callable[[], bool],
    ) -> None:
        self._options = options
        self._fan_out = fan_out
        self._staff_fan_out = staff_fan_out
        self._recent = recent
        self._exports = exports
        self._metrics = metrics
        self._health = health
        self._clock = clock
        self._clock_known = clock_known
        night_round = (options.night or {}).get("round")
        self._state = LiveState(round=night_round if night_round in (1, 2) else None)
        #: The embargo (None: nothing is ever held) and the public clients' own state, fed
        #: with what the embargo lets through (the staff's is ``_state``, the whole stream).
        self._embargo = (
            None if options.embargo_closes is None else EmbargoView(options.embargo_closes)
        )
        self._public_state = (
            self._state
            if self._embargo is None
            else LiveState(round=night_round if night_round in (1, 2) else None)
        )
        #: The desk's actions (``soiree desk``, ``POST /desk``): :mod:`ticker.broadcast.desk_view`.
        self.desk = DeskView()
        #: The snapshot frame, and the reader's position it was built at.
        self._snapshot: bytes | None = None
        self._snapshot_at: str | None = None
        self._staff_snapshot: tuple[str | None, bytes] | None = None

    def connect(self, reader: StreamReader, ws: WsEndpoint, sse: SseHub) -> None:
        """The reader (its position) and the clients of ``/ws`` and ``/sse``."""
        self._reader = reader
        self._ws = ws
        self._sse = sse

    @property
    def embargoed(self) -> bool:
        """Whether the night has an embargo (a closing time)."""
        return self._embargo is not None

    def public_board(self) -> Mapping[str, Any]:
        """The board public clients see (what the embargo let through)."""
        return self._public_state.board

    def staff_view(self) -> StaffView:
        """What ``/ws`` needs for staff clients: their fan-out, snapshot, board, view."""
        return StaffView(
            self._staff_fan_out,
            self.staff_snapshot_frame,
            lambda: self._state.board,
            self._embargo.staff if self._embargo else lambda entries: entries,
        )

    def public_hooks(self) -> PublicHooks:
        """What ``/ws`` and ``/sse`` need for public clients: the view and what they missed."""
        return PublicHooks(self.public_view, self.missed)

    def missed(self, since: str | None) -> list[EncodedUpdate]:
        """Updates released since ``since`` that a resuming public client has not had."""
        return [] if self._embargo is None else self._embargo.missed(since)

    # -- what the reader read ---------------------------------------------------------------

    def deliver(self, entries: list[EncodedUpdate], warm: bool) -> None:
        """A batch the reader read: into the state and memory, then to every live client
        (public clients: what the embargo lets through; staff: everything, held ones marked)."""
        flagged = False
        for entry in entries:
            counted, flags = self.desk.read(entry.update)
            flagged = flags or flagged
            if self._state.apply(counted):
                self._snapshot = None
            self._recent.add(entry)
        if flagged and warm:
            self._desk_changed()
        if self._embargo is None:
            self._publish(entries, warm)
            self._publish_to(self._staff_fan_out, entries)  # staff clients have their own
            return
        self._staff_snapshot = None
        public = self._embargo.admit(entries, self._now(), self._reader.position_key)
        batch = {entry.id for entry in entries}
        released = [entry for entry in public if entry.id not in batch]
        if released:
            logger.info("embargo: %d updates released to public clients", len(released))
            self._ws.release(released)
        # Staff: what was released, once more without the marker, then the batch (held marked).
        self._publish_to(self._staff_fan_out, released + self._embargo.staff(entries))
        if public:
            self._publish(public, warm)
        if warm:
            staff_board = self._state.board_change()
            if staff_board is not None:
                self._staff_fan_out.broadcast(encode_text_frame(board_message(staff_board)))

    def _publish(self, entries: list[EncodedUpdate], warm: bool) -> None:
        """Public updates (every update, without an embargo): state, exports, clients."""
        if self._public_state is not self._state:
            for entry in entries:
                if self._public_state.apply(self.desk.published(entry.update)):
                    self._snapshot = None
        for entry in entries:
            self._exports.apply(self.desk.published(entry.update))
        self._publish_to(self._fan_out, entries)  # joining clients chase it
        self._sse.publish(entries)
        if warm:
            # While warming up nobody is live; the board is taken once warm.
            board = self._public_state.board_change()
            if board is not None:
                frame = encode_text_frame(board_message(board))
                self._fan_out.broadcast(frame)
                self._sse.broadcast_frame(frame)
                if self._public_state is self._state:
                    self._staff_fan_out.broadcast(frame)

    def _publish_to(self, fan_out: FanOut[WsClient], entries: list[EncodedUpdate]) -> None:
        sent, slow = fan_out.publish(entries)
        if sent:
            self._metrics.updates_sent.inc(sent)
        for client in slow:
            self._ws.close_slow(client)

    def warmed(self) -> None:
        """The reader has read the stream up to where it ended at the start: the board every
        snapshot carries from now on, also sent to the clients already live (a client with
        ``since`` may have caught up with the reader, and gone live, while it warmed up)."""
        board = self._public_state.board_change()
        if board is not None:
            self._snapshot = None
            self._broadcast_text(board_message(board))
        # The staff snapshot says what is held only once warm (see _snapshot_of).
        self._staff_snapshot = None
        if self._public_state is not self._state:
            staff_board = self._state.board_change()
            if staff_board is not None:
                self._staff_fan_out.broadcast(encode_text_frame(board_message(staff_board)))

    def _broadcast_text(self, text: str) -> None:
        """Write one message to every live client (board, health and clock changes)."""
        frame = encode_text_frame(text)
        self._fan_out.broadcast(frame)
        self._staff_fan_out.broadcast(frame)
        self._sse.broadcast_frame(frame)

    # -- the embargo ------------------------------------------------------------------------

    def public_view(self, entries: list[EncodedUpdate]) -> list[EncodedUpdate]:
        """A backlog as public clients get it: without what the embargo holds now."""
        return entries if self._embargo is None else self._embargo.public(entries)

    def _now(self) -> datetime:
        """The night's time: the replay's virtual clock, else the wall clock.

        Before the replay clock's hash was read once (Redis slow or away at the start), the
        earliest instant: only the updates' own times move the embargo on, never the wall clock
        (on a replay, that would release every held update at once, for good).
        """
        if not self._clock_known():
            return _NOT_KNOWN_YET
        clock = self._clock()
        if clock is not None:
            with contextlib.suppress(KeyError, TypeError, ValueError):
                return datetime.fromisoformat(str(clock["virtual_time"]))
        return datetime.now(UTC)

    def _tick(self) -> None:
        """Release what the embargo no longer holds: to public clients, and to staff unmarked."""
        if self._embargo is None or not self._embargo.holding or not self._clock_known():
            return
        self._release(self._embargo.tick(self._now(), self._reader.position_key))

    def act(self, act: EmbargoAct) -> None:
        """An editor's release or hold (``soiree embargo``)."""
        if self._embargo is None:
            logger.warning("embargo %s ignored: the night has no closing time", act.act.value)
            return
        self._release(self._embargo.act(act, self._reader.position_key))

    def _release(self, released: list[EncodedUpdate]) -> None:
        if released:
            logger.info("embargo: %d updates released to public clients", len(released))
            self._ws.release(released)
            self._staff_snapshot = None
            self._publish_to(self._staff_fan_out, released)
            self._publish(released, self._reader.warm.is_set())

    async def tick_forever(self) -> None:
        """Release what the clock frees, checked every 0.25 s (at most): the embargo's task."""
        while True:
            self._tick()
            await asyncio.sleep(min(0.25, self._options.clock_interval))

    # -- snapshots --------------------------------------------------------------------------

    def snapshot_frame(self) -> bytes:
        """The public clients' snapshot (from what the embargo let through)."""
        position = self._reader.position
        if self._snapshot is None or self._snapshot_at != position:
            self._snapshot = self._snapshot_of(self._public_state)
            self._snapshot_at = position
        return self._snapshot

    def staff_snapshot_frame(self) -> bytes:
        """The staff clients' snapshot (the whole stream)."""
        if self._public_state is self._state and not self.desk.state.flagged:
            return self.snapshot_frame()
        position = self._reader.position
        if self._staff_snapshot is None or self._staff_snapshot[0] != position:
            self._staff_snapshot = (position, self._snapshot_of(self._state, staff=True))
        return self._staff_snapshot[1]

    def _snapshot_of(self, state: LiveState, *, staff: bool = False) -> bytes:
        return encode_text_frame(
            snapshot_message(
                count=state.count,
                turnout=state.turnout,
                health=self._health(),
                last_id=self._reader.position,
                board=state.board,
                clock=self._clock(),
                desk=self.desk.staff_json() if staff else self.desk.public_json(),
                # Staff: what is held now, so that a client back after a release drops its marks;
                # only once warm: before, the reader may be behind a resuming client's since,
                # whose marks past the reader's position the list would wrongly drop (a client
                # without the field keeps its marks, the safe side).
                embargo_held=(
                    self._embargo.held_ids
                    if staff and self._embargo and self._reader.warm.is_set()
                    else None
                ),
            )
        )

    # -- the desk, the sources' health, a replay's clock --------------------------------------

    def desk_action(self, action: DeskAction) -> None:
        """An action of the desk read from its log: into the state, the boards and clients."""
        logger.info("desk: %s %s by %s", action.verb.value, action.target, action.who)
        edit = self.desk.act(action)
        self._snapshot = self._staff_snapshot = None
        if edit is not None:
            self._state.apply(edit.update)
            if edit.public and self._public_state is not self._state:
                self._public_state.apply(edit.update)
            if edit.public:
                self._exports.apply(edit.update)
        if self._reader.warm.is_set():
            self._desk_changed()
            self.warmed()  # the boards that changed, to their clients

    def _desk_changed(self) -> None:
        self._snapshot = self._staff_snapshot = None
        public = encode_text_frame(desk_message(self.desk.public_json()))
        self._fan_out.broadcast(public)
        self._sse.broadcast_frame(public)
        self._staff_fan_out.broadcast(encode_text_frame(desk_message(self.desk.staff_json())))

    def health_changed(self, health: SourcesHealth) -> None:
        """The sources' health changed: to every live client."""
        self._snapshot = self._staff_snapshot = None
        self._broadcast_text(health_message(health))

    def clock_changed(self, clock: ClockJson) -> None:
        """A replay's clock changed: to every live client, and what the embargo now frees."""
        self._snapshot = self._staff_snapshot = None
        self._broadcast_text(clock_message(clock))
        self._tick()
