"""/sse while the broadcaster warms up: joins as /ws does (``ticker.broadcast.joining``).

A real broadcaster on a 20,000-entry stream, read 50 entries at a time so that warming up
takes hundreds of reads: event-stream clients that connect meanwhile, with and without
``Last-Event-ID``, must end with every update they asked for exactly once, in order, up to one
appended while the broadcaster still warms up. A client without a cursor waits for the whole
stream to be read (its backlog is the newest updates of the whole stream, not of what was read
so far).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp

from ingest.store.stream_store import StreamStore
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.broadcaster import BroadcasterStarter, make_update
from tests.test_broadcaster_warmup import fill
from tests.test_sse import Event, parse_events

ENTRIES = 20_000
RECENT = 100


class EventStream:
    """One open ``/sse`` response, read event by event."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response
        self.events: list[Event] = []
        self._buffer = ""

    async def until(self, done: Callable[[list[Event]], bool]) -> list[Event]:
        """Read until ``done`` says so of the events read; return them all."""
        async with asyncio.timeout(60 * TIMEOUT_FACTOR):
            while not done(self.events):
                chunk = await self.response.content.readany()
                assert chunk, f"the stream ended: {self.events[-3:]}"
                self._buffer += chunk.decode()
                complete, _, self._buffer = self._buffer.rpartition("\n\n")
                self.events += parse_events(complete)
        return self.events


def has(kind: str, event_id: str | None = None) -> Callable[[list[Event]], bool]:
    """Whether an event of type ``kind`` (with that id) was read."""
    return lambda events: any(
        e.get("event") == kind and (event_id is None or e.get("id") == event_id) for e in events
    )


def live_and_update(event_id: str) -> Callable[[list[Event]], bool]:
    """Whether ``live`` and the update ``event_id`` were read."""
    return lambda events: has("live")(events) and has("update", event_id)(events)


def updates_and_live(events: list[Event]) -> tuple[list[str], dict[str, Any]]:
    """The ids of the update events, and the data of the one ``live``."""
    lives = [e["data"] for e in events if e.get("event") == "live"]
    assert len(lives) == 1, lives
    return [e["id"] for e in events if e.get("event") == "update"], lives[0]


async def test_sse_clients_joining_during_warm_up_get_every_update_once_in_order(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """Without a cursor, from Last-Event-ID in memory and in Redis only, and from now."""
    ids = await fill(store, ENTRIES)
    running = await start_broadcaster(recent=RECENT, read_count=50)
    cursors: dict[str, dict[str, str]] = {
        "no cursor": {},
        "recent": {"Last-Event-ID": ids[-10]},
        "old": {"Last-Event-ID": ids[100]},
    }
    async with aiohttp.ClientSession() as session:
        streams: dict[str, EventStream] = {}
        for name, headers in cursors.items():
            response = await session.get(running.http_url("/sse"), headers=headers)
            assert response.status == 200
            streams[name] = EventStream(response)
        response = await session.get(running.http_url("/sse?since=$"))
        assert response.status == 200
        streams["now"] = EventStream(response)
        for name in ("recent", "old", "now"):
            # hello: the join has begun ("now" is the end of the stream at this point).
            await streams[name].until(has("hello"))
        assert not running.broadcaster.warm, "the stream was read before the clients joined"
        appended = await store.append(make_update(ENTRIES + 1))
        assert appended.id is not None
        assert not running.broadcaster.warm, "the stream was read before the append"
        everything = [*ids, appended.id]
        # Read side by side: a client that does not read would be cut off, as it should.
        results = await asyncio.gather(
            *(stream.until(live_and_update(appended.id)) for stream in streams.values())
        )
        received = dict(zip(streams, results, strict=True))
        for stream in streams.values():
            stream.response.close()

    got, live = updates_and_live(received["recent"])
    assert got == everything[-10:]
    assert live["last_id"] in (ids[-1], appended.id)

    got, live = updates_and_live(received["old"])
    assert got == everything[101:]
    assert live["last_id"] in (ids[-1], appended.id)

    got, live = updates_and_live(received["now"])
    assert got == [appended.id]

    # Heartbeats (comments) may come while it waits for the warm-up, on a slow machine.
    events = [e for e in received["no cursor"] if set(e) != {"comments"}]
    assert [e.get("event") for e in events[:3]] == [None, "hello", "snapshot"]  # retry: first
    snapshot = events[2]["data"]
    assert snapshot["last_id"] in (ids[-1], appended.id)
    got, live = updates_and_live(events)
    # The newest updates of the whole stream (the appended one among them if it was read
    # before the client joined), then the appended one: each once, in order.
    assert got in (everything[-RECENT:], everything[-RECENT - 1 :])
    assert live["last_id"] == snapshot["last_id"]
