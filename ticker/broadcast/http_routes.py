"""The broadcaster's plain HTTP side: the web page, ``/healthz``, ``/metrics``, and the checks
made on ``/ws`` before the websocket handshake.

``websockets`` hands every request to :meth:`HttpRoutes.process_request` (its
``process_request`` hook): returning a response answers the request over plain HTTP; returning
``None`` lets the websocket handshake go on (``/ws`` only).

============  ===================================================================================
path          answer
============  ===================================================================================
``/``         the web page (``ticker/web/index.html``); its static files by their names
``/healthz``  JSON: Redis reachable, last id, clients, per-source health; 503 if Redis is not
``/metrics``  Prometheus text format
``/export/``  the results table as CSV and JSON (:mod:`ticker.broadcast.export_routes`)
``/ws``       the websocket endpoint (403 for a foreign ``Origin``)
``/desk``     ``POST``: the desk's actions, staff token only (:mod:`ticker.broadcast.desk_route`)
other         404
============  ===================================================================================

The read token, when configured, guards what carries the night's data or the servers' state:
``/healthz`` and ``/metrics`` answer 401 without it (query ``token=`` or
``Authorization: Bearer``); on ``/ws`` the handshake completes and the connection is then closed
with 4001, because a browser's WebSocket API can see a close code but never an HTTP status. The
page and its static files are public: they hold no data.

Allowed origins (:func:`origin_allowed`): a request without ``Origin`` (not a browser), a
same-origin request (``Origin`` matches ``Host``), or an origin in the allowed list (``*``
allows any).
"""

from __future__ import annotations

import email.utils
import hashlib
import hmac
import json
import mimetypes
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.http11 import Request, Response

from ticker.broadcast.access import AccessTokens

__all__ = [
    "PAGE_CSP",
    "WEB_DIR",
    "HttpRoutes",
    "StaticFile",
    "load_static_files",
    "origin_allowed",
    "request_token",
    "response",
    "token_matches",
]

#: The bundled web page.
WEB_DIR: Final = Path(__file__).resolve().parent.parent / "web"

#: The page may run its own script and style only; it talks to its own origin's websocket.
PAGE_CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
    " connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

_SECURITY_HEADERS: Final = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
)
_STATIC_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}

HealthProbe = Callable[[], Awaitable[tuple[bool, Mapping[str, Any]]]]
#: Renders /metrics at scrape time (async: it may read Redis first, as /healthz does).
MetricsRenderer = Callable[[], Awaitable[bytes]]


def response(
    status: HTTPStatus,
    body: bytes,
    content_type: str,
    *,
    headers: Collection[tuple[str, str]] = (),
) -> Response:
    """A complete HTTP response (the connection closes after it)."""
    all_headers = Headers(
        [
            ("Date", email.utils.formatdate(usegmt=True)),
            ("Connection", "close"),
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-cache"),
            *_SECURITY_HEADERS,
            *headers,
        ]
    )
    return Response(status.value, status.phrase, all_headers, body)


def _text_response(
    status: HTTPStatus, text: str, *, headers: Collection[tuple[str, str]] = ()
) -> Response:
    return response(status, text.encode(), "text/plain; charset=utf-8", headers=headers)


@dataclass(frozen=True, slots=True)
class StaticFile:
    """One file of the page, held in memory."""

    body: bytes
    content_type: str
    etag: str


