"""``soiree alerts run`` on a real Redis: each alert appended to the stream once and POSTed once,
signed, to a real webhook receiver, across a restart of the alerting process; a source that stops
polling fires ``source_silent`` once, and again only after it polled again."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import signal
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis.asyncio
from aiohttp import web

from ingest.model.update import Kind, Update
from ingest.sources.source_health import SourceHealth
from ingest.store.health import record_poll
from ingest.store.redis_client import connect
from ingest.store.scratch_redis import ScratchServer
from ingest.store.stream_store import StreamStore
from replay.fixtures import find_night
from replay.timeline import night_updates
from tests.cli_process import SoireeProcess, soiree_env
from tests.conftest import TIMEOUT_FACTOR
from ticker.alerts.engine import AlertEngine
from ticker.alerts.live import run_alerts
from ticker.alerts.rules import load_rules
from ticker.alerts.webhook import SIGNATURE_HEADER, WebhookSender

BUNDLED = Path(__file__).parent.parent / "fixtures" / "2017-01-29" / "alerts.toml"
SECRET = b"a shared secret"


@dataclass
class Receiver:
    url: str = ""
    bodies: list[tuple[bytes, str]] = field(default_factory=list)
    fail_first: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        if self.fail_first > 0:
            self.fail_first -= 1
            return web.Response(status=503)
        self.bodies.append((await request.read(), request.headers.get(SIGNATURE_HEADER, "")))
        return web.Response(status=204)

    def uids(self) -> list[str]:
        return [json.loads(body)["uid"] for body, _ in self.bodies]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver(fail_first=1)  # the first POST is refused: delivery retries it
    app = web.Application()
    app.router.add_post("/hook", found.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    found.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield found
    finally:
        await runner.cleanup()


async def until(test: Callable[[], bool], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + 30 * TIMEOUT_FACTOR
    while not test():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"never: {what}")
        await asyncio.sleep(0.05)


def alerts_process(redis_url: str, stream: str, rules: Path, *more: str) -> SoireeProcess:
    return SoireeProcess(
        "alerts",
        "run",
        "--rules",
        str(rules),
        "--night",
        "2017-01-29",
        "--redis-url",
        redis_url,
        "--stream",
        stream,
        *more,
        env=soiree_env(),
    )


async def stop(process: SoireeProcess) -> None:
    status = await asyncio.to_thread(process.stop, signal.SIGTERM)
    process.close()
    assert status == 0, process.stderr
    assert "Traceback" not in process.stderr


async def alerts_in(store: StreamStore) -> list[Update]:
    return [u for u in (await store.history()).updates if u.kind is Kind.ALERT]


@pytest.mark.slow
async def test_each_alert_is_appended_and_posted_once_signed_across_a_restart(
    redis_url: str, store: StreamStore, receiver: Receiver, tmp_path: Path
) -> None:
    secret = tmp_path / "secret"
    secret.write_bytes(SECRET + b"\n")
    hook = ("--webhook", receiver.url, "--webhook-secret-file", str(secret))
    updates = night_updates(find_night("2017-01-29"), seen=datetime.now(UTC))
    evening = [u for u in updates if u.at.hour < 20 and u.at.day <= 29]
    await store.append_many(evening)
    first = alerts_process(redis_url, store.stream, BUNDLED, *hook)
    try:
        expected = {"alert:turnout-above-first-round:1", "alert:first-estimate:1"}
        await until(lambda: set(receiver.uids()) == expected, "the evening's two alerts")
    finally:
        await stop(first)
    await store.append_many(updates)  # the rest of the night (what was in is not re-appended)
    second = alerts_process(redis_url, store.stream, BUNDLED, *hook)
    try:
        later = {"alert:first-count:1", "alert:hamon-55:1", "alert:hamon-speech:1"}
        await until(lambda: set(receiver.uids()) == expected | later, "the night's alerts")
    finally:
        await stop(second)
    # Delivery is in order and a restart sends the undelivered first: a duplicate would be in.
    assert sorted(receiver.uids()) == sorted(expected | later)
    for body, header in receiver.bodies:
        assert header == "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        alert = Update.from_json(json.loads(body))
        assert alert.kind is Kind.ALERT
        assert alert.source == "alerts"
    by_uid = {json.loads(body)["uid"]: json.loads(body) for body, _ in receiver.bodies}
    assert by_uid["alert:first-estimate:1"]["at"] == "2017-01-29T18:39:00+01:00"
    assert by_uid["alert:first-count:1"]["at"] == "2017-01-29T20:41:00+01:00"
    assert "Benoît Hamon passe 55 %" in by_uid["alert:hamon-55:1"]["text"]
    in_stream = [u.uid for u in await alerts_in(store)]
    assert sorted(in_stream) == sorted(expected | later)  # each appended once


@pytest.mark.slow
async def test_a_stopped_source_fires_source_silent_once_until_it_polls_again(
    redis_url: str, store: StreamStore, redis_client: redis.asyncio.Redis, tmp_path: Path
) -> None:
    rules = tmp_path / "alerts.toml"
    rules.write_text('[[rule]]\nid = "silent"\ntype = "source_silent"\nminutes = 0.01\n')

    async def poll() -> datetime:
        now = datetime.now(UTC)
        await record_poll(
            redis_client,
            store.stream,
            SourceHealth(source="liveblog").succeeded(
                now=now, outcome="ok", status=200, poll_seconds=0.01
            ),
        )
        return now

    async def silent_alerts() -> list[Update]:
        return [u for u in await alerts_in(store) if u.uid.startswith("alert:silent:")]

    found: list[Update] = []

    async def refresh() -> None:
        found[:] = await silent_alerts()

    async def wait_for(count: int) -> None:
        deadline = asyncio.get_running_loop().time() + 30 * TIMEOUT_FACTOR
        while True:
            await refresh()
            if len(found) >= count:
                return
            assert asyncio.get_running_loop().time() < deadline, f"{count} alerts: {found}"
            await asyncio.sleep(0.05)

    await poll()  # then the source stops polling
    process = alerts_process(redis_url, store.stream, rules)
    try:
        await wait_for(1)
        assert found[0].uid == "alert:silent:1:liveblog"
        assert "source liveblog silencieuse" in found[0].text
        polled_again = await poll()
        await wait_for(2)
        assert found[1].uid == "alert:silent:2:liveblog"
        assert found[1].at >= polled_again  # fired again only after the source polled again
    finally:
        await stop(process)
    # A restarted process finds the source still silent: the alert in the stream stands.
    restarted = alerts_process(redis_url, store.stream, rules)
    try:
        polled_after_restart = await poll()
        await wait_for(3)
        assert [u.uid for u in found][2] == "alert:silent:3:liveblog"
        assert found[2].at >= polled_after_restart  # not fired again at the restart
    finally:
        await stop(restarted)
    assert len(found) == 3


async def test_run_alerts_in_process_sends_each_new_alert_once(
    store: StreamStore, receiver: Receiver
) -> None:
    """The loop itself (in this process): appended once, queued for the webhook, retried."""
    night = find_night("2017-01-29")
    await store.append_many(night_updates(night, seen=datetime.now(UTC)))
    said: list[str] = []

    async def once() -> None:
        engine = AlertEngine(load_rules(BUNDLED), round=2)
        sender = WebhookSender(store.redis, store.stream, receiver.url, SECRET)
        task = asyncio.create_task(
            run_alerts(
                store, engine, webhooks=[sender], tick=0.1, on_alert=lambda a: said.append(a.uid)
            )
        )
        try:
            # The loop failing ends the wait at once: its own error, not "never: ...".
            await until(lambda: len(receiver.bodies) == 5 or task.done(), "five alerts received")
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task  # raises what the loop failed with, if it did

    await once()
    await once()  # again on the same stream: nothing new fired, appended or sent
    assert len(said) == 5
    assert sorted(receiver.uids()) == sorted(set(receiver.uids()))
    assert len(await alerts_in(store)) == 5


@pytest.mark.slow
async def test_alerts_run_outlives_a_redis_restart(tmp_path: Path) -> None:
    """Redis stopped under ``alerts run``: it says so, waits, and evaluates again once back."""
    rules = tmp_path / "alerts.toml"
    rules.write_text('[[rule]]\nid = "first-count"\ntype = "first_count"\n')
    server = ScratchServer(tmp_path / "redis", timeout=10 * TIMEOUT_FACTOR)
    (tmp_path / "redis").mkdir()
    server.start()
    process = alerts_process(server.url, "night", rules)
    try:
        await asyncio.to_thread(process.wait_for_line, r"1 rules on night")
        server.stop()
        await asyncio.to_thread(process.wait_for_line, r"Redis failed")
        server.start()
        client = await connect(server.url)
        try:
            updates = night_updates(find_night("2017-01-29"), seen=datetime.now(UTC))
            await StreamStore(client, "night").append_many(updates)
        finally:
            await client.aclose()
        await asyncio.to_thread(process.wait_for_line, r"fired alert:first-count:1")
    finally:
        await stop(process)
        server.stop()
