"""Tests for ticker.terminal.relay_messages: the websocket URL the ticker opens, the messages it
reads."""

from __future__ import annotations

import json

import pytest

from ingest.model.update import Kind
from ticker.terminal.relay_messages import (
    Gap,
    Health,
    Hello,
    Ignored,
    Live,
    RelayMessageError,
    ServerError,
    Snapshot,
    UpdateMessage,
    describe_url,
    parse_server_message,
    relay_url,
)
from ticker.wire.client_filter import Filter

UPDATE = {
    "id": "1485718860000-0",
    "uid": "liveblog:2041",
    "op": "add",
    "at": "2017-01-29T20:41:00+01:00",
    "seen": "2017-01-29T19:41:02+00:00",
    "source": "liveblog",
    "kind": "count",
    "text": "Benoît Hamon vainqueur \x1b[31mavec 58.65%",
    "figures": {"scope": "national", "shares": {"Benoît Hamon": 58.65}, "counted_pct": 60},
    "round": 2,
}


@pytest.mark.parametrize(
    ("base", "since", "wanted", "expected"),
    [
        ("ws://127.0.0.1:8765", None, Filter(), "ws://127.0.0.1:8765/ws?since=0-0"),
        ("ws://h:1/ws", "12-3", Filter(), "ws://h:1/ws?since=12-3"),
        (
            "wss://h/ws?token=t&since=5-0",
            "7",
            Filter(kinds=frozenset({"speech", "count"}), sources=frozenset({"liveblog"})),
            "wss://h/ws?token=t&since=7-0&kinds=count,speech&sources=liveblog",
        ),
    ],
)
def test_relay_url(base: str, since: str | None, wanted: Filter, expected: str) -> None:
    """The URL carries since (0-0 at first), the filters, and keeps other parameters."""
    assert relay_url(base, since=since, filter=wanted) == expected


@pytest.mark.parametrize("base", ["http://h/ws", "ws:///ws", "redis://h"])
def test_relay_url_refuses_other_schemes(base: str) -> None:
    """Only ws:// and wss:// URLs with a host work."""
    with pytest.raises(ValueError, match="websocket URL"):
        relay_url(base, since=None)


def test_describe_url_hides_credentials() -> None:
    """What the header shows of a URL: scheme, host and port only."""
    assert describe_url("wss://user:secret@news.example:443/ws?token=abc") == (
        "wss · news.example:443"
    )


def test_parse_update_cleans_its_text() -> None:
    """An update message is validated, and its text cleaned of escapes."""
    message = parse_server_message(json.dumps({"type": "update", **UPDATE}))
    assert isinstance(message, UpdateMessage)
    assert message.update.kind is Kind.COUNT
    assert message.update.id == "1485718860000-0"
    assert message.update.text == "Benoît Hamon vainqueur avec 58.65%"


def test_parse_hello_with_night() -> None:
    """hello gives the night's title, date, round, time zone and candidates."""
    hello = parse_server_message(
        json.dumps(
            {
                "type": "hello",
                "stream": "soiree:night:2017-01-29",
                "night": {
                    "title": "Primaire",
                    "date": "2017-01-29",
                    "round": 2,
                    "timezone": "Europe/Paris",
                    "candidates": ["Benoît Hamon", "Manuel Valls"],
                },
            }
        )
    )
    assert isinstance(hello, Hello)
    assert hello.title == "Primaire"
    assert hello.night_date is not None
    assert hello.night_date.isoformat() == "2017-01-29"
    assert hello.round == 2
    assert hello.timezone is not None
    assert hello.timezone.key == "Europe/Paris"
    assert hello.candidates == ("Benoît Hamon", "Manuel Valls")
    bare = parse_server_message('{"type": "hello", "night": {"timezone": "Mars/Olympus"}}')
    assert bare == Hello()


def test_parse_other_messages() -> None:
    """snapshot, live, gap, health, error; unknown types are ignored, not fatal."""
    snapshot = parse_server_message(
        json.dumps(
            {
                "type": "snapshot",
                "count": UPDATE,
                "turnout": None,
                "health": {"liveblog": {"state": "ok"}, "bad": 3},
                "last_id": "9-0",
            }
        )
    )
    assert isinstance(snapshot, Snapshot)
    assert snapshot.count is not None
    assert snapshot.turnout is None
    assert snapshot.health == {"liveblog": {"state": "ok"}}
    assert parse_server_message('{"type": "live", "last_id": "9-0"}') == Live("9-0")
    assert parse_server_message('{"type": "gap", "since": "1-0", "first_id": "5-0"}') == Gap(
        "1-0", "5-0"
    )
    assert parse_server_message('{"type": "health", "sources": {}}') == Health({})
    assert parse_server_message('{"type": "error", "code": "bad_since", "message": "m"}') == (
        ServerError("bad_since", "m")
    )
    assert parse_server_message('{"type": "pong"}') == Ignored("pong")


def test_parse_the_snapshot_s_embargo() -> None:
    """A staff snapshot's ``embargo.held``: the ids held now; absent or malformed: None (the
    ticker keeps its marks); anything in the list but a stream id is left out."""

    def held(embargo: object) -> frozenset[str] | None:
        message = {"type": "snapshot", "health": {}, "embargo": embargo}
        snapshot = parse_server_message(json.dumps(message))
        assert isinstance(snapshot, Snapshot)
        return snapshot.embargo_held

    assert held({"held": ["12-0", "15-3"]}) == frozenset({"12-0", "15-3"})
    assert held({"held": []}) == frozenset()
    assert held({"held": ["12-0", 3, "\x1b[31m", "12-0x", None]}) == frozenset({"12-0"})
    assert held(None) is None
    assert held({"held": "12-0"}) is None
    assert held(["12-0"]) is None
    snapshot = parse_server_message('{"type": "snapshot", "health": {}}')
    assert isinstance(snapshot, Snapshot)
    assert snapshot.embargo_held is None


@pytest.mark.parametrize(
    "raw",
    ["not json", "[]", '{"no": "type"}', '{"type": "update", "uid": "x"}', b"\xff"],
)
def test_parse_refuses_garbage(raw: str | bytes) -> None:
    """What cannot be read raises RelayMessageError (the relay skips it)."""
    with pytest.raises(RelayMessageError):
        parse_server_message(raw)
