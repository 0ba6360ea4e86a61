"""Pytest fixtures and helpers for the pollers: sources configs, a fault server, ingest runs.

Register with ``pytest_plugins = ["tests.plugins.ingest"]`` (or ``-p tests.plugins.ingest``);
it brings ``tests.plugins.sources`` (the emulated sources) with it.

``fault_server`` (function)
    A real aiohttp server on 127.0.0.1, port 0, whose routes misbehave on purpose
    (:data:`FAULT_PATHS`), plus ``/liveblog``: a page in the default ``HHhMM:`` format whose
    entries the test edits through ``fault_server.entries`` (newest first, like a liveblog).
``sources_toml(path, base_url, sources, **top)``
    Write a sources file (``[[source]]`` tables from dicts) and return its path.
``soiree_command(*args)``
    The argv that runs ``soiree`` with this interpreter (for subprocess tests).
``ingest_until(...)``
    Run every poller in-process until a condition holds, then stop them cleanly.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import pytest_asyncio
from aiohttp import web
from redis.asyncio import Redis

from ingest.model.night import Night
from ingest.model.update import Update
from ingest.polling.runner import IngestReport, run_ingest
from ingest.sources.config import IngestConfig
from tests.conftest import BUNDLED_NIGHT_DIR, TIMEOUT_FACTOR

__all__ = [
    "FAULT_PATHS",
    "FaultServer",
    "eventually",
    "identity",
    "ingest_until",
    "serve_test_app",
    "soiree_command",
    "sources_toml",
]

#: The misbehaving routes of the fault server, by what they do.
FAULT_PATHS: Final = {
    "error": "/500",
    "throttled": "/429",
    "hang": "/hang",
    "huge": "/huge",
    "malformed": "/malformed.html",
    "broken_xml": "/broken.xml",
    "wrong_charset": "/latin1.html",
    "unknown_charset": "/klingon.html",
    "redirect_loop": "/loop",
    "redirect_ftp": "/to-ftp",
}
HUGE_BYTES: Final = 20 * 1024 * 1024


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)


def sources_toml(
    path: Path,
    base_url: str | None,
    sources: Sequence[Mapping[str, object]],
    **top: object,
) -> Path:
    """Write a sources file at ``path`` and return it (its night: the bundled one, unless
    ``night`` says another: a sources file always names its night)."""
    top = {"night": str(BUNDLED_NIGHT_DIR / "night.toml"), **top}
    lines = [f"{key} = {_toml_value(value)}" for key, value in top.items()]
    if base_url is not None:
        lines.append(f"base_url = {_toml_value(base_url)}")
    for source in sources:
        lines.append("[[source]]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in source.items())
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def soiree_command(*args: str) -> list[str]:
    """The argv running ``soiree *args`` with the test's interpreter."""
    return [
        sys.executable,
        "-c",
        "import sys; from ingest.cli import main; sys.exit(main())",
        *args,
    ]


def identity(update: Update) -> tuple[str, str, str, str | None, str]:
    """What must match between two ways of ingesting: (uid, kind, at, speaker, figures)."""
    figures = "" if update.figures is None else json.dumps(update.figures.to_json(), sort_keys=True)
    return (update.uid, update.kind.value, update.at.isoformat(), update.speaker, figures)


async def ingest_until(
    config: IngestConfig,
    redis: Redis,
    *,
    night: Night,
    stream: str,
    done: Callable[[], Awaitable[bool]],
    within: float,
) -> IngestReport:
    """Run the pollers in-process until ``done()`` is true (at most ``within`` s), then stop."""
    stop = asyncio.Event()
    task = asyncio.create_task(run_ingest(config, redis, night=night, stream=stream, stop=stop))

    async def finished() -> bool:
        return task.done() or await done()

    try:
        await eventually(finished, within=within)
    finally:
        stop.set()
    return await asyncio.wait_for(task, timeout=10 * TIMEOUT_FACTOR)


async def eventually(
    condition: Callable[[], Awaitable[bool]], *, within: float, every: float = 0.02
) -> None:
    """Wait until ``condition()`` holds; TimeoutError after ``within`` s x TIMEOUT_FACTOR."""
    async with asyncio.timeout(within * TIMEOUT_FACTOR):
        # Redis and the servers offer no event to await: poll, as a client would.
        while not await condition():  # noqa: ASYNC110
            await asyncio.sleep(every)


# -- the fault server ---------------------------------------------------------------------------


