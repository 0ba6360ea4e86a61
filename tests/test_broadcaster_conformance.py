"""The broadcaster says what docs/protocol.md and docs/protocol.schema.json say, at the edges.

Real clients (websockets) against a real broadcaster on 127.0.0.1: refused connections (a bad
query, a missing token), empty filter names, and ``live.last_id`` on an empty stream.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

from ingest.store.stream_store import StreamStore
from tests.plugins.broadcaster import BroadcasterStarter, make_update, recv_json, recv_until
from tests.test_protocol import validator
from tests.test_sse import read_sse


async def everything_until_closed(ws: ClientConnection) -> tuple[list[dict[str, Any]], int]:
    """Every message up to the server's close, and the close code (-1: no close frame)."""
    messages: list[dict[str, Any]] = []
    while True:
        try:
            messages.append(await recv_json(ws))
        except ConnectionClosed as closed:
            return messages, -1 if closed.rcvd is None else closed.rcvd.code


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("sources=a,,b", "bad_filter"),
        ("kinds=count,", "bad_filter"),
        ("kinds=,count", "bad_filter"),
        ("sources=liveblog,%20", "bad_filter"),
        ("since=yesterday", "bad_since"),
    ],
)
async def test_a_refused_query_gets_one_schema_valid_error_then_4400(
    start_broadcaster: BroadcasterStarter, query: str, code: str
) -> None:
    """Empty names in a filter are bad_filter; a refused query gets an error (no hello), 4400."""
    running = await start_broadcaster()
    async with ws_connect(running.ws_url(query)) as ws:
        messages, close = await everything_until_closed(ws)
    assert [(m["type"], m["code"]) for m in messages] == [("error", code)], messages
    validator("server_message").validate(messages[0])
    assert close == 4400


async def test_a_client_without_the_token_gets_the_unauthorized_error_then_4001(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """The schema's unauthorized code is sent, before 4001, and nothing of the night."""
    await store.append(make_update(1))
    running = await start_broadcaster(token="s3cret")
    async with ws_connect(running.ws_url("since=0&token=wrong")) as ws:
        messages, close = await everything_until_closed(ws)
    assert [(m["type"], m["code"]) for m in messages] == [("error", "unauthorized")]
    validator("server_message").validate(messages[0])
    assert store.stream not in json.dumps(messages)
    assert close == 4001


@pytest.mark.parametrize(("query", "last_id"), [("since=0", "0-0"), ("since=$", "0-0"), ("", None)])
async def test_live_last_id_on_an_empty_stream_is_null_only_without_since(
    start_broadcaster: BroadcasterStarter, query: str, last_id: str | None
) -> None:
    """On an empty stream, live.last_id is "0-0" when a since was asked, null without one."""
    running = await start_broadcaster()
    async with ws_connect(running.ws_url(query)) as ws:
        hello = await recv_json(ws)
        assert hello["type"] == "hello"
        _before, live = await recv_until(ws, "live")
    validator("live").validate(live)
    assert live["last_id"] == last_id


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("sources=a,,b", "bad_filter"),
        ("kinds=count,", "bad_filter"),
        ("kinds=,count", "bad_filter"),
        ("sources=liveblog,%20", "bad_filter"),
        ("since=yesterday", "bad_since"),
    ],
)
async def test_sse_refuses_the_same_queries_with_400_and_the_error(
    start_broadcaster: BroadcasterStarter, query: str, code: str
) -> None:
    """/sse shares the query's rules: 400 with the same schema-valid error, no event."""
    running = await start_broadcaster()
    response, events = await read_sse(running.http_url(f"/sse?{query}"))
    assert response.status == 400
    assert [event["data"]["code"] for event in events] == [code]
    validator("server_message").validate(events[0]["data"])


@pytest.mark.parametrize(("query", "last_id"), [("since=0", "0-0"), ("since=$", "0-0"), ("", None)])
async def test_sse_live_last_id_on_an_empty_stream_is_null_only_without_since(
    start_broadcaster: BroadcasterStarter, query: str, last_id: str | None
) -> None:
    """hello first, then live.last_id as on /ws: "0-0" when a since was asked, null without."""
    running = await start_broadcaster()
    response, events = await read_sse(running.http_url(f"/sse?{query}"))
    assert response.status == 200
    kinds = [event["event"] for event in events if "event" in event]
    assert kinds[0] == "hello"
    (live,) = [event["data"] for event in events if event.get("event") == "live"]
    validator("live").validate(live)
    assert live["last_id"] == last_id
