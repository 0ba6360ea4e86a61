"""The broadcaster's /export/results.csv and .json: the same bytes as `soiree export`, ETags,
304 on If-None-Match, the read token and allowed origins."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

from ingest.model.update import Figures, Kind
from ingest.store.stream_store import StreamStore
from replay.fixtures import find_night
from replay.timeline import night_updates
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.broadcaster import BroadcasterStarter, make_update

SOIREE = str(Path(sys.executable).with_name("soiree"))
_SEEN = datetime(2017, 1, 29, 18, 0, tzinfo=UTC)


async def append_night(store: StreamStore) -> None:
    """The whole night of the fixtures, appended to the test's stream."""
    await store.append_many(night_updates(find_night("2017-01-29"), seen=_SEEN))


def cli_export(redis_url: str, stream: str, fmt: str) -> bytes:
    """What `soiree export --table results --format FMT` prints for the stream."""
    env = {**os.environ, "REDIS_URL": redis_url, "NO_COLOR": "1"}
    return subprocess.run(
        [SOIREE, "export", "--stream", stream, "--table", "results", "--format", fmt],
        env=env,
        capture_output=True,
        check=True,
        timeout=60 * TIMEOUT_FACTOR,
    ).stdout


async def test_the_broadcaster_serves_what_soiree_export_writes(
    store: StreamStore, redis_url: str, start_broadcaster: BroadcasterStarter
) -> None:
    """/export/results.csv and .json are byte for byte `soiree export --table results`."""
    await append_night(store)
    running = await start_broadcaster(night={"round": 2})
    async with aiohttp.ClientSession() as session:
        for fmt, content_type in (("csv", "text/csv"), ("json", "application/json")):
            async with session.get(running.http_url(f"/export/results.{fmt}")) as response:
                assert response.status == 200
                assert response.headers["Content-Type"].startswith(content_type)
                assert response.headers["Cache-Control"] == "no-cache"
                body = await response.read()
            expected = await asyncio.to_thread(cli_export, redis_url, store.stream, fmt)
            assert body == expected
    assert '"pct": 58.72' in body.decode()  # the last one checked: JSON


async def test_a_poller_gets_304_until_the_table_changes(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """If-None-Match with the current ETag: 304 and no body; a new count changes the ETag."""
    await append_night(store)
    running = await start_broadcaster(night={"round": 2})
    url = running.http_url("/export/results.csv")
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:
            etag = response.headers["ETag"]
            first = await response.text()
        async with session.get(url, headers={"If-None-Match": etag}) as response:
            assert response.status == 304
            assert await response.read() == b""
            assert response.headers["ETag"] == etag
        # A correction of the Loire: the table changes, and so does its ETag.
        loire = Figures(scope="Loire", shares={"Benoît Hamon": 61.0, "Manuel Valls": 39.0})
        await store.append(make_update(900, kind=Kind.COUNT, figures=loire, minute=250))
        deadline = asyncio.get_running_loop().time() + 10 * TIMEOUT_FACTOR
        while True:
            async with session.get(url, headers={"If-None-Match": etag}) as response:
                if response.status == 200:
                    changed = await response.text()
                    assert response.headers["ETag"] != etag
                    break
            assert asyncio.get_running_loop().time() < deadline, "the table never changed"
            await asyncio.sleep(0.05)
    assert "Loire,42,insee-departement,département,count,Benoît Hamon,61.0" in changed
    assert "61.0" not in first


async def test_exports_want_the_token_and_answer_allowed_origins_only(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """With a read token: 401 without it; CORS headers for an allowed origin, none otherwise."""
    await append_night(store)
    running = await start_broadcaster(
        night={"round": 2}, token="s3cret", allowed_origins=("https://maps.example",)
    )
    url = running.http_url("/export/results.json")
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as response:
            assert response.status == 401
            assert await response.text() != ""
            assert "Benoît" not in await response.text()
        headers = {"Authorization": "Bearer s3cret", "Origin": "https://maps.example"}
        async with session.get(url, headers=headers) as response:
            assert response.status == 200
            assert response.headers["Access-Control-Allow-Origin"] == "https://maps.example"
            assert "ETag" in response.headers["Access-Control-Expose-Headers"]
        headers["Origin"] = "https://elsewhere.example"
        async with session.get(url, headers=headers) as response:
            assert response.status == 200
            assert "Access-Control-Allow-Origin" not in response.headers
