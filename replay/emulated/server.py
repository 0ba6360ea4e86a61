"""The emulated sources of a night over HTTP: a thin aiohttp shell around pure parts.

:class:`~replay.emulated.schedule.SourcesSchedule` says which version of each document is shown at
a moment and when that version first appeared; :mod:`replay.emulated.documents` renders it. This
module only reads the clock, renders each version once (cached), and answers with the HTTP
behaviour of ``docs/sources.md``:

====================  =====================================================================
``GET /liveblog``     the liveblog page (``text/html``); ``?before=KEY`` / ``?page=N``: older
                      entries (404 for an unknown key or a page past the end, 400 for both or
                      an unreadable number)
``GET /feed.xml``     the RSS 2.0 feed (``application/rss+xml``)
``GET /results.json`` the results endpoint (``application/json``)
``GET /healthz``      ``{"virtual_time", "speed", "finished", ...}``, never cached
``GET /``             a small index linking the above
====================  =====================================================================

Every document answer carries ``ETag`` (a digest of the body), ``Last-Modified`` (the wall time
at which that version first appeared, from the plan: the same for every client, however late it
asks) and ``Cache-Control: max-age=<interval>``; conditional requests are answered as
:mod:`replay.emulated.conditional` says (``If-None-Match`` wins over ``If-Modified-Since``;
either gives ``304 Not Modified``; malformed conditional headers are ignored).

The virtual clock is one :class:`~replay.clock.AnchoredClock`, anchored when the application
starts; wall offsets become HTTP dates through the epoch time taken at that same moment.
"""

from __future__ import annotations

import html
import json
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from aiohttp import web

from replay.clock import AnchoredClock, ReplayWindow, speed_value
from replay.emulated.conditional import version_validators
from replay.emulated.documents import (
    DEFAULT_PAGE_SIZE,
    Document,
    NoSuchPageError,
    etag_of,
    feed_xml,
    liveblog_html,
    results_json,
)
from replay.emulated.schedule import DocumentVersion, SourcesSchedule
from replay.night_fixture import NightFixture

__all__ = [
    "DEFAULT_INTERVAL",
    "PATHS",
    "SOURCES_KEY",
    "SourcesState",
    "build_sources_app",
    "start_sources_server",
]

DEFAULT_INTERVAL: Final = 5.0

#: Where each document is served.
PATHS: Final[dict[Document, str]] = {
    Document.LIVEBLOG: "/liveblog",
    Document.FEED: "/feed.xml",
    Document.RESULTS: "/results.json",
}

_CONTENT_TYPES: Final[dict[Document, str]] = {
    Document.LIVEBLOG: "text/html",
    Document.FEED: "application/rss+xml",
    Document.RESULTS: "application/json",
}


# -- the application ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Rendered:
    body: bytes
    etag: str


@dataclass(slots=True)
class SourcesState:
    """What the application serves from: the night, its schedule, the clock, rendered versions.

    ``epoch_at_anchor`` is the epoch time at the clock's anchor (set when the application
    starts); ``base_url`` is set by :func:`start_sources_server` once the port is known.
    """

    fixture: NightFixture
    window: ReplayWindow
    schedule: SourcesSchedule
    clock: AnchoredClock
    page_size: int
    interval: float
    epoch_at_anchor: float = 0.0
    base_url: str | None = None
    _rendered: dict[tuple[Document, int, str | None, int], _Rendered] = field(default_factory=dict)

    def start(self) -> None:
        """Anchor the virtual clock now."""
        self.clock.reset()
        self.epoch_at_anchor = time.time() - self.clock.elapsed()

    @property
    def max_age(self) -> int:
        """``Cache-Control: max-age`` in whole seconds (the interval, rounded up)."""
        return math.ceil(self.interval)

    def render(
        self,
        document: Document,
        version: DocumentVersion,
        *,
        before: str | None = None,
        page: int = 1,
    ) -> _Rendered:
        """The body and ETag of ``version`` of ``document``, rendered once (``before`` and
        ``page``: an older liveblog page; :class:`NoSuchPageError` if there is no such page)."""
        key = (document, version.index, before, page)
        rendered = self._rendered.get(key)
        if rendered is None:
            body = self._body(document, version, before=before, page=page)
            rendered = _Rendered(body, etag_of(body))
            self._rendered[key] = rendered
        return rendered

    def _body(
        self, document: Document, version: DocumentVersion, *, before: str | None, page: int
    ) -> bytes:
        now = version.shows
        if document is Document.LIVEBLOG:
            text = liveblog_html(
                self.fixture,
                now,
                page_size=self.page_size,
                before=before,
                page=page,
                path=PATHS[Document.LIVEBLOG],
            )
        elif document is Document.FEED:
            link = PATHS[Document.LIVEBLOG]
            text = feed_xml(self.fixture, now, link=(self.base_url or "") + link)
        else:
            text = json.dumps(results_json(self.fixture, now), ensure_ascii=False, indent=2)
        return text.encode("utf-8")

    def health(self) -> dict[str, Any]:
        """The ``/healthz`` document."""
        moment = self.schedule.moment(self.clock.elapsed())
        zone = self.fixture.night.timezone
        virtual = moment.virtual_time
        return {
            "night": self.fixture.night.slug,
            "virtual_time": None if virtual is None else virtual.astimezone(zone).isoformat(),
            "speed": speed_value(self.window.speed),
            "finished": moment.finished,
            "loop": self.schedule.loop,
            "pass": moment.pass_index + 1,
            "from": _iso(self.schedule.plan.virtual_start, self),
            "to": _iso(self.window.end, self),
        }