@dataclass(slots=True)
class FaultServer:
    """A server of broken sources, and one good liveblog the test edits.

    ``entries`` is the good liveblog, newest first: ``(time as written, text, element id)``.
    ``hits`` counts requests per path.
    """

    base_url: str = ""
    entries: list[tuple[str, str, str | None]] = field(default_factory=list)
    hits: dict[str, int] = field(default_factory=dict)

    def url(self, path: str) -> str:
        """The absolute URL of ``path``."""
        return self.base_url + path

    def liveblog_html(self) -> str:
        """The good liveblog in the default format: ``<p><strong>21h15:</strong> text</p>``."""
        paragraphs = "".join(
            f"<p{'' if key is None else f' id={html.escape(key)!r}'}>"
            f"<strong>{html.escape(written)}:</strong> {html.escape(text)}</p>\n"
            for written, text, key in self.entries
        )
        return (
            '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Direct</title>'
            f'</head><body><div class="live">\n{paragraphs}</div>'
            "<footer><p>© soiree tests</p></footer></body></html>"
        )


_MALFORMED: Final = (
    "<html><body><div class=live><p><strong>21h15:</strong> Benoît Hamon <b>vainqueur"
    "<p><strong>21h16:</strong> Texte <i>non fermé<div></span></table>"
    "<p><strong>99h99:</strong> pas une heure</p><p><strong>21h17</strong"
)
_BROKEN_XML: Final = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
    '<item><guid isPermaLink="false">good-1</guid><title>Bon article</title>'
    "<pubDate>Sun, 29 Jan 2017 21:30:00 +0100</pubDate><description>Texte valide</description>"
    "</item><item><guid>bad-2</guid><title>Cassé <b>ici</title><description>x"
)


def _fault_app(state: FaultServer) -> web.Application:
    app = web.Application()

    @web.middleware
    async def count(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        state.hits[request.path] = state.hits.get(request.path, 0) + 1
        return await handler(request)

    app.middlewares.append(count)

    async def liveblog(_: web.Request) -> web.Response:
        return web.Response(text=state.liveblog_html(), content_type="text/html")

    async def error(_: web.Request) -> web.Response:
        return web.Response(status=500, text="boom")

    async def throttled(_: web.Request) -> web.Response:
        return web.Response(status=429, headers={"Retry-After": "1"}, text="slow down")

    async def hang(_: web.Request) -> web.Response:
        await asyncio.sleep(60)
        return web.Response(text="too late")

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        chunk = b"<p>" + b"x" * (1024 * 1024 - 7) + b"</p>\n"
        with contextlib.suppress(ConnectionError):
            for _ in range(HUGE_BYTES // len(chunk)):
                await response.write(chunk)
            await response.write_eof()
        return response

    async def malformed(_: web.Request) -> web.Response:
        return web.Response(text=_MALFORMED, content_type="text/html")

    async def broken_xml(_: web.Request) -> web.Response:
        return web.Response(text=_BROKEN_XML, content_type="application/rss+xml")

    async def latin1(_: web.Request) -> web.Response:
        page = "<p><strong>21h15:</strong> Élection à Paris, déjà</p>".encode("latin-1")
        return web.Response(body=page, headers={"Content-Type": "text/html; charset=utf-8"})

    async def klingon(_: web.Request) -> web.Response:
        page = "<p><strong>21h15:</strong> Élection à Paris</p>".encode()
        return web.Response(body=page, headers={"Content-Type": "text/html; charset=klingon"})

    async def loop(_: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    async def to_ftp(_: web.Request) -> web.Response:
        raise web.HTTPFound("ftp://127.0.0.1/liveblog")

    app.router.add_get("/liveblog", liveblog)
    routes = {
        "error": error,
        "throttled": throttled,
        "hang": hang,
        "huge": huge,
        "malformed": malformed,
        "broken_xml": broken_xml,
        "wrong_charset": latin1,
        "unknown_charset": klingon,
        "redirect_loop": loop,
        "redirect_ftp": to_ftp,
    }
    for name, handler in routes.items():
        app.router.add_get(FAULT_PATHS[name], handler)
    return app


async def serve_test_app(app: web.Application) -> tuple[web.AppRunner, str]:
    """Serve ``app`` on 127.0.0.1 (a port the system picks); return the runner and base URL.

    Handlers are cancelled when their client goes away, so a hanging route ends with its test.
    """
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


@pytest_asyncio.fixture
async def fault_server() -> AsyncIterator[FaultServer]:
    """The fault server on 127.0.0.1 (port 0), stopped after the test."""
    state = FaultServer()
    runner, state.base_url = await serve_test_app(_fault_app(state))
    try:
        yield state
    finally:
        await runner.cleanup()
