"""The desk's actions end to end: ``soiree desk``, ``POST /desk``, the broadcaster, the audit.

Real parts: a real Redis, a real broadcaster on 127.0.0.1, websocket clients, ``soiree desk``
and ``soiree dump`` run as processes.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import aiohttp
from redis.asyncio import Redis
from websockets.asyncio.client import connect as ws_connect

from ingest.model.figures import Figures
from ingest.model.update import Kind, Op
from ingest.store.keys import desk_key
from ingest.store.stream_store import StreamStore
from tests.cli_process import soiree
from tests.plugins.broadcaster import BroadcasterStarter, make_update, recv_until
from tests.test_protocol import validator
from ticker.broadcast.access import AccessTokens

STAFF = "staff-token-desk-5a1"
READ = "read-token-desk-77b"
SHARES = {"Benoît Hamon": 58.65, "Manuel Valls": 41.35}
CORRECTED = {"Benoît Hamon": 58.88, "Manuel Valls": 41.12}


def _run(*args: str) -> Any:
    return soiree(*args)


async def _board_shares(ws: Any, value: float) -> dict[str, Any]:
    """Board messages until one carries ``value``; that board."""
    while True:
        _before, board = await recv_until(ws, "board")
        if str(value) in json.dumps(board):
            return board


async def test_a_correction_by_soiree_desk_changes_the_board_and_is_audited(
    store: StreamStore, start_broadcaster: BroadcasterStarter, redis_url: str
) -> None:
    """``soiree desk correct`` changes the board every client gets, sends the corrected state,
    and ``soiree dump --audit`` shows the author and the previous figures."""
    count = make_update(2, kind=Kind.COUNT, figures=Figures(shares=SHARES, counted_pct=60))
    await store.append(count)
    running = await start_broadcaster(access=AccessTokens(READ, STAFF), clock_interval=0.05)
    await running.broadcaster.wait_warm()  # the board is the whole stream's
    async with ws_connect(running.ws_url(f"since=0-0&token={READ}")) as ws:
        first, _live = await recv_until(ws, "live")
        snapshot = next(m for m in first if m["type"] == "snapshot")
        assert "58.65" in json.dumps(snapshot["board"])
        assert snapshot["desk"]["corrected"] == {}
        figures = json.dumps({"shares": CORRECTED, "counted_pct": 60})
        result = await asyncio.to_thread(
            _run, "desk", "correct", count.uid, "--figures", figures, "--reason",
            "erreur de saisie", "--by", "Marie Dupont", "--stream", store.stream,
            "--redis-url", redis_url,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert f"correct {count.uid} by Marie Dupont" in result.stderr
        _before, desk = await recv_until(ws, "desk")
        validator("server_message").validate(desk)
        correction = desk["desk"]["corrected"][count.uid]
        assert correction["who"] == "Marie Dupont"
        assert correction["figures"]["shares"] == CORRECTED
        assert correction["previous"]["figures"]["shares"] == SHARES
        board = await _board_shares(ws, 58.88)
        current = board["board"]["current"]
        assert [row["pct"] for row in current["rows"]] == [58.88, 41.12]
        assert current["corrected"]["shares"] == SHARES  # the board's own "was" value
    # A client joining later gets the corrected board and state in its snapshot.
    async with ws_connect(running.ws_url(f"since=$&token={READ}")) as late:
        first, _live = await recv_until(late, "live")
        snapshot = next(m for m in first if m["type"] == "snapshot")
        validator("server_message").validate(snapshot)
        assert "58.88" in json.dumps(snapshot["board"])
        assert count.uid in snapshot["desk"]["corrected"]
    # A correction without a reason: one line on stderr, no traceback, nothing appended.
    refused = await asyncio.to_thread(
        _run, "desk", "correct", count.uid, "--text", "x", "--by", "Marie", "--stream",
        store.stream, "--redis-url", redis_url,
    )  # fmt: skip
    assert refused.returncode != 0
    assert "reason: required to correct" in refused.stderr
    assert "Traceback" not in refused.stderr
    audit = await asyncio.to_thread(
        _run, "dump", "--audit", "--stream", store.stream, "--redis-url", redis_url
    )
    assert audit.returncode == 0, audit.stderr
    lines = [json.loads(line) for line in audit.stdout.splitlines()]
    assert len(lines) == 1
    assert lines[0]["action"] == "correct"
    assert lines[0]["who"] == "Marie Dupont"
    assert lines[0]["target"] == count.uid
    assert lines[0]["reason"] == "erreur de saisie"
    assert lines[0]["previous"]["figures"]["shares"] == SHARES


async def test_a_write_without_the_staff_token_is_refused_and_nothing_is_appended(
    store: StreamStore, start_broadcaster: BroadcasterStarter, redis_client: Redis
) -> None:
    """No token: 401; the read token: 403; both counted in /metrics, nothing in the log. The
    staff token: 201, and clients get the pin."""
    await store.append(make_update(1))
    running = await start_broadcaster(access=AccessTokens(READ, STAFF), clock_interval=0.05)
    await running.broadcaster.wait_warm()  # the board is the whole stream's
    query = "/desk?action=pin&target=test:1&who=Paul"
    async with aiohttp.ClientSession() as session:
        async with session.post(running.http_url(query)) as response:
            assert response.status == 401
            assert "staff token" in (await response.json())["error"]
        async with session.post(running.http_url(f"{query}&token={READ}")) as response:
            assert response.status == 403
        headers = {"Authorization": "Bearer not-a-token"}
        async with session.post(running.http_url(query), headers=headers) as response:
            assert response.status == 403
        assert await redis_client.xlen(desk_key(store.stream)) == 0
        async with session.get(running.http_url(f"/metrics?token={READ}")) as response:
            metrics = await response.text()
        assert 'soiree_rejected_writes_total{reason="token"} 3.0' in metrics
        async with ws_connect(running.ws_url(f"since=$&token={READ}")) as ws:
            await recv_until(ws, "live")
            headers = {"Authorization": f"Bearer {STAFF}"}
            async with session.post(running.http_url(query), headers=headers) as response:
                assert response.status == 201
                body = await response.json()
            assert body["action"]["previous"] == {"pinned": False}
            _before, desk = await recv_until(ws, "desk")
            assert desk["desk"]["pinned"] == ["test:1"]
            # Not an action: 400 with a one-line error, nothing appended.
            bad = "/desk?action=correct&target=test:1&who=Paul&text=x"
            async with session.post(running.http_url(bad), headers=headers) as response:
                assert response.status == 400
                assert (await response.json())["error"] == "reason: required to correct"
            unknown = "/desk?action=retract&target=test:404&who=Paul&reason=r"
            async with session.post(running.http_url(unknown), headers=headers) as response:
                assert response.status == 400
            # A staff-written update: appended to the night's stream, sent to every client.
            write = "/desk?action=write&target=desk:1&who=Paul&text=" + quote("Fin du direct")
            async with session.post(running.http_url(write), headers=headers) as response:
                assert response.status == 201, await response.text()
            _before, written = await recv_until(ws, "update")
            assert (written["uid"], written["source"], written["text"]) == (
                "desk:1",
                "desk",
                "Fin du direct",
            )
    assert await redis_client.xlen(desk_key(store.stream)) == 2


async def test_a_source_edit_after_a_correction_is_flagged_not_applied(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """The source edits an update the desk corrected: the correction stays on the board, and
    the update is flagged for the desk (staff clients) with the source's new text."""
    count = make_update(2, kind=Kind.COUNT, figures=Figures(shares=SHARES, counted_pct=60))
    await store.append(count)
    running = await start_broadcaster(access=AccessTokens(None, STAFF), clock_interval=0.05)
    await running.broadcaster.wait_warm()  # the board is the whole stream's
    async with (
        ws_connect(running.ws_url(f"since=$&token={STAFF}")) as ws,
        ws_connect(running.ws_url("since=$")) as public,
        aiohttp.ClientSession() as session,
    ):
        await recv_until(ws, "live")
        await recv_until(public, "live")
        figures = json.dumps({"shares": CORRECTED})
        query = f"/desk?action=correct&target={count.uid}&who=Marie&reason=saisie"
        query += f"&figures={quote(figures)}"
        headers = {"Authorization": f"Bearer {STAFF}"}
        async with session.post(running.http_url(query), headers=headers) as response:
            assert response.status == 201, await response.text()
        await _board_shares(ws, 58.88)
        edited = replace(
            count,
            op=Op.EDIT,
            text="Hamon 58,70 %",
            figures=Figures(shares={"Benoît Hamon": 58.7, "Manuel Valls": 41.3}),
        )
        await store.append(edited)
        while True:
            _before, desk = await recv_until(ws, "desk")
            if desk["desk"]["flagged"]:
                break
        assert desk["desk"]["flagged"] == {count.uid: "Hamon 58,70 %"}
        assert count.uid in desk["desk"]["corrected"]
        # Public clients get the correction, never the flags (the desk's business).
        while True:
            _before, public_desk = await recv_until(public, "desk")
            if count.uid in public_desk["desk"]["corrected"]:
                break
        _before, public_desk = await recv_until(public, "desk")
        assert public_desk["desk"]["flagged"] == {}
    async with ws_connect(running.ws_url(f"since=$&token={STAFF}")) as late:
        first, _live = await recv_until(late, "live")
        board = json.dumps(next(m for m in first if m["type"] == "snapshot")["board"])
        assert "58.88" in board
        assert "58.7," not in board
