"""``/embed``: the board in a compact box for partner sites, as an iframe page.

:func:`embed_html` (pure) writes the page from the board's JSON as it stands: without
JavaScript it is a static snapshot (the state of the night, the current result with
``<meter>`` bars, optionally the latest speeches), and ``embed-widget.js`` (``ticker/web/``,
no framework) then keeps it up to date over ``/sse``. Every text from a source is escaped
here and set with ``textContent`` there: never markup. French; light, dark, or the reader's
preference (``?theme=light|dark``).

Partner sites paste ``<script src="https://<broadcaster>/embed.js" async></script>``, which
inserts the iframe; ``frame-ancestors`` allows the origins of ``--allowed-origin`` (and the
broadcaster's own), every other site is refused by the browser.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable, Collection, Mapping
from html import escape
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from websockets.datastructures import Headers
from websockets.http11 import Request, Response

__all__ = ["NIGHT_STATES", "EmbedPage", "embed_csp", "embed_html", "percent_label"]

NIGHT_STATES: Final = {
    "before_close": "Bureaux de vote ouverts",
    "counting": "Dépouillement en cours",
    "final": "Résultats définitifs",
    "over": "Soirée terminée",
}
THEMES: Final = ("auto", "light", "dark")
SPEECHES_SHOWN: Final = 3
SPEECH_CHARS: Final = 220


def percent_label(value: float) -> str:
    """``58.72`` -> ``"58,72 %"`` (no-break space), as ``embed-widget.js`` writes it."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") + "\u00a0%"


def _kind_label(current: Mapping[str, Any]) -> str:
    figures = current.get("figures") or {}
    if current.get("kind") == "estimate":
        institute = current.get("institute")
        return "Estimation" + (f" {institute}" if institute else "")
    if current.get("final"):
        return "Résultat définitif"
    counted = figures.get("counted_pct")
    if isinstance(counted, int | float):
        return f"Résultats partiels · {percent_label(float(counted))} dépouillés"
    return "Résultats partiels"


def _rows(current: Mapping[str, Any] | None) -> str:
    if current is None:
        return '<li class="empty">Pas encore de résultat</li>'
    items = []
    for row in current.get("rows") or []:
        pct = float(row.get("pct") or 0.0)
        items.append(
            f'<li><span class="name">{escape(str(row.get("name")))}</span>'
            f'<meter min="0" max="100" value="{pct:g}"></meter>'
            f'<span class="pct">{percent_label(pct)}</span></li>'
        )
    return "".join(items)


def _speeches(board: Mapping[str, Any]) -> str:
    items = []
    for speech in (board.get("speeches") or [])[:SPEECHES_SHOWN]:
        text = str(speech.get("text") or "")
        if len(text) > SPEECH_CHARS:
            text = text[: SPEECH_CHARS - 1].rstrip() + "…"
        speaker = speech.get("speaker")
        who = f'<span class="speaker">{escape(str(speaker))}</span> ' if speaker else ""
        items.append(f"<li>{who}<q>{escape(text)}</q></li>")
    return "".join(items)


def embed_html(
    board: Mapping[str, Any] | None,
    *,
    title: str,
    theme: str = "auto",
    speeches: bool = False,
    token: str | None = None,
) -> str:
    """The embed page for ``board`` (the board's JSON, ``docs/protocol.md``)."""
    board = board or {}
    current = board.get("current")
    state = NIGHT_STATES.get(str(board.get("state")), "")
    kind = _kind_label(current) if current else ""
    data = f' data-token="{escape(token)}"' if token else ""
    speeches_block = (
        f'<section class="speeches"><h2>Discours</h2><ul id="speeches">{_speeches(board)}</ul>'
        "</section>"
        if speeches
        else ""
    )
    return (
        "<!doctype html>\n"
        f'<html lang="fr" data-theme="{theme}" data-speeches="{int(speeches)}"{data}>'
        '<head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · en direct</title>"
        '<link rel="stylesheet" href="/embed.css"></head>'
        '<body><main class="box">'
        f'<header><h1>{escape(title)}</h1><p id="state" class="state">{escape(state)}</p>'
        "</header>"
        f'<p id="kind" class="kind">{escape(kind)}</p>'
        f'<ol id="rows" class="rows" aria-live="polite">{_rows(current)}</ol>'
        f"{speeches_block}"
        '<footer><span id="connection">Instantané</span></footer>'
        '</main><script src="/embed-widget.js" defer></script></body></html>\n'
    )


def embed_csp(allowed_origins: Collection[str]) -> str:
    """The page's policy: its own script and style, ``/sse``, framed by the allowed origins."""
    ancestors = "*" if "*" in allowed_origins else " ".join(["'self'", *sorted(allowed_origins)])
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';"
        f" connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors {ancestors}"
    )


class EmbedPage:
    """The ``/embed`` route of a broadcaster."""

    def __init__(
        self,
        *,
        board: Callable[[], Mapping[str, Any] | None],
        night: Mapping[str, Any] | None,
        allowed_origins: Collection[str],
    ) -> None:
        self._board = board
        self._title = str((night or {}).get("title") or "Soirée électorale")
        self._csp = embed_csp(allowed_origins)

    async def answer(self, request: Request) -> Response:
        """The page, rendered from the board now."""
        params = dict(parse_qsl(urlsplit(request.path).query))
        theme = params.get("theme", "auto")
        html = embed_html(
            self._board(),
            title=self._title,
            theme=theme if theme in THEMES else "auto",
            speeches=params.get("speeches") in ("1", "true", "oui"),
            token=params.get("token") or None,
        )
        body = html.encode()
        headers = Headers(
            [
                ("Date", email.utils.formatdate(usegmt=True)),
                ("Connection", "close"),
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Cache-Control", "no-cache"),
                ("Content-Security-Policy", self._csp),
                ("X-Content-Type-Options", "nosniff"),
                ("Referrer-Policy", "no-referrer"),
            ]
        )
        return Response(HTTPStatus.OK.value, HTTPStatus.OK.phrase, headers, body)

    def routes(self) -> dict[str, Callable[[Request], Any]]:
        """``{"/embed": ...}`` for :class:`ticker.broadcast.http_routes.HttpRoutes`."""
        return {"/embed": self.answer}
