"""``soiree desk``: append one act of the desk to ``<stream>:desk`` (see ``desk_cli``)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from ingest.commands.stream_options import night_of, open_store, redis_url_of
from ingest.model.errors import CommandError
from ingest.model.night import Night
from ingest.runtime.aio import run_command
from ingest.store.keys import desk_key
from ticker.broadcast.desk_log import record
from ticker.commands.desk_cli import DeskOptions

__all__ = ["run"]


def _request(options: DeskOptions) -> dict[str, str]:
    target = options.target
    if target is None:
        if options.action != "write":
            raise CommandError(f"desk {options.action}: the uid of the update is required")
        target = f"desk:{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}"
    request = {"action": options.action, "who": options.who, "target": target}
    if options.reason:
        request["reason"] = options.reason
    if options.text is not None:
        request["text"] = options.text
    if options.figures is not None:
        request["figures"] = options.figures
    return request


async def _append(url: str, night: Night, options: DeskOptions) -> None:
    client, store = await open_store(url, options.redis.stream or night.stream)
    try:
        try:
            entry_id, action = await record(
                client, store.stream, _request(options), zone=night.timezone
            )
        except ValueError as error:
            raise CommandError(f"desk {options.action}: {error}") from None
    finally:
        await client.aclose()
    print(
        f"soiree desk: {action.verb.value} {action.target} by {action.who}"
        f" at {action.at.strftime('%H:%M:%S')} logged as {entry_id} in {desk_key(store.stream)}",
        file=sys.stderr,
    )


def run(options: DeskOptions) -> int:
    """Run ``soiree desk``; return the exit status."""
    night = night_of(options.night)
    url = redis_url_of(options.redis, command="desk")
    run_command(_append(url, night, options))
    return 0
