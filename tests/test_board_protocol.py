"""Tests for the board on the wire: ``board`` messages and snapshots against the schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from replay.fixtures import find_night
from replay.timeline import night_updates
from tests.test_protocol import validator
from ticker.board.board_json import board_to_json
from ticker.board.board_state import BoardState
from ticker.board.live_state import LiveState
from ticker.board.night_board import NightBoard
from ticker.terminal.relay_messages import BoardMessage, Snapshot, parse_server_message
from ticker.wire.protocol import board_message, snapshot_message

_SEEN = datetime(2017, 1, 29, 18, 0, tzinfo=UTC)


def test_every_board_of_the_night_matches_the_schema_and_reads_back() -> None:
    """After every update, the board message and the snapshot validate and parse to the board."""
    server = validator("server_message")
    rule = NightBoard(round=2)
    for update in night_updates(find_night("2017-01-29"), seen=_SEEN):
        rule.apply(update)
        board = rule.board()
        text = board_message(board_to_json(board))
        server.validate(json.loads(text))
        message = parse_server_message(text)
        assert isinstance(message, BoardMessage)
        assert message.board == board
        snapshot = snapshot_message(
            count=None, turnout=None, health={}, last_id=None, board=board_to_json(board)
        )
        server.validate(json.loads(snapshot))
        parsed = parse_server_message(snapshot)
        assert isinstance(parsed, Snapshot)
        assert parsed.board == board


def test_the_snapshot_keeps_count_and_turnout_for_older_clients() -> None:
    """At 20:45 the snapshot's count is a 20:41 report and its turnout the 18:26 range."""
    state = LiveState(round=2)
    for index, update in enumerate(night_updates(find_night("2017-01-29"), seen=_SEEN)):
        if update.at.strftime("%d %H:%M") > "29 20:45":
            break
        state.apply(update.with_stream(id=f"{index + 1}-0", op=update.op))
    assert state.count is not None
    assert state.count.uid in {"liveblog:2041", "results:count-2041"}
    assert state.turnout is not None
    assert state.turnout.uid == "liveblog:1826"
    assert state.board["current"]["sources"] == ["liveblog", "results"]
    assert state.board_change() == state.board
    assert state.board_change() is None


def test_a_snapshot_from_a_server_older_than_the_board_still_reads() -> None:
    """No board in the snapshot: it validates, parses with board None, and a ticker computes."""
    old = '{"type":"snapshot","count":null,"turnout":null,"health":{},"last_id":null}'
    validator("server_message").validate(json.loads(old))
    parsed = parse_server_message(old)
    assert isinstance(parsed, Snapshot)
    assert parsed.board is None
    board = BoardState(round=2)
    board.apply_all(night_updates(find_night("2017-01-29"), seen=_SEEN))
    assert not board.relayed
    current = board.board().current
    assert current is not None
    assert current.final
