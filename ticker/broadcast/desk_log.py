"""The desk's log in Redis: record an action (``soiree desk``, ``POST /desk``) and watch it.

:func:`record` completes a request of the desk into a :class:`DeskAction`: the time (the
replay's virtual clock when the stream has one, else now), the value it replaces (the update
as readers see it now: the night's stream folded with the desk's earlier actions) and the
stream's last id; a ``write`` first appends the staff's update to the night's stream. Then the
action is appended to ``<stream>:desk``. :class:`DeskWatch` reads that stream from its start
every ``interval`` seconds and hands each action to ``on_action``, in order, once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Any

from redis.asyncio import Redis

from ingest.model.desk_action import DeskAction, Verb, action_fields, action_from_fields
from ingest.model.update import Kind, Update
from ingest.store.entry_log import read_log
from ingest.store.keys import desk_key
from ingest.store.stream_store import StreamStore
from ticker.broadcast.clock_watch import replay_now
from ticker.broadcast.watch_loop import RefreshLoop
from ticker.wire.desk import DeskState, previous_value

__all__ = ["DeskWatch", "read_actions", "record"]

logger = logging.getLogger(__name__)

#: The source name of the staff's own updates.
DESK_SOURCE = "desk"


async def read_actions(redis: Redis, stream: str) -> list[tuple[str, DeskAction]]:
    """Every valid action of the desk, in order (an entry that is not one is logged, skipped)."""
    return (await read_log(redis, desk_key(stream), action_from_fields, what="desk")).entries


async def record(
    redis: Redis, stream: str, request: Mapping[str, Any], *, zone: Any = UTC
) -> tuple[str, DeskAction]:
    """Append the action ``request`` asks for (fields of :func:`action_from_fields` without
    ``at``, ``previous``, ``after``); return its entry id and the action. ``ValueError`` (one
    line) for a request that is not an action, or acts on an update the stream does not hold.
    """
    if {"at", "previous", "after"} & set(request):
        raise ValueError("at, previous and after are the server's to set")
    now = (await replay_now(redis, stream)).astimezone(zone)
    store = StreamStore(redis, stream)
    fields = {str(k): str(v) for k, v in request.items()}
    fields["at"] = now.isoformat()
    draft = action_from_fields(fields)  # checked before anything is read or written
    history = await store.history(since="0-0")
    state = DeskState()
    for _id, action in await read_actions(redis, stream):
        state.apply(action)
    current: Update | None = None
    for update in history.updates:
        if update.uid == draft.target:
            current = update
    if draft.verb is Verb.WRITE:
        if current is not None:
            raise ValueError(f"target: {draft.target} is already an update of the night")
        written = Update(
            uid=draft.target,
            at=now,
            seen=now,
            source=DESK_SOURCE,
            kind=Kind.NEWS,
            text=draft.text or "",
            figures=draft.figures,
        )
        await store.append(written)
    elif current is None:
        raise ValueError(f"target: no update {draft.target} in the stream")
    shown = None if current is None else state.shown(current)
    after = await store.last_id()
    action = DeskAction(
        draft.verb,
        at=draft.at,
        who=draft.who,
        target=draft.target,
        reason=draft.reason,
        text=draft.text,
        figures=draft.figures,
        previous=previous_value(draft.verb, shown, state),
        after=after,
    )
    entry_id = await redis.xadd(desk_key(stream), dict(action_fields(action)))  # type: ignore[arg-type]
    return str(entry_id), action


class DeskWatch:
    """The desk's actions on one stream, read from its start (see the module docstring)."""

    def __init__(
        self,
        redis: Redis,
        stream: str,
        *,
        interval: float,
        on_action: Callable[[DeskAction], None],
    ) -> None:
        self._redis = redis
        self._key = desk_key(stream)
        self._on_action = on_action
        self._loop = RefreshLoop(
            self.refresh, interval=interval, what=f"the desk's log {self._key}"
        )
        self._last = "0-0"

    async def refresh(self) -> None:
        """Read the actions appended since the last read, and apply them in order."""
        read = await read_log(
            self._redis, self._key, action_from_fields, what="desk", after=self._last, count=100
        )
        self._last = read.last_id or self._last
        for _entry_id, action in read.entries:
            self._on_action(action)

    async def run(self) -> None:
        """Refresh every ``interval`` seconds until cancelled; back off while Redis fails."""
        await self._loop.run()
