"""One ingest process, a thousand sources: every one polled, appended and its health written.

Past 100 sources the pollers of one process used to share redis-py's default pool (100
connections) and the 101st got ``store_error: Too many connections``; the pollers now write
through a bounded blocking pool, where a poller past the limit waits its turn.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from aiohttp import web
from redis.asyncio import Redis

from ingest.polling.runner import run_ingest
from ingest.sources.config import load_ingest_config
from ingest.store.health import read_all_health
from ingest.store.stream_store import StreamStore
from tests.conftest import BUNDLED_NIGHT_DIR
from tests.plugins.ingest import serve_test_app, sources_toml

BUNDLED_NIGHT: Final = BUNDLED_NIGHT_DIR / "night.toml"
SOURCES: Final = 1000


async def test_a_thousand_sources_in_one_process(
    tmp_path: Path, redis_client: Redis, stream_key: str
) -> None:
    """1,000 liveblogs on one local server, one process: each polled, appended, health ok."""

    async def liveblog(request: web.Request) -> web.Response:
        number = int(request.match_info["number"])
        return web.Response(
            text=f'<div><p id="e{number}"><strong>21h{number % 60:02d}:</strong>'
            f" Entrée de la source {number}</p></div>",
            content_type="text/html",
        )

    app = web.Application()
    app.router.add_get("/s/{number}", liveblog)
    runner, base_url = await serve_test_app(app)
    try:
        config_path = sources_toml(
            tmp_path / "sources.toml",
            base_url,
            [
                {"name": f"s{number}", "type": "liveblog", "url": f"/s/{number}", "interval": 5}
                for number in range(SOURCES)
            ],
            night=str(BUNDLED_NIGHT),
            max_per_host=16,
        )
        config = load_ingest_config(config_path)
        assert config.night is not None
        report = await run_ingest(
            config, redis_client, night=config.night, stream=stream_key, burst=True
        )
    finally:
        await runner.cleanup()
    assert report.failed == []
    history = await StreamStore(redis_client, stream_key).history()
    assert sorted(update.uid for update in history.updates) == sorted(
        f"s{number}:e{number}" for number in range(SOURCES)
    )
    health = await read_all_health(redis_client, stream_key)
    assert len(health) == SOURCES
    assert {record["state"] for record in health.values()} == {"ok"}
    assert sum(int(str(record["appended"])) for record in health.values()) == SOURCES
