"""/sse: the websocket's messages as server-sent events, resumable by Last-Event-ID, with the
same token, origin and slow-client rules; read with aiohttp, a stalled raw socket and `curl -N`."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
from typing import Any

import aiohttp
import pytest
from redis.asyncio import Redis
from websockets.asyncio.client import connect as ws_connect

from ingest.model.update import Figures, Kind
from ingest.store.stream_store import StreamStore
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.broadcaster import (
    BroadcasterStarter,
    RunningBroadcaster,
    make_update,
    recv_json,
    recv_until,
)

Event = dict[str, Any]


def parse_events(text: str) -> list[Event]:
    """The events of an event-stream text: id, event, data (parsed JSON), or a comment."""
    events: list[Event] = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        event: Event = {}
        for line in block.split("\n"):
            if not line:
                continue
            if line.startswith(":"):
                event.setdefault("comments", []).append(line[1:].strip())
                continue
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            event[name] = json.loads(value) if name == "data" else value
        if event:
            events.append(event)
    return events


async def read_sse(
    url: str, *, until: str = "live", headers: dict[str, str] | None = None
) -> tuple[aiohttp.ClientResponse, list[Event]]:
    """Read the event stream at ``url`` until an event of type ``until``; then disconnect."""
    buffer = ""
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as response:
        if response.status != 200:
            return response, [{"data": await response.json(), "status": response.status}]
        async with asyncio.timeout(10 * TIMEOUT_FACTOR):
            async for chunk in response.content.iter_any():
                buffer += chunk.decode()
                events = parse_events(buffer.rsplit("\n\n", 1)[0])
                if any(e.get("event") == until for e in events):
                    return response, events
    raise AssertionError(f"the stream ended before {until}: {buffer[-300:]}")


async def ws_messages(running: RunningBroadcaster, query: str) -> list[dict[str, Any]]:
    """The messages /ws sends for ``query`` up to ``live``."""
    async with ws_connect(running.ws_url(query)) as ws:
        before, live = await recv_until(ws, "live")
    return [*before, live]


async def test_sse_sends_what_the_websocket_sends(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """hello, snapshot, the backlog and live: the same messages, with ids on updates and live."""
    for n in range(1, 6):
        await store.append(make_update(n, kind=Kind.SPEECH if n % 2 else Kind.NEWS))
    running = await start_broadcaster()
    for query in ("", "since=0", "kinds=speech", "sources=liveblog&kinds=news,speech"):
        response, events = await read_sse(running.http_url("/sse?" + query))
        assert response.headers["Content-Type"].startswith("text/event-stream")
        assert response.headers["Cache-Control"] == "no-cache"
        expected = await ws_messages(running, query)
        messages = [e for e in events if "data" in e]
        assert [e["data"] for e in messages] == expected
        assert [e["event"] for e in messages] == [m["type"] for m in expected]
        for event in messages:
            if event["event"] == "update":
                assert event["id"] == event["data"]["id"]
            elif event["event"] == "live":
                assert event["id"] == event["data"]["last_id"]
            else:
                assert "id" not in event
        assert events[0] == {"retry": "2000"}


async def test_last_event_id_resumes_exactly_as_since_does(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """Last-Event-ID (which wins over since=) gives the updates after it, each once."""
    ids = [str((await store.append(make_update(n))).id) for n in range(1, 8)]
    running = await start_broadcaster(recent=3)  # some from memory, the rest from Redis
    for cursor in (ids[1], ids[5], ids[6]):
        _, events = await read_sse(
            running.http_url(f"/sse?since={ids[0]}"), headers={"Last-Event-ID": cursor}
        )
        updates = [e["id"] for e in events if e.get("event") == "update"]
        assert updates == ids[ids.index(cursor) + 1 :]
        expected = await ws_messages(running, f"since={cursor}")
        assert [e["data"] for e in events if "data" in e][2:] == expected[2:]


async def test_live_updates_board_and_heartbeats_reach_a_connected_client(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """After live: new updates with their ids, the board when it changes, heartbeat comments."""
    running = await start_broadcaster(sse_heartbeat=0.05)
    count = Figures(shares={"Benoît Hamon": 58.0, "Manuel Valls": 42.0}, counted_pct=50)
    buffer = ""
    async with (
        aiohttp.ClientSession() as session,
        session.get(running.http_url("/sse?since=$")) as response,
    ):
        async with asyncio.timeout(10 * TIMEOUT_FACTOR):
            async for chunk in response.content.iter_any():
                buffer += chunk.decode()
                if "event: live" in buffer:
                    break
            appended = await store.append(make_update(1, kind=Kind.COUNT, figures=count))
            while not ("event: board" in buffer and ": heartbeat" in buffer):
                buffer += (await response.content.readany()).decode()
    events = parse_events(buffer.rsplit("\n\n", 1)[0])
    update = next(e for e in events if e.get("event") == "update")
    assert update["id"] == appended.id
    board = next(e for e in events if e.get("event") == "board")
    assert board["data"]["board"]["current"]["figures"]["counted_pct"] == 50
    assert any("heartbeat" in e.get("comments", []) for e in events)


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("1-2-3", "bad_since"),
        ("nope", "bad_since"),
        ("1-0&kinds=speech", "bad_since"),
        ("99999999999999-0", "unknown_since"),
    ],
)
async def test_a_bad_id_gets_the_documented_error(
    store: StreamStore, start_broadcaster: BroadcasterStarter, header: str, code: str
) -> None:
    """A malformed or unknown Last-Event-ID: 400 with a JSON error (EventSource stops)."""
    await store.append(make_update(1))
    running = await start_broadcaster()
    response, events = await read_sse(running.http_url("/sse"), headers={"Last-Event-ID": header})
    assert response.status == 400
    assert events[0]["data"]["type"] == "error"
    assert events[0]["data"]["code"] == code


async def test_sse_wants_the_token_and_an_allowed_origin(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """401 without the token (?token= works), 403 for a foreign origin, CORS for an allowed one."""
    await store.append(make_update(1))
    running = await start_broadcaster(token="s3cret", allowed_origins=("https://partner.example",))
    response, events = await read_sse(running.http_url("/sse"))
    assert response.status == 401
    assert events[0]["data"]["code"] == "unauthorized"
    response, events = await read_sse(
        running.http_url("/sse?token=s3cret"), headers={"Origin": "https://partner.example"}
    )
    assert response.status == 200
    assert response.headers["Access-Control-Allow-Origin"] == "https://partner.example"
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            running.http_url("/sse?token=s3cret"), headers={"Origin": "https://evil.example"}
        ) as refused,
    ):
        assert refused.status == 403


async def test_a_client_that_does_not_read_is_cut_off_and_resumes_without_loss(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """Over max_pending_bytes the stream ends (last id in a comment); resuming loses nothing."""
    running = await start_broadcaster(max_pending_bytes=16 * 1024)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, ("127.0.0.1", running.port))
    await loop.sock_sendall(sock, b"GET /sse?since=$ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    await asyncio.sleep(0.2)
    ids = []
    async with asyncio.timeout(20 * TIMEOUT_FACTOR):
        n = 0
        while running.broadcaster._sse.slow_closed == 0:
            n += 1
            ids.append((await store.append(make_update(n, text="x" * 4000))).id)
            await asyncio.sleep(0.005)
    received = b""
    async with asyncio.timeout(10 * TIMEOUT_FACTOR):
        while chunk := await loop.sock_recv(sock, 65536):
            received += chunk
    sock.close()
    text = body_of(received.decode(errors="replace"))
    events = parse_events(text)
    seen = [e["id"] for e in events if e.get("event") == "update"]
    cut = next(c for e in events for c in e.get("comments", []) if c.startswith("too slow"))
    last_id = cut.removeprefix("too slow; last_id=")
    assert seen[-1] == last_id
    assert seen == ids[: len(seen)]
    assert len(seen) < len(ids)
    _, resumed = await read_sse(running.http_url("/sse"), headers={"Last-Event-ID": last_id})
    rest = [e["id"] for e in resumed if e.get("event") == "update"]
    assert seen + rest == ids


def body_of(response: str) -> str:
    """The body of an HTTP response's text (after the blank line ending its head)."""
    return response.replace("\r\n", "\n").split("\n\n", 1)[1]


