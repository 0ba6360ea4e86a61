"""`soiree ingest --status` and `--burst` as a user reads them: staleness shared with the
ticker, a table that cuts no word in 80 columns, a burst summary of the whole burst."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redis.asyncio import Redis

from ingest.cli import main
from ingest.sources.source_health import SourceHealth
from ingest.store.health import read_all_health, record_poll
from ingest.store.redis_client import connect
from ingest.store.stream_store import StreamStore
from tests.conftest import BUNDLED_NIGHT_DIR, TIMEOUT_FACTOR
from tests.plugins.ingest import soiree_command, sources_toml
from tests.plugins.sources import SourcesStarter
from ticker.terminal.render_health import source_status


def _healthy(name: str, *, polled_ago: timedelta, interval: float = 5.0) -> SourceHealth:
    """A source whose last poll, ``polled_ago`` (from now), went well, and meant to poll again."""
    polled = datetime.now(UTC) - polled_ago
    health = SourceHealth(source=name, type="liveblog", url="http://h/", interval=interval)
    health = health.succeeded(
        now=polled, outcome="not_modified", status=304, poll_seconds=0.0125, entries=43
    )
    return health.scheduled(polled + timedelta(seconds=interval))


def _record(redis_url: str, stream: str, *healths: SourceHealth) -> None:
    async def write() -> None:
        client = await connect(redis_url)
        try:
            for health in healths:
                await record_poll(client, stream, health)
        finally:
            await client.aclose()

    asyncio.run(write())


def _status(redis_url: str, stream: str, capsys: pytest.CaptureFixture[str]) -> str:
    argv = ["ingest", "--status", "--config", str(BUNDLED_NIGHT_DIR / "sources.toml"),
            "--redis-url", redis_url, "--stream", stream]  # fmt: skip
    assert main(argv) == 0
    return capsys.readouterr().out


def test_a_stopped_poller_is_silent_in_status_as_in_the_ticker(
    redis_url: str,
    stream_key: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Last poll ok nine minutes ago, none since: `--status` says silent, the ticker silencieux."""
    monkeypatch.setenv("COLUMNS", "100")
    stopped = _healthy("liveblog", polled_ago=timedelta(minutes=9))
    alive = _healthy("articles", polled_ago=timedelta(seconds=2))
    _record(redis_url, stream_key, stopped, alive)
    out = _status(redis_url, stream_key, capsys)
    assert re.search(r"liveblog +silent", out), out
    assert re.search(r"articles +ok", out), out
    assert "liveblog: silent" in out  # how late, said below the table
    now = datetime.now(UTC).timestamp()
    assert source_status(stopped.to_json(), now).label == "silencieux"
    assert source_status(alive.to_json(), now).label == "ok"


def test_the_status_table_cuts_no_word_in_80_columns(
    redis_url: str,
    stream_key: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every word of every cell, header and message stands whole on one line at 80 columns."""
    monkeypatch.setenv("COLUMNS", "80")
    failing = SourceHealth(
        source="results-departements", type="results", url="http://h/", interval=5
    )
    for _ in range(3):
        failing = failing.failed(
            now=datetime.now(UTC), outcome="http_error", status=503, poll_seconds=1.2345,
            error="HTTP 503 Service Unavailable from https://results.example.org/2017/results.json",
        )  # fmt: skip
    _record(redis_url, stream_key, failing, _healthy("liveblog", polled_ago=timedelta(seconds=3)))
    out = _status(redis_url, stream_key, capsys)
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80
    words = {
        "source", "state", "HTTP", "success", "entries", "latency", "liveblog", "articles",
        "results-departements", "never", "polled", "error", "Service", "Unavailable",
        "https://results.example.org/2017/results.json", "1234", "ago",
    }  # fmt: skip
    broken = [word for word in words if not any(word in line for line in lines)]
    assert not broken, out


async def test_the_burst_summary_counts_the_whole_burst(
    *,
    start_sources: SourcesStarter,
    redis_client: Redis,
    redis_url: str,
    stream_key: str,
    tmp_path: Path,
) -> None:
    """`--burst` says per source what every poll of the burst added, summing to the stream."""
    running = await start_sources(speed="max", page_size=100)
    config = sources_toml(tmp_path / "s.toml", running.base_url, [
        {"name": "liveblog", "type": "liveblog", "url": "/liveblog", "interval": 5,
         "entry": "article.entry", "time": "time", "body": ".body"},
        {"name": "articles", "type": "feed", "url": "/feed.xml", "interval": 5},
    ], night=str(BUNDLED_NIGHT_DIR / "night.toml"))  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        *soiree_command("ingest", "--burst", "--config", str(config), "--redis-url", redis_url,
                        "--stream", stream_key),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60 * TIMEOUT_FACTOR)
    assert process.returncode == 0, err.decode()
    added = {
        match["name"]: int(match["added"])
        for match in re.finditer(
            r"^(?P<name>\w+): ok .*?\+(?P<added>\d+) added", out.decode(), re.M
        )
    }
    assert set(added) == {"liveblog", "articles"}, out.decode()
    assert all(count > 0 for count in added.values()), out.decode()
    assert sum(added.values()) == await StreamStore(redis_client, stream_key).length()
    health = await read_all_health(redis_client, stream_key)
    assert {name: record["appended"] for name, record in health.items()} == added
