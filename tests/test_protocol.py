"""Tests for the protocol in ticker.wire (protocol, client_requests, client_filter, ws_frames):
parsing what clients send, building what the server sends. No I/O."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs in the dev extras
import pytest
from referencing import Registry, Resource
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from ingest.model.update import (
    UPDATE_SCHEMA_VERSION,
    Figures,
    Kind,
    Op,
    Previous,
    Update,
    UpdateError,
)
from ticker.wire.client_filter import Filter, parse_filter_values
from ticker.wire.client_requests import (
    ConnectRequest,
    Ping,
    Subscribe,
    parse_client_message,
    parse_connect_query,
)
from ticker.wire.protocol import (
    error_message,
    gap_message,
    health_message,
    hello_message,
    live_message,
    pong_message,
    snapshot_message,
    subscribed_message,
    too_slow_reason,
    update_message,
)
from ticker.wire.protocol_codes import Close, ErrorCode, ProtocolError
from ticker.wire.ws_frames import EncodedUpdate, encode_text_frame, join_frames

DOCS = Path(__file__).resolve().parent.parent / "docs"
PARIS = timezone(timedelta(hours=1))


def load_schema(name: str) -> dict[str, Any]:
    """One of the docs' JSON Schemas."""
    schema: dict[str, Any] = json.loads((DOCS / name).read_text(encoding="utf-8"))
    return schema


def validator(definition: str) -> jsonschema.Draft202012Validator:
    """A validator for one $defs entry of docs/protocol.schema.json."""
    protocol = load_schema("protocol.schema.json")
    update = load_schema("update.schema.json")
    registry: Registry[Any] = Registry().with_resources(
        [
            (protocol["$id"], Resource.from_contents(protocol)),
            (update["$id"], Resource.from_contents(update)),
        ]
    )
    return jsonschema.Draft202012Validator(
        {"$ref": f"{protocol['$id']}#/$defs/{definition}"}, registry=registry
    )


def count_update(**changes: Any) -> Update:
    """The 20h41 count of the night, as read from a stream."""
    fields: dict[str, Any] = {
        "uid": "liveblog:2041",
        "at": datetime(2017, 1, 29, 20, 41, tzinfo=PARIS),
        "source": "liveblog",
        "kind": Kind.COUNT,
        "text": "Benoît Hamon 58.65%, Manuel Valls 41.35% à 60% du dépouillement",
        "seen": datetime(2026, 1, 1, tzinfo=UTC),
        "figures": Figures(shares={"Benoît Hamon": 58.65, "Manuel Valls": 41.35}, counted_pct=60),
        "round": 2,
        "id": "1485718860000-0",
    }
    fields.update(changes)
    return Update(**fields)


def decode_frames(data: bytes) -> list[Frame]:
    """Parse server frames with websockets' own (sans-I/O) frame parser."""
    reader = StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    frames: list[Frame] = []
    while reader.buffer:
        parser = Frame.parse(reader.read_exact, mask=False)
        try:
            next(parser)
        except StopIteration as done:
            frames.append(done.value)
        else:
            raise AssertionError("incomplete frame")
    return frames


# -- the query string ---------------------------------------------------------------------------


def test_an_empty_query_asks_for_the_recent_updates_unfiltered() -> None:
    """No parameters: no since, no filter, no token."""
    assert parse_connect_query("") == ConnectRequest()


@pytest.mark.parametrize(
    ("raw", "since"),
    [
        ("since=0", "0-0"),
        ("since=0-0", "0-0"),
        ("since=%24", "$"),
        ("since=1485718860000-3", "1485718860000-3"),
        ("since=1485718860000", "1485718860000-0"),
        ("since=", None),
    ],
)
def test_since_is_normalised(raw: str, since: str | None) -> None:
    """since: 0 (everything), $ (nothing), an id, a bare ms; empty is absent."""
    assert parse_connect_query(raw).since == since


