"""Alerts are staff-only: a public client (the read token, or none) of ``/ws``, ``/sse`` or
``/export`` never gets an update of kind ``alert``, on any path (backlog from memory or Redis,
live, a resume from ``since`` or ``Last-Event-ID``, a ``kinds`` filter naming ``alert``), and
gets every other update once; a staff client gets everything, as before.

Real parts: a real Redis, a real broadcaster on 127.0.0.1, websocket and event-stream clients.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect

from ingest.model.update import KINDS, Kind, Update
from ingest.store.stream_store import StreamStore
from tests.cli_process import soiree, soiree_env
from tests.plugins.broadcaster import BroadcasterStarter, make_update, recv_until, recv_updates
from tests.test_replay_clock_relay import sse_stream
from tests.test_sse import read_sse
from ticker.alerts.engine import ALERT_SOURCE
from ticker.broadcast.access import AccessTokens
from ticker.wire.client_filter import PUBLIC_VIEW, STAFF_ONLY_KINDS, Filter

READ = "read-staffonly-token-61"
STAFF = "staff-staffonly-token-62"


def alert(n: int) -> Update:
    """An alert as ``soiree alerts run`` appends it (numbered ``n``)."""
    return Update(
        uid=f"alert:rule-{n}:1",
        at=datetime(2017, 1, 29, 19, 0, tzinfo=UTC) + timedelta(minutes=n),
        source=ALERT_SOURCE,
        kind=Kind.ALERT,
        text=f"Alerte {n} de la rédaction",
        seen=datetime.now(UTC),
    )


async def append(store: StreamStore, update: Update) -> str:
    outcome = await store.append(update)
    assert outcome.id is not None
    return outcome.id


async def night_with_alerts(store: StreamStore) -> dict[str, str]:
    """test:1, alert 1, test:2, alert 2, test:3, alert 3: uid -> stream id."""
    ids: dict[str, str] = {}
    for n in (1, 2, 3):
        ids[f"test:{n}"] = await append(store, make_update(n))
        ids[f"alert:rule-{n}:1"] = await append(store, alert(n))
    return ids


def uids(messages: list[dict[str, Any]]) -> list[str]:
    return [message["uid"] for message in messages if message["type"] == "update"]


async def updates_until_pong(ws: ClientConnection) -> list[str]:
    """The uids of the updates that come before the answer to a ``ping`` sent now."""
    await ws.send('{"type": "ping"}')
    before, _pong = await recv_until(ws, "pong")
    return uids(before)


async def test_public_ws_clients_never_get_an_alert_staff_get_them_all(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    ids = await night_with_alerts(store)
    everything = list(ids)
    ordinary = [uid for uid in everything if uid.startswith("test:")]
    # Part of a backlog from memory, part from Redis.
    running = await start_broadcaster(access=AccessTokens(READ, STAFF), recent=3)
    await running.broadcaster.wait_warm()
    async with (
        ws_connect(running.ws_url(f"token={READ}&since=0")) as public,
        ws_connect(running.ws_url(f"token={STAFF}&since=0")) as staff,
        ws_connect(running.ws_url(f"token={READ}&kinds=alert")) as alerts_only,
        ws_connect(running.ws_url(f"token={STAFF}&kinds=alert")) as staff_alerts,
    ):
        before, live = await recv_until(public, "live")
        assert uids(before) == ordinary
        assert live["last_id"] == ids["alert:rule-3:1"]  # the reader's position: no content
        before, _live = await recv_until(staff, "live")
        assert uids(before) == everything
        hello = (await recv_until(alerts_only, "live"))[0][0]
        assert hello["kinds"] == ["alert"]  # asked for, not an error: gets nothing
        await recv_until(staff_alerts, "live")

        # Live: an alert between two updates.
        ids["test:4"] = await append(store, make_update(4))
        ids["alert:rule-4:1"] = await append(store, alert(4))
        ids["test:5"] = await append(store, make_update(5))
        staff_live = uids(await recv_updates(staff, 3))
        assert staff_live == ["test:4", "alert:rule-4:1", "test:5"]
        assert uids(await recv_updates(staff_alerts, 1)) == ["alert:rule-4:1"]
        assert await updates_until_pong(public) == ["test:4", "test:5"]
        assert await updates_until_pong(alerts_only) == []

        # A public client subscribing to alerts alone gets none either.
        await public.send('{"type": "subscribe", "kinds": ["alert", "news"]}')
        await recv_until(public, "subscribed")
        await append(store, alert(5))
        await append(store, make_update(6))
        assert uids(await recv_updates(staff, 2)) == ["alert:rule-5:1", "test:6"]
        assert await updates_until_pong(public) == ["test:6"]

    # Resuming from an ordinary update's id, or from an alert's (a ``live`` may end on one):
    # each ordinary update after it, once.
    for since, expected in ((ids["test:2"], ["test:3", "test:4", "test:5", "test:6"]),
                            (ids["alert:rule-4:1"], ["test:5", "test:6"])):  # fmt: skip
        async with ws_connect(running.ws_url(f"token={READ}&since={since}")) as resumed:
            before, _live = await recv_until(resumed, "live")
            assert uids(before) == expected


async def test_a_public_event_stream_never_gets_an_alert_even_on_resume(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    ids = await night_with_alerts(store)
    running = await start_broadcaster(recent=2)  # no token at all: every client is public
    await running.broadcaster.wait_warm()
    _response, events = await read_sse(running.http_url("/sse?since=0"))
    updates = [event for event in events if event.get("event") == "update"]
    assert [event["data"]["uid"] for event in updates] == ["test:1", "test:2", "test:3"]
    assert [event["id"] for event in updates] == [ids[f"test:{n}"] for n in (1, 2, 3)]
    live = events[-1]
    assert live["event"] == "live"
    assert live["id"] == ids["alert:rule-3:1"]

    # EventSource's resume: from its last update, and from the id of ``live``.
    for last_event_id, expected in ((ids["test:1"], ["test:2", "test:3"]), (live["id"], [])):
        _response, events = await read_sse(
            running.http_url("/sse"), headers={"Last-Event-ID": last_event_id}
        )
        assert [e["data"]["uid"] for e in events if e.get("event") == "update"] == expected

    # Live, with a filter naming alerts: the next update reaching it is the ordinary one.
    async with sse_stream(running.http_url("/sse?kinds=alert,news")) as sse:
        await sse.until("live")
        await append(store, alert(4))
        await append(store, make_update(4))
        assert (await sse.until("update"))["uid"] == "test:4"


async def test_the_public_export_leaves_alerts_out(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    first = await append(store, make_update(1))
    running = await start_broadcaster(access=AccessTokens(READ, STAFF))
    await running.broadcaster.wait_warm()
    url = running.http_url(f"/export/results.json?token={READ}")
    async with (
        aiohttp.ClientSession() as session,
        ws_connect(running.ws_url(f"token={STAFF}")) as staff,
    ):
        await recv_until(staff, "live")
        async with session.get(url) as response:
            assert response.status == 200
            before = await response.json()
            etag = response.headers["ETag"]
        assert before["meta"]["last_id"] == first
        await append(store, alert(1))
        _before, message = await recv_until(staff, "update")  # the broadcaster has read it
        assert message["kind"] == "alert"
        async with session.get(url) as response:
            assert response.status == 200
            after = await response.json()
            assert response.headers["ETag"] == etag  # nothing changed for a public poller
        assert after == before


def ticker_once(*args: str, token: str | None = None) -> str:
    """What ``soiree ticker --once ARGS`` prints (``$SOIREE_READ_TOKEN``: ``token``)."""
    env = soiree_env(COLUMNS="160", LINES="200")
    if token is not None:
        env["SOIREE_READ_TOKEN"] = token
    result = soiree("ticker", "--once", *args, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


async def test_the_terminal_ticker_shows_alerts_to_staff_only(
    store: StreamStore, redis_url: str, start_broadcaster: BroadcasterStarter
) -> None:
    """``--ws`` with the read token: no alert; with the staff token, or on Redis: the alert."""
    await append(store, make_update(1, text="Premier bureau dépouillé"))
    await append(store, alert(1))
    running = await start_broadcaster(access=AccessTokens(READ, STAFF))
    await running.broadcaster.wait_warm()
    ws = running.ws_url()
    public = await asyncio.to_thread(ticker_once, "--ws", ws, token=READ)
    staff = await asyncio.to_thread(ticker_once, "--ws", ws, token=STAFF)
    direct = await asyncio.to_thread(
        ticker_once, "--stream", store.stream, "--redis-url", redis_url
    )
    assert "Premier bureau dépouillé" in public
    assert "Alerte 1 de la rédaction" not in public
    assert "ALERTE" not in public
    for frame in (staff, direct):
        assert "Premier bureau dépouillé" in frame
        assert "Alerte 1 de la rédaction" in frame


def test_the_rule_is_the_public_filter() -> None:
    """Pure: a public filter refuses alerts whatever its kinds; a staff filter is unchanged."""
    asked = Filter(kinds=frozenset({"alert", "news"}))
    public = asked.seen_by(staff=False)
    assert public.to_json() == asked.to_json()  # what hello and subscribed echo
    assert not public.accepts("alert", ALERT_SOURCE)
    assert public.accepts("news", "liveblog")
    assert public.seen_by(staff=True) == asked
    assert asked.accepts("alert", ALERT_SOURCE)
    assert not PUBLIC_VIEW.is_everything
    assert not PUBLIC_VIEW.accepts("alert", ALERT_SOURCE)
    assert all(PUBLIC_VIEW.accepts(kind, "x") for kind in KINDS if kind not in STAFF_ONLY_KINDS)