def load_static_files(directory: Path) -> dict[str, StaticFile]:
    """Every file of ``directory`` (not its subdirectories), by URL path (``/app.js``).

    ``index.html`` is also ``/``. Only these paths are ever served: nothing a request names can
    reach another file.
    """
    files: dict[str, StaticFile] = {}
    for path in sorted(directory.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        body = path.read_bytes()
        content_type = _STATIC_TYPES.get(path.suffix) or (
            mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        )
        etag = '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'
        files[f"/{path.name}"] = StaticFile(body, content_type, etag)
    if "/index.html" in files:
        files["/"] = files["/index.html"]
    return files


def request_token(request: Request) -> str | None:
    """The token a request carries: ``Authorization: Bearer T``, else the query's ``token``."""
    authorization = request.headers.get("Authorization", "")
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    for name, value in parse_qsl(urlsplit(request.path).query):
        if name == "token" and value:
            return value
    return None


def token_matches(given: str | None, expected: str | None) -> bool:
    """Whether ``given`` is the configured token (always, when none is configured)."""
    if expected is None:
        return True
    if given is None:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def origin_allowed(origin: str | None, host: str | None, allowed: Collection[str]) -> bool:
    """Whether a request with this ``Origin`` may open the websocket.

    No ``Origin``: not a browser, allowed (origins protect browsers from cross-site pages; any
    other client can send whatever Origin it likes anyway). Same origin (the page served here):
    allowed. Otherwise the origin must be listed, or the list must hold ``*``.
    """
    if origin is None:
        return True
    if "*" in allowed or origin in allowed:
        return True
    if host is None:
        return False
    try:
        parts = urlsplit(origin)
    except ValueError:  # "http://[::1": not an origin a browser would send
        return False
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.strip().lower()


class HttpRoutes:
    """Answers the plain HTTP requests and screens ``/ws`` before its handshake."""

    def __init__(
        self,
        *,
        web_dir: Path = WEB_DIR,
        access: AccessTokens | None = None,
        on_rejected: Callable[[], None] = lambda: None,
        allowed_origins: Collection[str] = (),
        health: HealthProbe,
        metrics: MetricsRenderer,
        metrics_content_type: str = "text/plain; version=0.0.4; charset=utf-8",
        websocket_path: str = "/ws",
        guarded_routes: Mapping[str, Callable[[Request], Awaitable[Response]]] | None = None,
        own_auth_routes: Mapping[str, Callable[[Request], Awaitable[Response]]] | None = None,
    ) -> None:
        self._files = load_static_files(web_dir)
        self._access = access or AccessTokens()
        self._on_rejected = on_rejected
        self._allowed = frozenset(allowed_origins)
        self._health = health
        self._metrics = metrics
        self._metrics_type = metrics_content_type
        self.websocket_path = websocket_path
        #: More paths that carry the night's data (``/export/...``): the token guards them.
        self._guarded_routes = dict(guarded_routes or {})
        #: Paths that check the token themselves (``/desk``: the staff token, any method).
        self._own_auth_routes = dict(own_auth_routes or {})

    async def process_request(
        self, connection: ServerConnection, request: Request
    ) -> Response | None:
        """The ``process_request`` hook: a response for HTTP paths, None to go on with ``/ws``."""
        del connection  # part of the hook's signature; the request says everything needed
        try:
            path = urlsplit(request.path).path
        except ValueError:  # "//[x": a request target no client of ours would send
            return _text_response(HTTPStatus.BAD_REQUEST, "bad request target\n")
        if path == self.websocket_path:
            return self.screen_websocket(request)
        own = self._own_auth_routes.get(path)
        if own is not None:
            return await own(request)
        if path == "/healthz":
            return await self._guarded(request, self._healthz)
        if path == "/metrics":
            return await self._guarded(request, self._metrics_response)
        route = self._guarded_routes.get(path)
        if route is not None:
            return await self._guarded(request, lambda: route(request))
        static = self._files.get(path)
        if static is not None:
            return self._static(request, static)
        return _text_response(HTTPStatus.NOT_FOUND, "not found\n")

    def screen_websocket(self, request: Request) -> Response | None:
        """403 for a websocket request from a foreign origin, else None (go on)."""
        origin = request.headers.get("Origin")
        if not origin_allowed(origin, request.headers.get("Host"), self._allowed):
            return _text_response(HTTPStatus.FORBIDDEN, f"origin not allowed: {origin}\n")
        return None

    async def _guarded(
        self, request: Request, answer: Callable[[], Awaitable[Response]]
    ) -> Response:
        if self._access.access(request_token(request)) is None:
            self._on_rejected()
            return _text_response(
                HTTPStatus.UNAUTHORIZED,
                "a read token is required (Authorization: Bearer, or ?token=)\n",
                headers=[("WWW-Authenticate", 'Bearer realm="soiree"')],
            )
        return await answer()

    async def _healthz(self) -> Response:
        healthy, body = await self._health()
        payload = json.dumps(body, ensure_ascii=False, sort_keys=True, indent=2) + "\n"
        return response(
            HTTPStatus.OK if healthy else HTTPStatus.SERVICE_UNAVAILABLE,
            payload.encode(),
            "application/json",
        )

    async def _metrics_response(self) -> Response:
        return response(HTTPStatus.OK, await self._metrics(), self._metrics_type)

    def _static(self, request: Request, static: StaticFile) -> Response:
        extra = [("ETag", static.etag)]
        if static.content_type.startswith("text/html"):
            extra.append(("Content-Security-Policy", PAGE_CSP))
        if request.headers.get("If-None-Match") == static.etag:
            return response(HTTPStatus.NOT_MODIFIED, b"", static.content_type, headers=extra)
        return response(HTTPStatus.OK, static.body, static.content_type, headers=extra)
