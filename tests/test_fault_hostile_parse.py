"""Faults: documents under the size cap that cost minutes to parse, against `soiree ingest`.

A feed whose description holds 200,000 nested elements (4.6 MB) and a page of 100,000 unclosed
nested elements (1.1 MB) are served by a real HTTP server on 127.0.0.1; `soiree ingest` runs in
a process of its own with a healthy source beside them. The parse of each must end at its
``parse_timeout`` as a ``parse_error`` saying so, the healthy source must go on, and SIGTERM in
the middle of such a parse must end the process within the stop grace, leaving no parser behind.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import pytest_asyncio
from aiohttp import web
from redis.asyncio import Redis

from ingest.polling.runner import STOP_GRACE
from ingest.store.health import read_all_health
from tests.conftest import BUNDLED_NIGHT_DIR, TIMEOUT_FACTOR
from tests.plugins.ingest import eventually, serve_test_app, soiree_command, sources_toml

BUNDLED_NIGHT: Final = BUNDLED_NIGHT_DIR / "night.toml"
PATHS: Final = {"deep_feed": "/deep.xml", "deep_page": "/deep.html", "good": "/good.xml"}


def deep_feed(depth: int = 200_000) -> bytes:
    """An RSS item whose description nests ``depth`` escaped elements (23 bytes each)."""
    return (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><guid>deep'
        b"</guid><title>Profond</title><pubDate>Sun, 29 Jan 2017 21:00:00 +0100</pubDate>"
        b"<description>"
        + b"&lt;div&gt;" * depth
        + b"21h00: fond"
        + b"&lt;/div&gt;" * depth
        + b"</description></item></channel></rss>"
    )


def deep_page(depth: int = 100_000) -> bytes:
    """A page of ``depth`` nested elements never closed (11 bytes each)."""
    return b"<html><body>" + b"<div><span>" * depth + b"<p>21h00: au fond</p>"


GOOD_FEED: Final = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><guid>ok</guid>'
    b"<title>Benoit Hamon en tete</title><pubDate>Sun, 29 Jan 2017 21:00:00 +0100</pubDate>"
    b"</item></channel></rss>"
)


@dataclass
class HostileParses:
    """The server of hostile documents: its base URL and the requests per path."""

    base_url: str = ""
    hits: dict[str, int] = field(default_factory=dict)


@pytest_asyncio.fixture
async def hostile_parses() -> AsyncIterator[HostileParses]:
    """The hostile documents and a healthy feed, served on 127.0.0.1 (port 0)."""
    state = HostileParses()
    bodies = {
        PATHS["deep_feed"]: (deep_feed(), "application/rss+xml"),
        PATHS["deep_page"]: (deep_page(), "text/html"),
        PATHS["good"]: (GOOD_FEED, "application/rss+xml"),
    }

    async def serve(request: web.Request) -> web.Response:
        state.hits[request.path] = state.hits.get(request.path, 0) + 1
        body, content_type = bodies[request.path]
        return web.Response(body=body, content_type=content_type)

    app = web.Application()
    for path in bodies:
        app.router.add_get(path, serve)
    runner, state.base_url = await serve_test_app(app)
    try:
        yield state
    finally:
        await runner.cleanup()


def _config(tmp_path: Path, server: HostileParses, *, parse_timeout: float) -> Path:
    polite = {"interval": 0.2, "max_backoff": 0.5, "parse_timeout": parse_timeout}
    return sources_toml(
        tmp_path / "sources.toml",
        server.base_url,
        [
            {"name": "deepfeed", "type": "feed", "url": PATHS["deep_feed"], **polite},
            {"name": "deeppage", "type": "liveblog", "url": PATHS["deep_page"], **polite},
            {"name": "good", "type": "feed", "url": PATHS["good"], **polite},
        ],
        night=str(BUNDLED_NIGHT),
    )


async def _start_ingest(config: Path, redis_url: str, stream: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *soiree_command(
            "ingest", "--config", str(config), "--redis-url", redis_url, "--stream", stream
        ),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


def parse_workers_of(pid: int) -> list[int]:
    """The parse worker processes ``pid`` started (they name their parent's pid), still alive."""
    found: list[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"ingest.polling.bounded_parse" in argv and str(pid).encode() in argv:
            found.append(int(entry))
    return found


async def _stop(process: asyncio.subprocess.Process) -> tuple[int, str, float]:
    """SIGTERM ``process``; its exit status, stderr, and the seconds it took to exit."""
    started = asyncio.get_running_loop().time()
    process.send_signal(signal.SIGTERM)
    try:
        _, err = await asyncio.wait_for(process.communicate(), timeout=30 * TIMEOUT_FACTOR)
    except TimeoutError:
        process.kill()  # never leave it running: it would parse for minutes
        await process.wait()
        raise
    assert process.returncode is not None
    return process.returncode, err.decode(), asyncio.get_running_loop().time() - started


async def test_a_parse_past_its_time_limit_is_a_parse_error_and_others_go_on(
    *,
    hostile_parses: HostileParses,
    redis_client: Redis,
    redis_url: str,
    stream_key: str,
    tmp_path: Path,
) -> None:
    """Both hostile documents end at parse_timeout as parse_error, saying why; 'good' is ok."""
    config = _config(tmp_path, hostile_parses, parse_timeout=1)
    process = await _start_ingest(config, redis_url, stream_key)

    async def given_up() -> bool:
        health = await read_all_health(redis_client, stream_key)
        return (
            all(
                health.get(name, {}).get("last_outcome") == "parse_error"
                for name in ("deepfeed", "deeppage")
            )
            and health.get("good", {}).get("state") == "ok"
        )

    try:
        await eventually(given_up, within=60 * TIMEOUT_FACTOR, every=0.2)
    finally:
        code, err, _ = await _stop(process)
    assert code == 0, err
    health = await read_all_health(redis_client, stream_key)
    for name in ("deepfeed", "deeppage"):
        assert health[name]["state"] == "error"
        assert str(health[name]["last_error"]).startswith("parsing took longer than 1 s")
    assert health["good"]["entries_seen"] == 1
    assert "Traceback" not in err


async def test_sigterm_in_the_middle_of_a_parse_exits_within_the_grace(
    *,
    hostile_parses: HostileParses,
    redis_url: str,
    stream_key: str,
    tmp_path: Path,
) -> None:
    """Parses of minutes under way: SIGTERM exits 0 within the 2 s grace, no parser left."""
    config = _config(tmp_path, hostile_parses, parse_timeout=600)
    process = await _start_ingest(config, redis_url, stream_key)

    async def fetched() -> bool:
        return all(
            hostile_parses.hits.get(PATHS[name], 0) >= 1 for name in ("deep_feed", "deep_page")
        )

    async def parsing() -> bool:
        return await fetched() and len(parse_workers_of(process.pid)) == 2

    try:
        # Both documents fetched and a worker process for each: parses of minutes under way.
        await eventually(parsing, within=30 * TIMEOUT_FACTOR, every=0.1)
        await asyncio.sleep(0.5)
    finally:
        code, err, took = await _stop(process)
    assert code == 0, err
    assert took < (STOP_GRACE + 2) * TIMEOUT_FACTOR

    async def no_worker_left() -> bool:
        return not parse_workers_of(process.pid)

    await eventually(no_worker_left, within=5 * TIMEOUT_FACTOR)
