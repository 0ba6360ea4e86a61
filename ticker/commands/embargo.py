"""``soiree embargo``: append an editor's release or hold to the night's embargo log."""

from __future__ import annotations

import re
import sys
from datetime import datetime
from datetime import time as clock_time
from typing import Any

from ingest.commands.stream_options import night_of, open_store, redis_url_of
from ingest.model.errors import CommandError
from ingest.model.night import Night
from ingest.runtime.aio import run_command
from ingest.store.keys import embargo_acts_key
from ticker.broadcast.clock_watch import replay_now
from ticker.commands.embargo_cli import EmbargoOptions
from ticker.wire.embargo import Act, EmbargoAct, act_fields

__all__ = ["run"]

_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")


def _act(options: EmbargoOptions, night: Night, now: datetime) -> EmbargoAct:
    until = None
    if options.until is not None:
        if options.act != "hold":
            raise CommandError("--until: only for hold")
        match = _CLOCK.fullmatch(options.until.strip())
        if match is None:
            raise CommandError(f"--until: expected HH:MM, got {options.until!r}")
        until = night.instant(clock_time(int(match[1]), int(match[2])))
    reason = " ".join(options.reason.split())
    if not reason or len(reason) > 500 or not reason.isprintable():
        raise CommandError("--reason: a one-line text of at most 500 characters is required")
    who = " ".join(options.who.split())
    if not who or len(who) > 100 or not who.isprintable():
        raise CommandError("--by: a name of at most 100 characters")
    return EmbargoAct(Act(options.act), at=now, reason=reason, who=who, until=until)


async def _append(url: str, night: Night, options: EmbargoOptions) -> None:
    client, store = await open_store(url, options.redis.stream or night.stream)
    try:
        now = await replay_now(client, store.stream)
        act = _act(options, night, now.astimezone(night.timezone))
        fields: dict[Any, Any] = dict(act_fields(act))
        entry_id = str(await client.xadd(embargo_acts_key(store.stream), fields))
    finally:
        await client.aclose()
    until = f" until {act.until.strftime('%H:%M')}" if act.until else ""
    print(
        f"soiree embargo: {act.act.value}{until} by {act.who} at {act.at.strftime('%H:%M:%S')}"
        f" logged as {entry_id} in {embargo_acts_key(store.stream)}",
        file=sys.stderr,
    )


def run(options: EmbargoOptions) -> int:
    """Run ``soiree embargo``; return the exit status."""
    night = night_of(options.night)
    url = redis_url_of(options.redis, command="embargo")
    run_command(_append(url, night, options))
    return 0