def _iso(instant: datetime | None, state: SourcesState) -> str | None:
    return None if instant is None else instant.astimezone(state.fixture.night.timezone).isoformat()


SOURCES_KEY: Final = web.AppKey("soiree_sources", SourcesState)


def build_sources_app(
    fixture: NightFixture,
    window: ReplayWindow,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    interval: float = DEFAULT_INTERVAL,
    loop: bool = False,
    loop_pause: float | None = None,
    clock: AnchoredClock | None = None,
) -> web.Application:
    """The aiohttp application serving ``fixture``'s sources on ``window``'s virtual clock.

    The clock is anchored when the application starts. ``interval`` is the polling interval
    the sources advertise (``Cache-Control: max-age``, rounded up to whole seconds). With
    ``loop``, the night starts again ``loop_pause`` wall seconds after its end (default: three
    intervals, at least one second). ``clock`` may be given to drive time in tests.
    """
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    if not (math.isfinite(interval) and interval >= 0):
        raise ValueError("interval must be a non-negative number of seconds")
    pause = max(3 * interval, 1.0) if loop_pause is None else loop_pause
    schedule = SourcesSchedule.of_night(fixture, window, loop=loop, loop_pause=pause)
    state = SourcesState(
        fixture=fixture,
        window=window,
        schedule=schedule,
        clock=clock or AnchoredClock(),
        page_size=page_size,
        interval=interval,
    )
    state.start()
    app = web.Application()
    app[SOURCES_KEY] = state

    async def on_startup(_: web.Application) -> None:
        state.start()

    app.on_startup.append(on_startup)
    app.router.add_get("/", _index)
    app.router.add_get("/healthz", _healthz)
    for document, path in PATHS.items():
        app.router.add_get(path, _document_handler(document))
    return app


def _document_handler(
    document: Document,
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        return _serve_document(request, document)

    return handle


def _serve_document(request: web.Request, document: Document) -> web.StreamResponse:
    state = request.app[SOURCES_KEY]
    version = state.schedule.version(document, state.clock.elapsed())
    before: str | None = None
    page = 1
    if document is Document.LIVEBLOG:
        asked = _older_page(request)
        if isinstance(asked, web.Response):
            return asked
        before, page = asked
    try:
        rendered = state.render(document, version, before=before, page=page)
    except NoSuchPageError as error:
        return _plain(404, f"{error}\n")
    headers, not_modified = version_validators(
        request.headers.getall("If-None-Match", []),
        request.headers.getall("If-Modified-Since", []),
        etag=rendered.etag,
        epoch_at_anchor=state.epoch_at_anchor,
        started=version.started,
        previous_started=version.previous_started,
        max_age=state.max_age,
        now=time.time(),
    )
    if not_modified:
        return web.Response(status=304, headers=headers)
    return web.Response(
        body=rendered.body,
        content_type=_CONTENT_TYPES[document],
        charset="utf-8",
        headers=headers,
    )


def _older_page(request: web.Request) -> tuple[str | None, int] | web.Response:
    """The ``before`` and ``page`` a liveblog request asks for, or the 400 answer."""
    befores = request.query.getall("before", [])
    pages = request.query.getall("page", [])
    if len(befores) + len(pages) > 1:
        return _plain(400, "ask for one of before and page, once\n")
    if pages:
        text = pages[0].strip()
        if not text.isascii() or not text.isdigit() or len(text) > 6 or int(text) < 1:
            return _plain(400, "page must be a whole number from 1\n")
        return None, int(text)
    return (befores[0] if befores else None), 1


def _plain(status: int, text: str) -> web.Response:
    return web.Response(
        status=status,
        text=text,
        content_type="text/plain",
        charset="utf-8",
        headers={"Cache-Control": "no-store"},
    )


async def _healthz(request: web.Request) -> web.Response:
    state = request.app[SOURCES_KEY]
    return web.json_response(
        state.health(),
        headers={"Cache-Control": "no-store"},
        dumps=lambda data: json.dumps(data, ensure_ascii=False),
        content_type="application/json",
    )


async def _index(request: web.Request) -> web.Response:
    state = request.app[SOURCES_KEY]
    title = html.escape(state.fixture.night.title)
    links = "".join(
        f'<li><a href="{path}">{path}</a></li>' for path in [*PATHS.values(), "/healthz"]
    )
    page = (
        "<!doctype html>\n"
        f'<html lang="fr"><head><meta charset="utf-8"><title>{title}</title></head>\n'
        f"<body><h1>{title}</h1><p>Emulated sources (soiree sources)</p>"
        f"<ul>{links}</ul></body></html>\n"
    )
    return web.Response(
        text=page, content_type="text/html", charset="utf-8", headers={"Cache-Control": "no-cache"}
    )


# -- running it -----------------------------------------------------------------------------------


async def start_sources_server(
    app: web.Application, host: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, str]:
    """Start serving ``app`` on ``host``:``port`` (0: a free port); return the runner and URL.

    The URL is the one actually bound (``http://127.0.0.1:41234``). Stop with
    ``await runner.cleanup()``.
    """
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
    except BaseException:
        await runner.cleanup()
        raise
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    base_url = f"http://{shown}:{bound_port}"
    if SOURCES_KEY in app:
        app[SOURCES_KEY].base_url = base_url
    return runner, base_url
