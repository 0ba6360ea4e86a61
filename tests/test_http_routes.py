"""Tests for ticker.broadcast.http_routes (and ticker.broadcast.metrics): the page, /healthz and
/metrics, for real."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis
from websockets.asyncio.client import connect as ws_connect
from websockets.datastructures import Headers
from websockets.http11 import Request

from ingest.sources.source_health import SourceHealth
from ingest.store.health import record_poll
from ingest.store.stream_store import StreamStore
from tests.plugins.broadcaster import BroadcasterStarter, make_update, recv_until
from ticker.broadcast.embed_page import embed_html
from ticker.broadcast.http_routes import (
    PAGE_CSP,
    WEB_DIR,
    load_static_files,
    origin_allowed,
    request_token,
    token_matches,
)
from ticker.broadcast.metrics import BroadcasterMetrics

# -- pure parts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin", "host", "allowed", "expected"),
    [
        (None, "example.org", (), True),
        ("http://127.0.0.1:8765", "127.0.0.1:8765", (), True),
        ("https://NEWS.example", "news.example", (), True),
        ("http://127.0.0.1:9999", "127.0.0.1:8765", (), False),
        ("https://evil.example", "news.example", (), False),
        ("https://evil.example", "news.example", ("https://partner.example",), False),
        ("https://partner.example", "news.example", ("https://partner.example",), True),
        ("https://anyone.example", "news.example", ("*",), True),
        ("null", "news.example", (), False),
        ("https://news.example", None, (), False),
    ],
)
def test_origin_allowed(
    origin: str | None, host: str | None, allowed: tuple[str, ...], expected: bool
) -> None:
    """No Origin, the same origin, or a listed one ('*': any) may open the websocket."""
    assert origin_allowed(origin, host, allowed) is expected


def request(path: str, **headers: str) -> Request:
    """A GET request as websockets parses it."""
    return Request(path, Headers(headers))


def test_the_token_comes_from_bearer_or_query() -> None:
    """Authorization: Bearer wins over ?token=; absent gives None."""
    assert request_token(request("/healthz?token=q")) == "q"
    assert request_token(request("/healthz?token=q", Authorization="Bearer h")) == "h"
    assert request_token(request("/healthz", Authorization="Basic xyz")) is None
    assert request_token(request("/healthz")) is None


def test_token_matches_only_the_configured_token() -> None:
    """No token configured: open; else an exact match."""
    assert token_matches(None, None)
    assert token_matches("anything", None)
    assert token_matches("s3cret", "s3cret")
    assert not token_matches("s3cre", "s3cret")
    assert not token_matches(None, "s3cret")


def test_static_files_are_served_by_name_only(tmp_path: Path) -> None:
    """Every file of the directory by /name, index.html also as /; nothing else."""
    (tmp_path / "index.html").write_text("<p>hi</p>")
    (tmp_path / "app.js").write_text("1")
    (tmp_path / ".hidden").write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "x.js").write_text("x")
    files = load_static_files(tmp_path)
    assert sorted(files) == ["/", "/app.js", "/index.html"]
    assert files["/"].content_type == "text/html; charset=utf-8"
    assert files["/app.js"].content_type == "text/javascript; charset=utf-8"


def test_the_bundled_page_has_no_inline_script_or_style() -> None:
    """The page works under script-src 'self' and style-src 'self': nothing inline."""
    html = (WEB_DIR / "index.html").read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "<style" not in html
    assert " style=" not in html
    assert " on" not in html.replace(" only", "")  # no onclick= / onload= attributes
    scripts = sorted(WEB_DIR.glob("*.js"))
    assert WEB_DIR / "staff-alerts.js" in scripts
    for path in scripts:
        script = path.read_text(encoding="utf-8")
        assert "innerHTML" not in script, path.name
        assert "insertAdjacentHTML" not in script, path.name
        assert "document.write" not in script, path.name


def test_the_page_loads_each_of_its_parts_once_and_app_js_last() -> None:
    """index.html loads every script of the page, each once, the connection (app.js) last."""
    html = (WEB_DIR / "index.html").read_text(encoding="utf-8")
    loaded = re.findall(r'<script src="/([\w.-]+)" defer></script>', html)
    scripts = WEB_DIR.glob("*.js")
    page_parts = sorted(path.name for path in scripts if not path.name.startswith("embed"))
    assert sorted(loaded) == page_parts
    assert loaded[-1] == "app.js"
    assert loaded.index("page-state.js") == 1  # after staff-alerts.js, before every other part
    assert loaded.index("page-desk.js") < loaded.index("page-feed.js")
    for name in page_parts:
        assert len((WEB_DIR / name).read_text(encoding="utf-8").splitlines()) < 400, name


#: The page's stylesheets in the order index.html links them: the cascade's order (a later one
#: may build on an earlier one's rules, e.g. the staff view's banner on the masthead's).
STYLESHEETS = [
    "style-base.css",
    "style-header.css",
    "style-board.css",
    "style-panels.css",
    "style-charts.css",
    "style-feed.css",
    "style-desk.css",
    "style-staff.css",
]
LINK = r'<link rel="stylesheet" href="/([\w.-]+)">'


def test_the_page_links_each_stylesheet_once_in_order_and_none_is_left_unlinked() -> None:
    """index.html links every stylesheet of the page once, in the cascade's order; the embed page
    links its own; no stylesheet of ticker/web is linked by neither; each is under 400 lines."""
    html = (WEB_DIR / "index.html").read_text(encoding="utf-8")
    linked = re.findall(LINK, html)
    assert linked == STYLESHEETS
    embed = re.findall(LINK, embed_html(None, title="Soirée"))
    assert embed == ["embed.css"]
    stylesheets = sorted(path.name for path in WEB_DIR.glob("*.css"))
    assert stylesheets == sorted([*linked, *embed])
    for name in stylesheets:
        assert len((WEB_DIR / name).read_text(encoding="utf-8").splitlines()) < 400, name


def test_metrics_of_source_health_become_gauges() -> None:
    """Every numeric health field and timestamp becomes a gauge labelled by source."""
    health = {
        "liveblog": {
            "state": "error",
            "consecutive_errors": 3,
            "last_status": 503,
            "last_success": "2017-01-29T19:00:00+00:00",
            "last_error": "HTTP 503",
        },
        "feed": {"state": "ok", "consecutive_errors": 0},
    }
    metrics = BroadcasterMetrics(health=lambda: health)
    registry = metrics.registry
    assert registry.get_sample_value("soiree_source_up", {"source": "liveblog"}) == 0
    assert registry.get_sample_value("soiree_source_up", {"source": "feed"}) == 1
    assert (
        registry.get_sample_value("soiree_source_consecutive_errors", {"source": "liveblog"}) == 3
    )
    assert (
        registry.get_sample_value(
            "soiree_source_last_success_timestamp_seconds", {"source": "liveblog"}
        )
        == 1485716400.0
    )
    families = {f.name for f in text_string_to_metric_families(metrics.render().decode())}
    assert "soiree_source_last_status" in families


# -- served for real ----------------------------------------------------------------------------


async def test_the_page_is_served_with_its_security_headers(
    start_broadcaster: BroadcasterStarter,
) -> None:
    """/ is the page with a CSP (script-src 'self'), nosniff; its files have their types."""
    running = await start_broadcaster()
    async with aiohttp.ClientSession() as session:
        async with session.get(running.http_url("/")) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "text/html; charset=utf-8"
            assert response.headers["Content-Security-Policy"] == PAGE_CSP
            assert "script-src 'self'" in PAGE_CSP
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            etag = response.headers["ETag"]
            assert '<script src="/app.js"' in await response.text()
        async with session.get(running.http_url("/"), headers={"If-None-Match": etag}) as again:
            assert again.status == 304
        for path, content_type in [
            ("/app.js", "text/javascript; charset=utf-8"),
            *[(f"/{name}", "text/css; charset=utf-8") for name in STYLESHEETS],
            ("/favicon.svg", "image/svg+xml"),
        ]:
            async with session.get(running.http_url(path)) as response:
                assert response.status == 200
                assert response.headers["Content-Type"] == content_type
                assert response.headers["X-Content-Type-Options"] == "nosniff"
        for missing in ("/nope", "/../pyproject.toml", "/web/app.js"):
            async with session.get(running.http_url(missing)) as response:
                assert response.status == 404


async def test_healthz_says_redis_last_id_clients_and_source_health(
    store: StreamStore, redis_client: Redis, start_broadcaster: BroadcasterStarter
) -> None:
    """/healthz: JSON with Redis reachable, the last id, the clients, per-source health."""
    outcome = await store.append(make_update(1))
    await record_poll(redis_client, store.stream, SourceHealth(source="liveblog", state="ok"))
    running = await start_broadcaster()
    async with ws_connect(running.ws_url("since=$")) as ws:
        await recv_until(ws, "live")
        async with (
            aiohttp.ClientSession() as session,
            session.get(running.http_url("/healthz")) as response,
        ):
            assert response.status == 200
            assert response.headers["Content-Type"] == "application/json"
            body = await response.json()
    assert body["status"] == "ok"
    assert body["redis"] == {"reachable": True}
    assert body["last_id"] == outcome.id
    assert body["read_id"] == outcome.id
    assert body["clients"] == 1
    assert body["stream"] == store.stream
    assert body["sources"]["liveblog"]["state"] == "ok"


async def test_metrics_parse_as_prometheus_text(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """/metrics parses with prometheus_client's parser and counts clients and updates."""
    running = await start_broadcaster()
    async with ws_connect(running.ws_url("since=$")) as ws:
        await recv_until(ws, "live")
        await store.append(make_update(1))
        await recv_until(ws, "update")
        async with (
            aiohttp.ClientSession() as session,
            session.get(running.http_url("/metrics")) as response,
        ):
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            text = await response.text()
    samples = {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if not sample.labels
    }
    assert samples["soiree_ws_clients"] == 1
    assert samples["soiree_ws_connections_total"] == 1
    assert samples["soiree_updates_read_total"] == 1
    assert samples["soiree_updates_sent_total"] == 1
    assert samples["soiree_slow_clients_closed_total"] == 0
    assert samples["soiree_redis_up"] == 1
    assert samples["soiree_redis_read_lag_seconds_count"] == 1


async def test_healthz_and_metrics_want_the_token_when_one_is_set(
    start_broadcaster: BroadcasterStarter,
) -> None:
    """With a read token: 401 without it, 200 with a Bearer header or ?token=; / stays open."""
    running = await start_broadcaster(token="s3cret")
    async with aiohttp.ClientSession() as session:
        for path in ("/healthz", "/metrics"):
            async with session.get(running.http_url(path)) as response:
                assert response.status == 401
                assert response.headers["WWW-Authenticate"].startswith("Bearer")
            headers = {"Authorization": "Bearer s3cret"}
            async with session.get(running.http_url(path), headers=headers) as response:
                assert response.status == 200
            async with session.get(running.http_url(f"{path}?token=s3cret")) as response:
                assert response.status == 200
        async with session.get(running.http_url("/")) as response:
            assert response.status == 200