@pytest.mark.parametrize("raw", ["since=yesterday", "since=12-x", "since=-1", "since=1-2-3"])
def test_a_since_that_is_not_an_id_is_bad_since(raw: str) -> None:
    """Anything but an id, 0 or $ is refused with bad_since."""
    with pytest.raises(ProtocolError) as error:
        parse_connect_query(raw)
    assert error.value.code is ErrorCode.BAD_SINCE


def test_filters_and_token_come_from_the_query() -> None:
    """kinds and sources are comma-separated; the token is read; unknown parameters ignored."""
    request = parse_connect_query("kinds=count,turnout&sources=liveblog&token=t0k&_=123")
    assert request.filter == Filter(
        kinds=frozenset({"count", "turnout"}), sources=frozenset({"liveblog"})
    )
    assert request.token == "t0k"


@pytest.mark.parametrize("raw", ["kinds=gossip", "kinds=", "kinds=,", "sources="])
def test_bad_filters_are_refused(raw: str) -> None:
    """Unknown kinds and empty filters are bad_filter."""
    with pytest.raises(ProtocolError) as error:
        parse_connect_query(raw)
    assert error.value.code is ErrorCode.BAD_FILTER


def test_filter_values_take_a_list_or_a_comma_separated_string() -> None:
    """For the query and the command line: "a, b" is ["a", "b"]; None is everything."""
    assert parse_filter_values("count, speech", field="kinds") == frozenset({"count", "speech"})
    assert parse_filter_values(["liveblog"], field="sources") == frozenset({"liveblog"})
    assert parse_filter_values(None, field="kinds") is None


def test_a_filter_accepts_what_it_names() -> None:
    """Kinds and sources combine with AND; None lets everything through."""
    speeches = Filter(kinds=frozenset({"speech"}))
    assert speeches.accepts("speech", "feed")
    assert not speeches.accepts("news", "feed")
    both = Filter(kinds=frozenset({"speech"}), sources=frozenset({"liveblog"}))
    assert both.accepts("speech", "liveblog")
    assert not both.accepts("speech", "feed")
    assert Filter().is_everything
    assert Filter().accepts("news", "anything")


# -- client messages ----------------------------------------------------------------------------


def test_subscribe_and_ping_parse() -> None:
    """subscribe replaces the filter (null: all); ping is a ping."""
    message = parse_client_message('{"type": "subscribe", "kinds": ["count"], "sources": null}')
    assert message == Subscribe(Filter(kinds=frozenset({"count"})))
    assert parse_client_message('{"type": "subscribe"}') == Subscribe(Filter())
    assert parse_client_message('{"type": "ping", "n": 3}') == Ping()


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{nope", ErrorCode.BAD_JSON),
        ("", ErrorCode.BAD_JSON),
        ('"subscribe"', ErrorCode.BAD_MESSAGE),
        ('{"kinds": ["count"]}', ErrorCode.BAD_MESSAGE),
        ('{"type": 3}', ErrorCode.BAD_MESSAGE),
        ('{"type": "subscribe", "colour": "red"}', ErrorCode.BAD_MESSAGE),
        ('{"type": "subscribe", "kinds": "count"}', ErrorCode.BAD_FILTER),
        ('{"type": "subscribe", "kinds": []}', ErrorCode.BAD_FILTER),
        ('{"type": "subscribe", "kinds": [1]}', ErrorCode.BAD_FILTER),
        ('{"type": "subscribe", "sources": {"a": 1}}', ErrorCode.BAD_FILTER),
        ('{"type": "update", "uid": "x"}', ErrorCode.READ_ONLY),
        ('{"type": "publish"}', ErrorCode.READ_ONLY),
        ('{"type": "hello"}', ErrorCode.UNKNOWN_TYPE),
        (b'{"type": "ping"}', ErrorCode.BAD_MESSAGE),
    ],
)
def test_bad_client_messages_get_their_error_code(raw: str | bytes, code: ErrorCode) -> None:
    """Each kind of bad message maps to one error code."""
    with pytest.raises(ProtocolError) as error:
        parse_client_message(raw)
    assert error.value.code is code
    assert error.value.message


