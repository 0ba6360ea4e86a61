"""The broadcaster's ``/export/results.csv`` and ``/export/results.json``: the results table of
``soiree export``, kept up to date in memory, cheap to poll.

:class:`ResultsExport` is fed every update the broadcaster reads (in stream order) and renders
the results table, in exactly the bytes ``soiree export --table results`` writes, once per
stream position and format. Each answer carries a strong ``ETag`` (a digest of the body) and
``Cache-Control: no-cache``: a graphics server polling with ``If-None-Match`` gets ``304 Not
Modified`` and no body until a new update changes the table. A browser page of an allowed
origin (``--allow-origin``) may fetch it (``Access-Control-Allow-Origin``). The read token,
when configured, is required as for ``/healthz``. It is public: staff-only updates (alerts)
never enter it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Collection
from http import HTTPStatus
from typing import Final

from websockets.http11 import Request, Response

from ingest.model.update import Update
from ticker.broadcast.http_routes import origin_allowed, response
from ticker.export.formats import ExportRequest, export_meta, render
from ticker.export.tables import NightExport
from ticker.wire.client_filter import PUBLIC_VIEW

__all__ = ["EXPORT_PATHS", "ResultsExport"]

#: Path -> (format, content type).
EXPORT_PATHS: Final = {
    "/export/results.csv": ("csv", "text/csv; charset=utf-8"),
    "/export/results.json": ("json", "application/json"),
}

Route = Callable[[Request], Awaitable[Response]]


def etag_matches(header: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (or ``*``); weak forms match too."""
    if header is None:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag in tags


class ResultsExport:
    """The results table of the stream read so far, as CSV and JSON (module docstring)."""

    def __init__(
        self, *, stream: str, round: int | None, allowed_origins: Collection[str] = ()
    ) -> None:
        self._stream = stream
        self._export = NightExport(round=round, keep_entries=False)
        self._allowed = frozenset(allowed_origins)
        self._rendered: dict[str, tuple[bytes, str]] = {}

    def apply(self, update: Update) -> None:
        """Take one update read from the stream; the export is public: never a staff-only
        one (an alert: ``ticker.wire.client_filter``), not even in its ``last_id``."""
        if not PUBLIC_VIEW.accepts(update.kind.value, update.source):
            return
        self._export.apply(update)
        self._rendered.clear()

    def body(self, fmt: str) -> tuple[bytes, str]:
        """The table in ``fmt`` (``csv`` or ``json``) and its ETag, rendered once per change."""
        rendered = self._rendered.get(fmt)
        if rendered is None:
            request = ExportRequest(fmt, ("results",), None)
            tables = {"results": self._export.results()}
            data = render(request, tables, export_meta(self._export, stream=self._stream))
            etag = '"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"'
            rendered = self._rendered[fmt] = (data, etag)
        return rendered

    def routes(self) -> dict[str, Route]:
        """The HTTP routes, by path, for :class:`ticker.broadcast.http_routes.HttpRoutes`."""

        def route(fmt: str, content_type: str) -> Route:
            async def answer(request: Request) -> Response:
                return self.answer(request, fmt, content_type)

            return answer

        return {path: route(fmt, kind) for path, (fmt, kind) in EXPORT_PATHS.items()}

    def answer(self, request: Request, fmt: str, content_type: str) -> Response:
        """200 with the table, or 304 when the client's ``If-None-Match`` is current."""
        data, etag = self.body(fmt)
        headers = [("ETag", etag)]
        origin = request.headers.get("Origin")
        if origin is not None and origin_allowed(
            origin, request.headers.get("Host"), self._allowed
        ):
            headers += [
                ("Access-Control-Allow-Origin", origin),
                ("Access-Control-Expose-Headers", "ETag"),
                ("Vary", "Origin"),
            ]
        if etag_matches(request.headers.get("If-None-Match"), etag):
            return response(HTTPStatus.NOT_MODIFIED, b"", content_type, headers=headers)
        return response(HTTPStatus.OK, data, content_type, headers=headers)
