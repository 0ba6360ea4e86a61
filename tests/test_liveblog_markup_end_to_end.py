"""New liveblog markups ingested end to end: a real HTTP server, `soiree ingest --burst`, Redis.

The emulated liveblog serves one markup only, so this test serves its own pages (HTML written
by us) from an aiohttp server on 127.0.0.1, port 0: entries timed by an attribute of the entry
element, ``dt``/``dd`` pairs, and headings followed by paragraphs. Two bursts of the real
poller: the entries land with the right times in the night's zone; between them one entry is
added (an ``add``) and one edited (an ``edit``), and one with a garbled time is skipped and named.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest_asyncio
from aiohttp import web
from redis.asyncio import Redis

from ingest.model.update import Op
from ingest.store.health import read_all_health
from ingest.store.stream_store import StreamStore
from replay.night_fixture import NightFixture
from tests.conftest import BUNDLED_NIGHT_DIR, TIMEOUT_FACTOR
from tests.plugins.ingest import soiree_command, sources_toml

PAGES_BEFORE = {
    "/attr": (
        '<ul class="direct"><li data-time="20h41">Benoît Hamon l\'emporte.</li>'
        '<li data-time="2017-01-29T20:05:00+01:00">Premières estimations.</li></ul>'
    ),
    "/dl": (
        '<dl class="fil"><dt>21 h 02</dt><dd>Manuel Valls reconnaît sa défaite.</dd>'
        "<dt>20:41</dt><dd>Benoît Hamon l'emporte.</dd></dl>"
    ),
    "/headings": (
        '<div class="txt"><p>Bonsoir.</p><h3>22h15 - Discours</h3><p>Hamon remercie.</p>'
        "<h3>22h05</h3><p>Valls appelle à voter Hamon.</p></div>"
    ),
}
PAGES_AFTER = {
    "/attr": (
        '<ul class="direct"><li data-time="21h16">Jean-Luc Mélenchon réagit.</li>'
        '<li data-time="bientôt">Heure illisible.</li>'
        '<li data-time="20h41">Benoît Hamon l\'emporte.</li>'
        '<li data-time="2017-01-29T20:05:00+01:00">Premières estimations.</li></ul>'
    ),
    "/dl": (
        '<dl class="fil"><dt>21 h 02</dt><dd>Manuel Valls reconnaît sa défaite.</dd>'
        "<dd>Il soutiendra Hamon.</dd><dt>20:41</dt><dd>Benoît Hamon l'emporte.</dd></dl>"
    ),
    "/headings": (
        '<div class="txt"><p>Bonsoir.</p><h3>22h30</h3><p>Fin du direct.</p>'
        "<h3>22h15 - Discours</h3><p>Hamon remercie.</p>"
        "<h3>22h05</h3><p>Valls appelle à voter Hamon.</p></div>"
    ),
}
SOURCES: list[dict[str, Any]] = [
    {"name": "attr", "type": "liveblog", "url": "/attr", "interval": 5,
     "entry": "ul.direct > li", "time": "@data-time"},
    {"name": "pairs", "type": "liveblog", "url": "/dl", "interval": 5,
     "entry_mode": "siblings", "container": "dl.fil", "time": "dt", "body": "dd"},
    {"name": "heads", "type": "liveblog", "url": "/headings", "interval": 5,
     "entry_mode": "siblings", "container": "div.txt", "time": "h3", "body": "p"},
]  # fmt: skip


@pytest_asyncio.fixture
async def pages() -> AsyncIterator[tuple[str, dict[str, str]]]:
    """The base URL of a server on 127.0.0.1 (port 0) and the pages it serves (mutable)."""
    served = dict(PAGES_BEFORE)

    async def page(request: web.Request) -> web.Response:
        body = served.get(request.path)
        if body is None:
            raise web.HTTPNotFound
        html = f"<!doctype html><html><body>{body}</body></html>"
        return web.Response(text=html, content_type="text/html", charset="utf-8")

    app = web.Application()
    app.router.add_get("/{name}", page)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}", served
    finally:
        await runner.cleanup()


async def _burst(config: Path, redis_url: str, stream: str) -> None:
    process = await asyncio.create_subprocess_exec(
        *soiree_command("ingest", "--burst", "--config", str(config), "--redis-url", redis_url,
                        "--stream", stream),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60 * TIMEOUT_FACTOR)
    assert process.returncode == 0, (out + err).decode()
    for source in SOURCES:
        assert re.search(rf"^{source['name']}: ok ", out.decode(), re.M), out.decode()


async def test_new_markups_are_ingested_with_times_adds_and_edits(
    *,
    pages: tuple[str, dict[str, str]],
    sources_night: NightFixture,
    redis_client: Redis,
    redis_url: str,
    stream_key: str,
    tmp_path: Path,
) -> None:
    """Times in the night's zone from each markup; a new entry is an add, a changed one an edit."""
    base_url, served = pages
    zone = sources_night.night.timezone
    config = sources_toml(
        tmp_path / "s.toml", base_url, SOURCES, night=str(BUNDLED_NIGHT_DIR / "night.toml")
    )
    store = StreamStore(redis_client, stream_key)

    await _burst(config, redis_url, stream_key)
    first = (await store.history()).updates
    assert sorted((u.uid, u.op, u.at) for u in first) == sorted([
        ("attr:2005", Op.ADD, datetime(2017, 1, 29, 20, 5, tzinfo=zone)),
        ("attr:2041", Op.ADD, datetime(2017, 1, 29, 20, 41, tzinfo=zone)),
        ("pairs:2041", Op.ADD, datetime(2017, 1, 29, 20, 41, tzinfo=zone)),
        ("pairs:2102", Op.ADD, datetime(2017, 1, 29, 21, 2, tzinfo=zone)),
        ("heads:2205", Op.ADD, datetime(2017, 1, 29, 22, 5, tzinfo=zone)),
        ("heads:2215", Op.ADD, datetime(2017, 1, 29, 22, 15, tzinfo=zone)),
    ])  # fmt: skip
    texts = {u.uid: u.text for u in first}
    assert texts["heads:2215"] == "Discours\n\nHamon remercie."
    assert texts["pairs:2102"] == "Manuel Valls reconnaît sa défaite."
    assert all(u.at.utcoffset() == datetime(2017, 1, 29, tzinfo=zone).utcoffset() for u in first)

    served.update(PAGES_AFTER)
    await _burst(config, redis_url, stream_key)
    second = (await store.history()).updates[len(first) :]
    assert sorted((u.uid, u.op) for u in second) == [
        ("attr:2116", Op.ADD),
        ("heads:2230", Op.ADD),
        ("pairs:2102", Op.EDIT),
    ]
    edited = next(u for u in second if u.op is Op.EDIT)
    assert edited.text == "Manuel Valls reconnaît sa défaite.\n\nIl soutiendra Hamon."
    assert edited.at == datetime(2017, 1, 29, 21, 2, tzinfo=zone)
    health = (await read_all_health(redis_client, stream_key))["attr"]
    skipped, warning = health["skipped"], health["last_warning"]
    assert isinstance(skipped, dict)
    assert isinstance(warning, str)
    assert skipped["no_date"] == 1
    assert "entry #2: data-time 'bientôt' is no time it could read" in warning
