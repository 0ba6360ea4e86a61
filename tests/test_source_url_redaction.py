"""A source URL's credentials are published nowhere: every surface that shows source health.

Real pollers fetch a real server on 127.0.0.1 through URLs carrying ``user:password@``,
``token=`` and ``api_key=``; then the Redis health hash, ``/healthz``, the websocket
``snapshot`` and ``health`` messages, and ``soiree ingest --status`` (table and ``--json``) are
read as a client would, and none may hold a secret.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import signal
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from redis.asyncio import Redis
from websockets.asyncio.client import connect as ws_connect

from ingest.model.recording import load_recording
from ingest.runtime.log_redaction import is_secret_parameter, redact_url
from ingest.sources.config import load_ingest_config
from ingest.sources.source_config import SourceConfigError
from ingest.sources.source_health import SourceHealth
from ingest.store import keys
from ingest.store.health import read_all_health
from replay.clock import ReplayWindow
from replay.emulated.recorded_server import build_recording_app
from replay.night_fixture import NightFixture
from tests.cli_process import SoireeProcess, soiree_env
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.broadcaster import BroadcasterStarter, make_update, recv_json, recv_until
from tests.plugins.ingest import (
    FAULT_PATHS,
    FaultServer,
    eventually,
    ingest_until,
    serve_test_app,
    soiree_command,
    sources_toml,
)
from ticker.alerts.webhook import WebhookSender

SECRETS = ("hunter2", "T0KSECRET", "K3YSECRET", "S1GSECRET")


def with_credentials(base_url: str, path: str) -> str:
    """``base_url + path`` with a password in the userinfo and secrets in the query."""
    return base_url.replace("http://", "http://reader:hunter2@", 1) + (
        f"{path}?page=2&token=T0KSECRET&api_key=K3YSECRET&X-Amz-Signature=S1GSECRET"
    )


def assert_no_secret(text: str, surface: str) -> None:
    """None of the secrets appears in ``text``."""
    leaked = [secret for secret in SECRETS if secret in text]
    assert not leaked, (surface, leaked, text[:500])


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://u:pw@h.example/f?api_key=K&page=2",
            "https://u:***@h.example/f?api_key=***&page=2",
        ),
        (
            "http://h/x?monkey=1&keyword=2&key=3&X-Amz-Signature=s;sig=t",
            "http://h/x?monkey=1&keyword=2&key=***&X-Amz-Signature=***;sig=***",
        ),
        (
            "http://h/x?client_secret=s&csrftoken=t&q=a%20b",
            "http://h/x?client_secret=***&csrftoken=***&q=a%20b",
        ),
        ("http://h/#access_token=t&state=1", "http://h/#access_token=***&state=1"),
        ("http://token@h/x?Password=p", "http://token@h/x?Password=***"),
        ("https://h/feed.xml", "https://h/feed.xml"),
    ],
)
def test_redact_url_masks_passwords_and_secret_parameters(url: str, shown: str) -> None:
    """The one URL redaction: userinfo password and secret-looking parameters, nothing else."""
    assert redact_url(url) == shown


def test_secret_parameter_names() -> None:
    """Whole words and suffixes count (api-key, X-Api-Key, access_token); lookalikes do not."""
    for name in ("token", "api-key", "X-Api-Key", "apikey", "access_token", "passwd", "auth"):
        assert is_secret_parameter(name), name
    for name in ("monkey", "keyword", "page", "author", "since", "sigma"):
        assert not is_secret_parameter(name), name


async def test_health_read_back_from_an_older_hash_is_masked(
    redis_client: Redis, stream_key: str
) -> None:
    """A hash written raw (by a version before the redaction) is masked when read."""
    raw = "http://reader:hunter2@127.0.0.1:9/feed?token=T0KSECRET"
    await redis_client.hset(
        keys.health_key(stream_key, "old"),
        mapping={"url": raw, "state": "error", "last_error": f"cannot fetch {raw}: refused"},
    )
    await redis_client.sadd(keys.sources_key(stream_key), "old")
    health = await read_all_health(redis_client, stream_key)
    assert_no_secret(json.dumps(health), "read_all_health")
    assert health["old"]["url"] == "http://reader:***@127.0.0.1:9/feed?token=***"
    failed = SourceHealth("new", url=raw).failed(
        now=datetime.now(UTC), outcome="connection_error", error=f"at {raw}", status=None,
        poll_seconds=0.1,
    )  # fmt: skip
    assert_no_secret(json.dumps(failed.to_json()), "a failed poll's health")


async def test_no_surface_shows_a_source_credential(
    *,
    fault_server: FaultServer,
    sources_night: NightFixture,
    redis_client: Redis,
    redis_url: str,
    stream_key: str,
    start_broadcaster: BroadcasterStarter,
    tmp_path: Path,
) -> None:
    """Redis hash, /healthz, snapshot, health messages, ingest --status [--json]: no secret."""
    fault_server.entries = [("21h00", "Première entrée", None)]
    quick = {"interval": 0.05, "timeout": 1.0, "total_timeout": 2.0, "max_backoff": 0.3}
    base = fault_server.base_url
    sources = [
        {"name": "good", "type": "liveblog", "url": with_credentials(base, "/liveblog"), **quick},
        {
            "name": "broken",
            "type": "liveblog",
            "url": with_credentials(base, FAULT_PATHS["error"]),
            **quick,
        },
    ]
    config_path = sources_toml(tmp_path / "sources.toml", None, sources)
    config = load_ingest_config(config_path)
    running = await start_broadcaster(health_interval=0.05)
    async with ws_connect(running.ws_url("since=$")) as ws:
        await recv_until(ws, "live")

        async def polled_twice() -> bool:
            health = await read_all_health(redis_client, stream_key)
            return all(
                int(str(health.get(name, {}).get("polls", 0))) >= 2 for name in ("good", "broken")
            )

        await ingest_until(
            config, redis_client, night=sources_night.night, stream=stream_key,
            done=polled_twice, within=20 * TIMEOUT_FACTOR,
        )  # fmt: skip
        # The poller did fetch through the URL with its credentials: the good source worked.
        health = await read_all_health(redis_client, stream_key)
        assert health["good"]["state"] == "ok", health["good"]
        assert health["broken"]["state"] == "error", health["broken"]
        shown = str(health["good"]["url"])
        assert shown.startswith("http://reader:***@127.0.0.1:")
        assert shown.endswith("/liveblog?page=2&token=***&api_key=***&X-Amz-Signature=***")
        # Live clients got health messages with both sources in them.
        async with asyncio.timeout(5 * TIMEOUT_FACTOR):
            while True:
                raw = await ws.recv()
                assert isinstance(raw, str)
                assert_no_secret(raw, "websocket message")
                message = json.loads(raw)
                if message["type"] == "health" and {"good", "broken"} <= set(message["sources"]):
                    break
    for name in ("good", "broken"):
        stored = await redis_client.hgetall(keys.health_key(stream_key, name))
        assert stored, name
        assert_no_secret(json.dumps(stored, default=str), f"the Redis hash of {name}")
    async with (
        aiohttp.ClientSession() as session,
        session.get(running.http_url("/healthz")) as response,
    ):
        body = await response.text()
    assert "reader:***@" in body
    assert_no_secret(body, "/healthz")
    async with ws_connect(running.ws_url("since=$")) as ws:
        assert (await recv_json(ws))["type"] == "hello"
        snapshot = await ws.recv()
    assert isinstance(snapshot, str)
    assert "reader:***@" in snapshot
    assert_no_secret(snapshot, "snapshot")
    for extra in ((), ("--json",)):
        process = await asyncio.create_subprocess_exec(
            *soiree_command("ingest", "--status", *extra, "--config", str(config_path),
                            "--redis-url", redis_url, "--stream", stream_key),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env={"COLUMNS": "400", "PATH": "/usr/bin:/bin"},
        )  # fmt: skip
        out, err = await asyncio.wait_for(process.communicate(), timeout=60 * TIMEOUT_FACTOR)
        assert process.returncode == 0, err.decode()
        assert_no_secret(out.decode() + err.decode(), f"ingest --status {' '.join(extra)}")
    assert json.loads(out)["good"]["url"] == health["good"]["url"]


@pytest.mark.parametrize(
    ("base_url", "url"),
    [
        ("http://127.0.0.1:9", "ftp://reader:hunter2@127.0.0.1/feed?token=T0KSECRET"),
        ("ftp://reader:hunter2@127.0.0.1/?api_key=K3YSECRET", "/feed"),
        (None, "feed?api_key=K3YSECRET"),
    ],
)
def test_a_refused_source_url_is_named_without_its_secrets(
    tmp_path: Path, base_url: str | None, url: str
) -> None:
    """The config error that quotes a bad source URL masks its password and secrets."""
    path = sources_toml(
        tmp_path / "bad.toml", base_url, [{"name": "x", "type": "feed", "url": url, "interval": 5}]
    )
    with pytest.raises(SourceConfigError) as refused:
        load_ingest_config(path)
    assert "***" in str(refused.value)
    assert_no_secret(str(refused.value), "a config error")


async def _run(*args: str) -> tuple[int, str]:
    """Run ``soiree args...`` to its end without blocking the loop (the fault server is in it)."""
    process = await asyncio.create_subprocess_exec(
        *soiree_command(*args),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env=soiree_env(COLUMNS="400"),
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60 * TIMEOUT_FACTOR)
    assert process.returncode is not None
    return process.returncode, out.decode() + err.decode()


async def test_no_process_prints_logs_records_or_serves_a_source_credential(
    *, fault_server: FaultServer, redis_url: str, stream_key: str, tmp_path: Path
) -> None:
    """Real `soiree ingest -vv --record`, `serve -vv` (/sse, /ws, /healthz, /metrics) and
    `ticker --once`: no output, log line, recorded file or served byte holds a source secret."""
    fault_server.entries = [("21h00", "Première entrée", None)]
    quick = {"interval": 0.05, "timeout": 1.0, "total_timeout": 2.0, "max_backoff": 0.3}
    base = fault_server.base_url
    config_path = sources_toml(
        tmp_path / "sources.toml",
        None,
        [
            {"name": "good", "type": "liveblog", "url": with_credentials(base, "/liveblog"),
             **quick},
            {"name": "broken", "type": "liveblog",
             "url": with_credentials(base, FAULT_PATHS["error"]), **quick},
        ],
    )  # fmt: skip
    where = ("--redis-url", redis_url, "--stream", stream_key)
    serve = SoireeProcess("-vv", "serve", "--port", "0", *where, env=soiree_env(COLUMNS="400"))
    try:
        port = int(serve.wait_for_line(r"http://127\.0\.0\.1:(\d+)/").group(1))
        recording = tmp_path / "recording"
        status, ingest_output = await _run(
            "-vv", "ingest", "--burst", "--record", str(recording), "--config", str(config_path),
            *where,
        )  # fmt: skip
        assert status == 1, ingest_output  # the broken source failed, and said so
        assert "broken" in ingest_output
        assert_no_secret(ingest_output, "soiree ingest -vv")
        recorded = "".join(
            (
                gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
            ).decode(errors="replace")
            for path in sorted(recording.rglob("*"))
            if path.is_file()
        )  # the index, its rotated parts and the blobs (bodies), decompressed
        assert "reader:***@" in recorded  # the recording names the URLs it fetched...
        assert_no_secret(recorded, "the recording")  # ...without their secrets
        # Served again, the recording answers the sources file's URL, whatever its token.
        app = build_recording_app(load_recording(recording), ReplayWindow(speed=1.0), interval=0)
        runner, again = await serve_test_app(app)
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(f"{again}/liveblog?page=2&token=T&api_key=K&X-Amz-Signature=S") as got,
            ):
                assert got.status == 200, await got.text()
                assert "Première entrée" in await got.text()
        finally:
            await runner.cleanup()
        http = f"http://127.0.0.1:{port}"
        served: dict[str, str] = {}
        async with aiohttp.ClientSession() as session:
            for path in ("/healthz", "/metrics"):
                async with session.get(http + path) as response:
                    served[path] = await response.text()
            async with session.get(http + "/sse?since=0") as response:
                buffer = ""
                async with asyncio.timeout(10 * TIMEOUT_FACTOR):
                    async for chunk in response.content.iter_any():
                        buffer += chunk.decode()
                        if "event: live" in buffer:
                            break
                served["/sse"] = buffer
        async with ws_connect(f"ws://127.0.0.1:{port}/ws?since=0") as ws:
            served["/ws"] = json.dumps(await recv_until(ws, "live"))
        for surface, text in served.items():
            assert_no_secret(text, surface)
        for surface in ("/healthz", "/sse", "/ws"):
            assert "reader:***@" in served[surface], surface  # the URL is there, masked
        status, ticker_output = await _run("-vv", "ticker", "--once", *where)
        assert status == 0, ticker_output
        assert "broken" in ticker_output
        assert_no_secret(ticker_output, "soiree ticker --once")
    finally:
        serve.stop(signal.SIGTERM)
        serve.close()
    assert "GET /sse" in serve.stderr or "/ws" in serve.stderr, serve.stderr[-500:]
    assert_no_secret(serve.stderr, "soiree serve -vv")


async def test_a_failing_webhook_is_logged_without_its_secret(
    redis_client: Redis, stream_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A webhook receiver answering 500 is named in the log with its token masked."""

    async def refuse(_: web.Request) -> web.Response:
        return web.Response(status=500)

    app = web.Application()
    app.router.add_post("/hook", refuse)
    runner, base = await serve_test_app(app)
    sender = WebhookSender(redis_client, stream_key, f"{base}/hook?token=T0KSECRET", b"s")
    task = asyncio.create_task(sender.run())

    async def logged_once() -> bool:
        return any("failed (attempt 1)" in record.getMessage() for record in caplog.records)

    try:
        sender.send(make_update(1))
        await eventually(logged_once, within=10 * TIMEOUT_FACTOR)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await runner.cleanup()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/hook?token=***" in logged
    assert_no_secret(logged, "the webhook's log")