def test_a_comma_separated_string_is_a_filter_in_the_query_but_not_in_a_message() -> None:
    """subscribe wants a JSON list; a string is refused there (only the query splits on commas)."""
    with pytest.raises(ProtocolError) as error:
        parse_client_message('{"type": "subscribe", "kinds": "count,news"}')
    assert error.value.code is ErrorCode.BAD_FILTER


# -- server messages ----------------------------------------------------------------------------


def test_every_server_message_matches_the_schema() -> None:
    """hello, snapshot, gap, update, live, health, error, subscribed and pong validate."""
    server = validator("server_message")
    filt = Filter(kinds=frozenset({"count"}))
    night = {
        "slug": "2017-01-29",
        "title": "Primaire",
        "date": "2017-01-29",
        "round": 2,
        "timezone": "Europe/Paris",
        "candidates": ["Benoît Hamon", "Manuel Valls"],
    }
    health = {"liveblog": {"source": "liveblog", "state": "ok", "consecutive_errors": 0}}
    texts = [
        hello_message(version="1.0", stream="s", night=night, since="0-0", filter=filt),
        hello_message(version="1.0", stream="s", night=None, since=None, filter=Filter()),
        snapshot_message(count=count_update(), turnout=None, health=health, last_id="1-0"),
        snapshot_message(count=None, turnout=None, health={}, last_id=None),
        snapshot_message(
            count=None, turnout=None, health={}, last_id="9-0", embargo_held=["1-0", "5-2"]
        ),
        snapshot_message(count=None, turnout=None, health={}, last_id="9-0", embargo_held=[]),
        gap_message(since="1-0", first_id="5-0", last_trimmed_id="4-0"),
        update_message(count_update()),
        update_message(count_update(op=Op.DELETE)),
        live_message("1485718860000-0"),
        live_message(None),
        health_message(health),
        error_message(ErrorCode.BAD_JSON, "not valid JSON"),
        subscribed_message(filt),
        subscribed_message(Filter()),
        pong_message(),
    ]
    for text in texts:
        server.validate(json.loads(text))


def test_client_messages_match_the_schema() -> None:
    """subscribe and ping validate as client messages; an update does not."""
    client = validator("client_message")
    client.validate({"type": "subscribe", "kinds": ["count"], "sources": None})
    client.validate({"type": "ping"})
    with pytest.raises(jsonschema.ValidationError):
        client.validate({"type": "update"})


def test_an_update_message_is_the_update_with_a_type() -> None:
    """{"type": "update", ...} carries every field of the update, id included."""
    update = count_update()
    message = json.loads(update_message(update))
    assert message.pop("type") == "update"
    assert message == update.to_json()
    assert Update.from_json({**message, "type": "update"}) == update


def test_an_update_of_schema_2_is_valid_and_hello_says_so() -> None:
    """more_figures and rates validate against update.schema.json; hello names the version."""
    update = count_update(
        more_figures=(
            Figures(scope="Vienne", shares={"Benoît Hamon": 35.65}, voters=11234),
            Figures(
                scope="Paris",
                rate_pct=65.3,
                abstention_pct=34.7,
                blank_pct=2.1,
                null_pct=0.9,
                as_of="17:00",
                previous=Previous(rate_pct=71.96, year=2012, round=2),
            ),
            Figures(
                scope="canton de Poitiers-1",
                scope_kind="canton",
                scope_code="8611",
                votes={"Benoît Hamon": 12345},
                seats={"Benoît Hamon": 2},
                seats_total=2,
                registered=60312,
                cast=29876,
                blank=412,
                null=233,
            ),
        )
    )
    validator("update").validate(json.loads(update_message(update)))
    hello = hello_message(version="1.0", stream="s", night=None, since=None, filter=Filter())
    assert json.loads(hello)["update_schema"] == UPDATE_SCHEMA_VERSION
    schema = load_schema("update.schema.json")
    assert schema["x-schema-version"] == UPDATE_SCHEMA_VERSION == 4
    duplicate = {**update.to_json(), "type": "update", "more_figures": [{"scope": "x", "y": 1}]}
    with pytest.raises(jsonschema.ValidationError):
        validator("update").validate(duplicate)


