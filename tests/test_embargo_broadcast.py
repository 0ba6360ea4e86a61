"""The embargo through the broadcaster, on 29 January replayed (polls closed at 19:00).

Real parts: a real Redis, the replay's own writer of the virtual clock
(:func:`replay.runner.publish_clock`), the night's real updates appended as a replay appends
them (each ``seen`` at its virtual time), a real broadcaster on 127.0.0.1, websocket clients:
one public (no token), one staff (the staff token).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import datetime, time
from typing import Any

import aiohttp
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect

from ingest.model.night import Night
from ingest.model.nights import find_night
from ingest.model.polls_close import embargo_end
from ingest.model.update import Update
from ingest.store.keys import replay_clock_key
from ingest.store.stream_store import StreamStore
from replay.fixtures import find_night as find_fixture_night
from replay.runner import publish_clock
from replay.timeline import night_updates
from tests.cli_process import soiree, soiree_env
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.broadcaster import BroadcasterStarter, recv_json, recv_until, recv_updates
from tests.test_protocol import validator
from tests.test_replay_clock_relay import sse_stream
from ticker.broadcast.access import AccessTokens
from ticker.commands.serve import night_info
from ticker.wire.stream_positions import id_key

STAFF = "staff-token-9c1e"


def night_of_29_january() -> tuple[Night, list[Update]]:
    """The night and its updates as a replay appends them: each seen at its own time."""
    fixture = find_fixture_night("2017-01-29")
    updates = night_updates(fixture, seen=datetime(2017, 1, 29, 12).astimezone())
    return fixture.night, [replace(update, seen=update.at) for update in updates]


async def append(store: StreamStore, update: Update) -> str:
    """Append ``update``; its stream id."""
    outcome = await store.append(update)
    assert outcome.id is not None
    return outcome.id


async def updates_until_quiet(ws: ClientConnection, *, quiet: float = 0.5) -> list[dict[str, Any]]:
    """Every update message until none comes for ``quiet`` seconds."""
    found: list[dict[str, Any]] = []
    while True:
        try:
            message = await recv_json(ws, within=quiet)
        except TimeoutError:
            return found
        if message["type"] == "update":
            found.append(message)


async def test_a_public_client_gets_the_1839_estimate_at_1900_once_in_order(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    night, updates = night_of_29_january()
    assert find_night("2017-01-29").polls_close == time(19, 0)
    at = night.instant
    before = [u for u in updates if u.seen <= at(time(18, 50))]
    until_close = [u for u in updates if at(time(18, 50)) < u.seen < at(time(19, 0))]
    after = [u for u in updates if at(time(19, 0)) <= u.seen <= at(time(19, 30))]
    assert after
    estimate = next(u for u in before if u.kind == "estimate")
    assert estimate.at.time() == time(18, 39)
    await publish_clock(store, at(time(18, 50)), speed=60, paused=True)
    ids = {await append(store, u): u.uid for u in before}
    running = await start_broadcaster(
        night=night_info(night),
        embargo_closes=embargo_end(night),
        access=AccessTokens(None, STAFF),
        clock_interval=0.05,
    )
    # Warm first: the snapshots then carry the boards and the held ids of the whole stream (a
    # client joining a warming broadcaster gets its board just before its live, and no held list).
    await asyncio.wait_for(running.broadcaster.wait_warm(), 10 * TIMEOUT_FACTOR)
    async with (
        ws_connect(running.ws_url("since=0-0")) as public,
        ws_connect(running.ws_url(f"since=0-0&token={STAFF}")) as staff,
    ):
        public_first, _ = await recv_until(public, "live")
        staff_first, _ = await recv_until(staff, "live")
        public_seen = [m for m in public_first if m["type"] == "update"]
        staff_seen = [m for m in staff_first if m["type"] == "update"]
        # 18:50: the public client has not the 18:39 estimate; staff have it, marked.
        assert estimate.uid not in {m["uid"] for m in public_seen}
        marked = [m for m in staff_seen if m["uid"] == estimate.uid]
        assert len(marked) == 1
        assert marked[0]["embargoed"] is True
        validator("server_message").validate(marked[0])
        assert all("embargoed" not in m for m in public_seen)
        assert len(staff_seen) == len(before)
        # The board of public clients is made of public updates only.
        public_snapshot = next(m for m in public_first if m["type"] == "snapshot")
        staff_snapshot = next(m for m in staff_first if m["type"] == "snapshot")
        assert public_snapshot["board"] != staff_snapshot["board"]
        # Staff are told what is held now, by id (what a client back after a release marks).
        held_now = [m["id"] for m in staff_seen if m.get("embargoed")]
        assert staff_snapshot["embargo"] == {"held": held_now}
        validator("server_message").validate(staff_snapshot)
        assert "embargo" not in public_snapshot
        # Up to 19:00, still held; at 19:00 (the replay's clock), released.
        for update in until_close:
            ids[await append(store, update)] = update.uid
        public_seen += await updates_until_quiet(public)
        assert estimate.uid not in {m["uid"] for m in public_seen}
        await publish_clock(store, at(time(19, 0)), speed=60, paused=True)
        # Released by the clock alone, before anything else is appended.
        async with asyncio.timeout(10 * TIMEOUT_FACTOR):
            while estimate.uid not in {m["uid"] for m in public_seen}:
                message = await recv_json(public)
                if message["type"] == "update":
                    public_seen.append(message)
        for update in after:
            ids[await append(store, update)] = update.uid
        async with asyncio.timeout(10 * TIMEOUT_FACTOR):
            while len(public_seen) < len(ids):
                message = await recv_json(public)
                if message["type"] == "update":
                    public_seen.append(message)
        public_seen += await updates_until_quiet(public)
        # Once each, nothing lost.
        assert sorted(m["id"] for m in public_seen) == sorted(ids)
        released = [m for m in public_seen if m["kind"] in ("estimate", "count")]
        first = public_seen.index(released[0])
        held_ids = [m["id"] for m in released if m["seen"] < at(time(19, 0)).isoformat()]
        # In stream order, together, before anything that arrived after 19:00.
        assert [m["id"] for m in public_seen[first : first + len(held_ids)]] == held_ids
        assert estimate.uid in {m["uid"] for m in public_seen[first : first + len(held_ids)]}
        # Staff got it once more, now without the marker.
        staff_seen += await updates_until_quiet(staff)
        again = [m for m in staff_seen if m["uid"] == estimate.uid]
        assert [m.get("embargoed") for m in again] == [True, None]
    # A public client joining after the release gets everything, and the staff's board.
    async with ws_connect(running.ws_url("since=0-0")) as late:
        late_first, _ = await recv_until(late, "live")
        late_ids = [m["id"] for m in late_first if m["type"] == "update"]
        assert sorted(late_ids) == sorted(ids)
        assert all("embargoed" not in m for m in late_first if m["type"] == "update")
    # A staff client joining after the release is told nothing is held any more.
    async with ws_connect(running.ws_url(f"since=$&token={STAFF}")) as late_staff:
        _, snapshot = await recv_until(late_staff, "snapshot")
        assert snapshot["embargo"] == {"held": []}


async def test_a_public_client_resuming_after_the_release_gets_what_it_lacked(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """Gone at 18:50 (its last id after the held estimate), back after 19:00 with ``since``:
    the released estimate first, then what followed, each once."""
    night, updates = night_of_29_january()
    at = night.instant
    before = [u for u in updates if u.seen <= at(time(18, 50))]
    after = [u for u in updates if at(time(18, 50)) < u.seen <= at(time(19, 30))]
    await publish_clock(store, at(time(18, 50)), speed=60, paused=True)
    ids = [await append(store, u) for u in before]
    running = await start_broadcaster(
        night=night_info(night), embargo_closes=embargo_end(night), clock_interval=0.05
    )
    async with ws_connect(running.ws_url("since=0-0")) as public:
        first, _ = await recv_until(public, "live")
    got = [m["id"] for m in first if m["type"] == "update"]
    last = got[-1]
    held = sorted(set(ids) - set(got), key=id_key)
    assert held
    assert all(id_key(held_id) < id_key(last) for held_id in held)
    await publish_clock(store, at(time(19, 0)), speed=60, paused=True)
    async with ws_connect(running.ws_url("since=$")) as watcher:
        await recv_until(watcher, "live")
        ids += [await append(store, u) for u in after]
        # The broadcaster has read them all once these (and the released ones) arrive.
        await recv_updates(watcher, len(after) + len(held))
    async with ws_connect(running.ws_url(f"since={last}")) as resumed:
        back, _ = await recv_until(resumed, "live")
    again = [m["id"] for m in back if m["type"] == "update"]
    assert sorted(got + again) == sorted(ids)
    assert again[: len(held)] == held


def _ticker_once(redis_url: str, stream: str) -> str:
    result = soiree(
        "ticker", "--once", "--night", "2017-01-29", "--stream", stream, "--redis-url", redis_url,
        env=soiree_env(COLUMNS="160", LINES="200"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


async def test_the_staff_terminal_ticker_shows_sous_embargo_until_1900(
    store: StreamStore, redis_url: str
) -> None:
    """The terminal ticker reads Redis: it is staff. At 18:50 (the replay's clock) the 18:39
    estimate is there, marked "sous embargo"; at 19:00 the mark is gone."""
    night, updates = night_of_29_january()
    at = night.instant
    for update in updates:
        if update.seen <= at(time(18, 50)):
            await append(store, update)
    await publish_clock(store, at(time(18, 50)), speed=60, paused=True)
    frame = await asyncio.to_thread(_ticker_once, redis_url, store.stream)
    # The estimate's item, wrapped over a few lines of the feed's column, ends with the mark.
    lines = frame.splitlines()
    start = next(n for n, line in enumerate(lines) if "18:39  ESTIMATION" in line)
    column = lines[start].index("18:39")
    item = re.sub(r"[│\s]+", " ", " ".join(line[column:] for line in lines[start : start + 4]))
    assert "La Libre · sous embargo" in item
    await publish_clock(store, at(time(19, 0)), speed=60, paused=True)
    frame = await asyncio.to_thread(_ticker_once, redis_url, store.stream)
    assert "18:39" in frame
    assert "embargo" not in frame


async def test_sse_and_exports_are_public(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """``/sse`` (backlog and live) and ``/export/results.json`` hold the estimate until 19:00."""
    night, updates = night_of_29_january()
    at = night.instant
    before = [u for u in updates if u.seen <= at(time(18, 50))]
    estimate = next(u for u in before if u.kind == "estimate")
    for update in before:
        await append(store, update)
    await publish_clock(store, at(time(18, 50)), speed=60, paused=True)
    running = await start_broadcaster(
        night=night_info(night), embargo_closes=embargo_end(night), clock_interval=0.05
    )
    await running.broadcaster.wait_warm()
    async with aiohttp.ClientSession() as session:
        async with session.get(running.http_url("/export/results.json")) as response:
            held_export = await response.text()
        async with session.get(running.http_url("/sse?since=0-0")) as response:
            text = ""
            async with asyncio.timeout(10 * TIMEOUT_FACTOR):
                while "event: live" not in text:
                    text += (await response.content.readany()).decode()
            assert "event: update" in text
            assert estimate.uid not in text  # not in the backlog of a public event stream
        async with sse_stream(running.http_url("/sse?since=0-0")) as sse:
            await sse.until("live")
            await publish_clock(store, at(time(19, 0)), speed=60, paused=True)
            released = await sse.until("update", where="uid", value=estimate.uid)
            assert released["kind"] == "estimate"
            assert "embargoed" not in released
        async with session.get(running.http_url("/export/results.json")) as response:
            assert await response.text() != held_export
    async with sse_stream(running.http_url("/sse?since=0-0")) as again:
        assert (await again.until("update", where="uid", value=estimate.uid))["id"]


def _embargo(redis_url: str, stream: str, *args: str) -> str:
    result = soiree(
        "embargo", *args, "--night", "2017-01-29", "--stream", stream, "--redis-url", redis_url
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


async def test_an_editor_holds_past_1900_then_releases_with_a_reason(
    store: StreamStore, start_broadcaster: BroadcasterStarter, redis_url: str
) -> None:
    """``soiree embargo hold`` at 18:55 keeps the estimate held at 19:00; ``release`` at 19:05
    sends it to public clients; both acts are logged with their reason."""
    night, updates = night_of_29_january()
    at = night.instant
    before = [u for u in updates if u.seen <= at(time(18, 50))]
    estimate = next(u for u in before if u.kind == "estimate")
    for update in before:
        await append(store, update)
    await publish_clock(store, at(time(18, 55)), speed=60, paused=True)
    said = await asyncio.to_thread(
        _embargo, redis_url, store.stream, "hold", "--reason", "chiffres belges à vérifier",
        "--by", "chef d'édition",
    )  # fmt: skip
    assert "hold by chef d'édition at 18:55:00 logged as" in said
    running = await start_broadcaster(
        night=night_info(night), embargo_closes=embargo_end(night), clock_interval=0.05
    )
    async with ws_connect(running.ws_url("since=0-0")) as public:
        first, _ = await recv_until(public, "live")
        assert estimate.uid not in {m.get("uid") for m in first}
        await publish_clock(store, at(time(19, 5)), speed=60, paused=True)
        await recv_until(public, "clock")
        assert estimate.uid not in {m["uid"] for m in await updates_until_quiet(public)}
        said = await asyncio.to_thread(
            _embargo, redis_url, store.stream, "release", "--reason", "vérifiés"
        )
        assert "release by editor at 19:05:00" in said
        async with asyncio.timeout(10 * TIMEOUT_FACTOR):
            while True:
                message = await recv_json(public)
                if message.get("uid") == estimate.uid:
                    break
    log: list[Any] = await store.redis.xrange(f"{store.stream}:embargo") or []
    assert [(fields["act"], fields["reason"]) for _id, fields in log] == [
        ("hold", "chiffres belges à vérifier"),
        ("release", "vérifiés"),
    ]


async def test_a_replay_clock_unreadable_at_the_start_releases_nothing_by_the_wall_clock(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """The replay's clock cannot be read when the broadcaster starts (here: its key holds a
    string, so every read fails, as a slow or busy Redis makes the start's read time out): the
    18:39 estimate stays held for the public (the wall clock, years past 19:00, must not stand
    in for the replay's); once the clock reads 18:50 it is still held, at 19:00 released."""
    night, updates = night_of_29_january()
    at = night.instant
    before = [u for u in updates if u.seen <= at(time(18, 50))]
    estimate = next(u for u in before if u.kind == "estimate")
    clock_key = replay_clock_key(store.stream)
    await store.redis.set(clock_key, "not a hash")
    for update in before:
        await append(store, update)
    running = await start_broadcaster(
        night=night_info(night),
        embargo_closes=embargo_end(night),
        access=AccessTokens(None, STAFF),
        clock_interval=0.05,
    )
    await running.broadcaster.wait_warm()
    await asyncio.sleep(0.5)  # a few ticks of the embargo with the clock still unreadable
    async with ws_connect(running.ws_url("since=0-0")) as public:
        first, _ = await recv_until(public, "live")
        seen = {m["uid"] for m in first if m["type"] == "update"}
        assert estimate.uid not in seen
        # What is not an estimate or a count went through: the embargo holds, it does not stall.
        assert {u.uid for u in before if u.kind not in ("estimate", "count")} <= seen
        await store.redis.delete(clock_key)
        await publish_clock(store, at(time(18, 50)), speed=60, paused=True)
        more = await updates_until_quiet(public)
        assert estimate.uid not in {m["uid"] for m in more}
        await publish_clock(store, at(time(19, 0)), speed=60, paused=True)
        async with asyncio.timeout(10 * TIMEOUT_FACTOR):
            while estimate.uid not in {m["uid"] for m in more}:
                more += await updates_until_quiet(public)
        assert [m["uid"] for m in more].count(estimate.uid) == 1