def curl_sse(url: str, *headers: str, seconds: float = 2.0) -> str:
    """What `curl -N -i` prints for ``url`` in ``seconds`` (line ends read as ``\\n``)."""
    curl = shutil.which("curl")
    assert curl is not None, "curl is missing: bash .ci/setup --test installs it"
    args = [curl, "-sS", "-N", "-i", "--max-time", str(seconds * TIMEOUT_FACTOR)]
    for header in headers:
        args += ["-H", header]
    result = subprocess.run([*args, url], capture_output=True, text=True, check=False)
    assert result.returncode in (0, 28), result.stderr  # 28: --max-time reached
    return result.stdout


async def test_curl_receives_the_night_and_resumes_after_a_restart(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """curl -N: each update once across a broadcaster restart (Last-Event-ID); a bad id: 400."""
    ids = [(await store.append(make_update(n))).id for n in range(1, 4)]
    first = await start_broadcaster()
    port = first.port
    before = parse_events(
        body_of(await asyncio.to_thread(curl_sse, first.http_url("/sse?since=0")))
    )
    got = [e["id"] for e in before if e.get("event") == "update"]
    assert got == ids
    await first.stop()
    ids += [(await store.append(make_update(n))).id for n in range(4, 7)]
    second = await start_broadcaster(port=port)
    url = second.http_url("/sse?since=0")
    after = parse_events(
        body_of(await asyncio.to_thread(curl_sse, url, f"Last-Event-ID: {got[-1]}"))
    )
    resumed = [e["id"] for e in after if e.get("event") == "update"]
    assert got + resumed == ids
    refused = await asyncio.to_thread(curl_sse, url, "Last-Event-ID: garbage")
    assert refused.startswith("HTTP/1.1 400")
    assert json.loads(body_of(refused))["code"] == "bad_since"


async def test_the_websocket_still_works_beside_sse(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """/ws keeps its handshake (and its timeout) with /sse served by the same connections."""
    await store.append(make_update(1))
    running = await start_broadcaster(open_timeout=0.5)
    async with ws_connect(running.ws_url()) as ws:
        assert (await recv_json(ws))["type"] == "hello"
    reader, writer = await asyncio.open_connection("127.0.0.1", running.port)
    writer.write(b"GET /ws HTTP/1.1\r\n")  # and then nothing: dropped after open_timeout
    async with asyncio.timeout(5 * TIMEOUT_FACTOR):
        assert await reader.read() == b""
    writer.close()


async def test_metrics_count_the_event_stream_clients(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """soiree_sse_clients: 1 while a stream is open, 0 once it is closed."""
    await store.append(make_update(1))
    running = await start_broadcaster()

    async def gauge(session: aiohttp.ClientSession) -> float:
        async with session.get(running.http_url("/metrics")) as response:
            text = await response.text()
        line = next(line for line in text.splitlines() if line.startswith("soiree_sse_clients "))
        return float(line.split()[1])

    async with aiohttp.ClientSession() as session:
        async with session.get(running.http_url("/sse")) as stream:
            await stream.content.readuntil(b"event: live")
            assert await gauge(session) == 1.0
        deadline = asyncio.get_running_loop().time() + 5 * TIMEOUT_FACTOR
        while True:
            if await gauge(session) == 0.0:
                break
            assert asyncio.get_running_loop().time() < deadline, "the stream was never let go"
            await asyncio.sleep(0.02)


async def test_a_gap_reads_the_same_as_on_the_websocket(
    redis_client: Redis, stream_key: str, start_broadcaster: BroadcasterStarter
) -> None:
    """Retention trimmed what a client missed: the same gap message, then the retained rest."""
    trimming = StreamStore(redis_client, stream_key, maxlen=5)
    ids = [(await trimming.append(make_update(n))).id for n in range(1, 11)]
    running = await start_broadcaster(recent=2)
    query = f"since={ids[0]}"
    _, events = await read_sse(running.http_url("/sse?" + query))
    expected = await ws_messages(running, query)
    assert [e["data"] for e in events if "data" in e] == expected
    gap = next(e for e in events if e.get("event") == "gap")
    assert gap["data"]["since"] == ids[0]
    assert "id" not in gap
    assert [e["id"] for e in events if e.get("event") == "update"] == ids[5:]