def test_messages_escape_what_could_split_a_line_or_drive_a_terminal() -> None:
    """C1 controls and line separators in text are escaped in the JSON text."""
    text = update_message(count_update(text="a\u2028b\u009bc"))
    assert "\u2028" not in text
    assert "\u009b" not in text
    assert json.loads(text)["text"] == "a\u2028b\u009bc"


def test_the_too_slow_reason_carries_the_last_id_and_fits_a_close_frame() -> None:
    """4008's reason says where to resume; it fits in 123 bytes."""
    assert too_slow_reason("1485718860000-0") == "too slow; last_id=1485718860000-0"
    assert too_slow_reason(None) == "too slow; last_id=0-0"
    longest = f"{2**64 - 1}-{2**64 - 1}"
    assert len(too_slow_reason(longest).encode()) <= 123
    assert int(Close.TOO_SLOW) == 4008


# -- frames -------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 200_000])
def test_frames_decode_with_websockets_parser(size: int) -> None:
    """encode_text_frame gives what websockets parses back, for each length encoding."""
    text = "é" * (size // 2) + "x" * (size % 2)
    (frame,) = decode_frames(encode_text_frame(text))
    assert frame.opcode is Opcode.TEXT
    assert frame.fin
    assert bytes(frame.data).decode() == text


def test_an_encoded_update_is_one_frame_of_its_message() -> None:
    """EncodedUpdate carries the id, its sort key, kind, source and the frame."""
    entry = EncodedUpdate.of(count_update())
    assert entry.key == (1485718860000, 0)
    assert (entry.kind, entry.source) == ("count", "liveblog")
    (frame,) = decode_frames(entry.frame)
    assert json.loads(bytes(frame.data)) == json.loads(update_message(count_update()))
    with pytest.raises(ValueError, match="id"):
        EncodedUpdate.of(count_update(id=None))


def test_join_frames_keeps_what_the_filter_accepts_in_order() -> None:
    """One bytes for a batch, filtered, in stream order."""
    entries = [
        EncodedUpdate.of(count_update(uid=f"u{n}", id=f"{n}-0", kind=kind))
        for n, kind in enumerate([Kind.COUNT, Kind.NEWS, Kind.COUNT], start=1)
    ]
    everything, count = join_frames(entries, Filter())
    assert count == 3
    assert everything == b"".join(entry.frame for entry in entries)
    counts, count = join_frames(entries, Filter(kinds=frozenset({"count"})))
    assert count == 2
    assert [json.loads(bytes(f.data))["uid"] for f in decode_frames(counts)] == ["u1", "u3"]


def test_an_undated_update_of_schema_4_says_so_and_round_trips() -> None:
    """``undated: true`` (its ``at`` is when soiree first saw it) validates, is part of the
    content, and reads back; ``undated: false`` is no value (absent means dated)."""
    update = count_update(undated=True)
    message = json.loads(update_message(update))
    assert message["undated"] is True
    validator("update").validate(message)
    assert Update.from_json(message) == update
    assert update.content_digest() != count_update().content_digest()
    assert "undated" not in count_update().to_json()
    with pytest.raises(jsonschema.ValidationError):
        validator("update").validate({**message, "undated": False})
    with pytest.raises(UpdateError, match="undated"):
        Update.from_json({**message, "undated": False})
