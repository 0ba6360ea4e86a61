"""What the broadcaster knows of the night so far: the board, recent updates.

Pure: the broadcaster's one Redis reader feeds every update it reads, in stream order, to
:meth:`LiveState.apply` and :meth:`RecentUpdates.add`; new clients get their snapshot and their
backlog from here, without a Redis round trip per client.

What is current is not decided here: :class:`LiveState` runs the board rule
(:class:`ticker.board.night_board.NightBoard`) and keeps its JSON for the ``snapshot`` and ``board``
messages. For clients older than the board, the snapshot also carries the update of the
current count (the newest report of the board's current result, when it is a count) and of
the latest national turnout point.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any

from ingest.model.update import Kind, Op, Update
from ticker.board.board_json import board_to_json
from ticker.board.night_board import NightBoard
from ticker.wire.stream_positions import SINCE_NOW, SINCE_START, id_key
from ticker.wire.ws_frames import EncodedUpdate

__all__ = ["LiveState", "RecentUpdates"]


class LiveState:
    """The night's board, from every update read in stream order."""

    def __init__(self, round: int | None = None) -> None:
        self._rule = NightBoard(round=round)
        self._latest: dict[str, Update] = {}
        self._board_json: dict[str, Any] | None = None
        self._sent: dict[str, Any] | None = None
        self.last_id: str | None = None

    @property
    def board(self) -> dict[str, Any]:
        """The board's JSON object (``docs/protocol.md``, "board")."""
        if self._board_json is None:
            self._board_json = board_to_json(self._rule.board())
        return self._board_json

    def _newest(self, uids: tuple[str, ...]) -> Update | None:
        known = [self._latest[uid] for uid in uids if uid in self._latest]
        return max(known, key=lambda update: (update.at, update.id or ""), default=None)

    @property
    def count(self) -> Update | None:
        """The newest update of the current result when it is a count (old clients' snapshot)."""
        current = self._rule.board().current
        if current is None or current.point.kind is not Kind.COUNT:
            return None
        return self._newest(current.point.uids)

    @property
    def turnout(self) -> Update | None:
        """The newest update of the latest national turnout point (old clients' snapshot)."""
        turnout = self._rule.board().turnout
        return self._newest(turnout[-1].uids) if turnout else None

    def apply(self, update: Update) -> bool:
        """Take one update (read from the stream, in order); return whether the board may
        have changed."""
        if update.id is not None:
            self.last_id = update.id
        if update.op is Op.DELETE:
            self._latest.pop(update.uid, None)
        elif update.kind in (Kind.COUNT, Kind.TURNOUT, Kind.ESTIMATE):
            self._latest[update.uid] = update
        if not self._rule.apply(update):
            return False
        self._board_json = None  # computed when asked: once per batch, not per update
        return True

    def board_change(self) -> dict[str, Any] | None:
        """The board if it changed since the last call (then: a ``board`` message is due)."""
        board = self.board
        if board == self._sent:
            return None
        self._sent = board
        return board


class RecentUpdates:
    """The newest ``capacity`` updates read, encoded, oldest first: the in-memory backlog.

    It holds a contiguous run of the stream: every entry read after its first one. A client
    whose ``since`` falls within it is served from memory; an older one goes to Redis.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 0:
            raise ValueError(f"capacity must not be negative, got {capacity}")
        self._entries: deque[EncodedUpdate] = deque(maxlen=capacity or None)
        self._capacity = capacity

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[EncodedUpdate]:
        return iter(self._entries)

    def add(self, entry: EncodedUpdate) -> None:
        """Append the next entry read (entries come in stream order)."""
        if self._capacity:
            self._entries.append(entry)

    def covers(self, since: tuple[int, int]) -> bool:
        """Whether every entry after ``since`` that was read is here.

        True when ``since`` is at or after the first entry held: nothing after it can have
        been dropped from memory.
        """
        return bool(self._entries) and since >= self._entries[0].key

    def after(self, since: tuple[int, int]) -> list[EncodedUpdate]:
        """The entries held with ids after ``since``, oldest first."""
        entries = self._entries
        # Clients usually resume near the end: walk back from the newest.
        index = len(entries)
        while index > 0 and entries[index - 1].key > since:
            index -= 1
        return [entries[position] for position in range(index, len(entries))]

    def backlog(
        self, since: str | None, position: tuple[int, int], *, newest: int
    ) -> list[EncodedUpdate] | None:
        """What a client joining with ``since`` gets from memory (``/ws`` and ``/sse`` alike),
        the reader being at ``position``; None when only Redis holds it.

        No ``since``: the ``newest`` recent entries; ``$`` or the position itself: nothing;
        an id this memory covers: the entries after it.
        """
        if since is None:
            return self.newest(newest)
        if since == SINCE_NOW or (since != SINCE_START and id_key(since) == position):
            return []
        if since != SINCE_START and id_key(since) < position and self.covers(id_key(since)):
            return self.after(id_key(since))
        return None

    def newest(self, count: int) -> list[EncodedUpdate]:
        """The ``count`` newest entries held, oldest first."""
        if count <= 0:
            return []
        entries = self._entries
        start = max(0, len(entries) - count)
        return [entries[position] for position in range(start, len(entries))]
