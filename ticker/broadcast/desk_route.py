"""``POST /desk``: the desk's HTTP API on the broadcaster (``docs/protocol.md``, "The desk").

The action's fields are the request's query, form-encoded (``action``, ``who``, ``target``,
``reason``, ``text``, ``figures`` as JSON): the websocket server this broadcaster is reads no
request bodies, so a body is refused (400). Only the staff token may write: no token, 401; a
token that is not the staff token (the read token included), 403; nothing is appended, and
each refusal is counted in ``/metrics`` (``soiree_rejected_writes_total{reason}``). A write
that is not an action is 400 with a one-line JSON ``error``; Redis failing, 503. A write
appended is 201 with ``{"id": entry id, "action": the action}``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from redis.exceptions import RedisError
from websockets.http11 import Request, Response

from ingest.model.desk_action import DeskAction
from ticker.broadcast.access import Access, AccessTokens
from ticker.broadcast.http_routes import request_token, response

__all__ = ["DESK_PATH", "DeskRoute"]

DESK_PATH = "/desk"

#: Records one action (the request's fields): its entry id and the action.
Recorder = Callable[[Mapping[str, str]], Awaitable[tuple[str, DeskAction]]]


def _json(status: HTTPStatus, body: Mapping[str, Any]) -> Response:
    payload = json.dumps(body, ensure_ascii=False, sort_keys=True) + "\n"
    return response(status, payload.encode(), "application/json")


class DeskRoute:
    """Answers ``POST /desk`` (see the module docstring)."""

    def __init__(
        self,
        *,
        access: AccessTokens,
        record: Recorder,
        on_rejected: Callable[[str], None],
    ) -> None:
        self._access = access
        self._record = record
        self._rejected = on_rejected

    def _refuse(self, reason: str, status: HTTPStatus, error: str) -> Response:
        self._rejected(reason)
        return _json(status, {"error": error})

    async def __call__(self, request: Request) -> Response:
        """One request to ``/desk``."""
        given = request_token(request)
        if request.method != "POST":
            return self._refuse("method", HTTPStatus.METHOD_NOT_ALLOWED, "POST only")
        if given is None:
            return self._refuse("token", HTTPStatus.UNAUTHORIZED, "the staff token is required")
        if self._access.staff is None or self._access.access(given) is not Access.STAFF:
            return self._refuse("token", HTTPStatus.FORBIDDEN, "only the staff token may write")
        fields: dict[str, str] = {}
        try:
            pairs = parse_qsl(
                urlsplit(request.path).query, keep_blank_values=True, strict_parsing=False
            )
        except ValueError:
            return self._refuse("invalid", HTTPStatus.BAD_REQUEST, "bad query")
        for name, value in pairs:
            if name == "token":
                continue
            if name in fields:
                return self._refuse("invalid", HTTPStatus.BAD_REQUEST, f"{name}: given twice")
            fields[name] = value
        try:
            entry_id, action = await self._record(fields)
        except ValueError as error:
            return self._refuse("invalid", HTTPStatus.BAD_REQUEST, str(error).splitlines()[0])
        except (RedisError, OSError) as error:
            return self._refuse(
                "redis", HTTPStatus.SERVICE_UNAVAILABLE, f"redis: {type(error).__name__}"
            )
        return _json(HTTPStatus.CREATED, {"id": entry_id, "action": action.to_json()})
