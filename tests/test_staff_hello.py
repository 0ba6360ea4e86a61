"""A staff client (the staff token) is told so in its ``hello`` (the page's staff view), and
gets live updates on a night without embargo too; a public client's ``hello`` says nothing.

Real parts: a real Redis, a real broadcaster on 127.0.0.1, websocket clients.
"""

from __future__ import annotations

from websockets.asyncio.client import connect as ws_connect

from ingest.store.stream_store import StreamStore
from tests.plugins.broadcaster import BroadcasterStarter, make_update, recv_json, recv_until
from tests.test_protocol import validator
from ticker.broadcast.access import AccessTokens

READ = "read-hello-token-51"
STAFF = "staff-hello-token-52"


async def test_staff_hello_and_live_updates_without_embargo(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    await store.append(make_update(1))
    running = await start_broadcaster(access=AccessTokens(READ, STAFF))
    await running.broadcaster.wait_warm()
    async with (
        ws_connect(running.ws_url(f"token={READ}")) as public,
        ws_connect(running.ws_url(f"token={STAFF}")) as staff,
    ):
        public_hello = await recv_json(public)
        staff_hello = await recv_json(staff)
        assert "staff" not in public_hello
        assert staff_hello["staff"] is True
        validator("hello").validate(staff_hello)
        validator("hello").validate(public_hello)
        await recv_until(public, "live")
        await recv_until(staff, "live")
        await store.append(make_update(2))
        for client in (public, staff):
            while (message := await recv_json(client))["type"] != "update":
                pass
            assert message["uid"] == "test:2"
