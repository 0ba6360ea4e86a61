"""``soiree dump``: the stream as JSON Lines, one update a line with its ``id``.

Prints every retained update after ``--since`` (oldest first) and, with ``--follow``, every new
one as it is appended, until SIGINT or SIGTERM stop it cleanly (within a second or so, whole
lines only: :func:`ingest.runtime.aio.run_until_signalled`). If ``--since`` is older than
what the stream retains, a warning says so on stderr and the exit status is 3, so that a script
never mistakes a gap for the whole story. A stream that does not exist is not an empty one:
``dump`` says so and exits with status 4 (with ``--follow``, it says so and waits for it).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any, TextIO

from ingest.commands.dump_cli import DumpOptions
from ingest.commands.stream_options import night_of, open_store, redis_url_of
from ingest.model.desk_action import action_from_fields
from ingest.model.errors import CommandError
from ingest.model.json_lines import json_line
from ingest.runtime.aio import run_command, run_until_signalled
from ingest.store.keys import desk_key
from ingest.store.replies import reply_strings
from ingest.store.stream_store import StreamStore

__all__ = [
    "EXIT_GAP",
    "EXIT_NO_STREAM",
    "dump",
    "dump_history",
    "follow_stream",
    "print_audit",
    "run",
]

EXIT_GAP = 3
#: The stream does not exist (without ``--follow``, which waits for it).
EXIT_NO_STREAM = 4


def run(options: DumpOptions) -> int:
    """Run ``soiree dump``; return the exit status."""
    stream = options.redis.stream or night_of(options.night).stream
    url = redis_url_of(options.redis, command="dump")
    if options.audit:
        if options.follow:
            raise CommandError("--audit: prints the trail as it is; --follow is not for it")
        return run_command(_audit(url, stream))
    try:
        return run_command(_dump(url, stream, since=options.since, follow=options.follow))
    except BrokenPipeError:
        # `soiree dump | head`: the reader left; that is not an error.
        sys.stderr.close()
        return 0


async def _dump(url: str, stream: str, *, since: str, follow: bool) -> int:
    client, store = await open_store(url, stream)
    try:
        if not await client.exists(store.stream):
            if not follow:
                print(f"soiree dump: no stream {store.stream} on this server", file=sys.stderr)
                return EXIT_NO_STREAM
            print(
                f"soiree dump: stream {store.stream} does not exist (yet); waiting for it",
                file=sys.stderr,
                flush=True,
            )
        status, last = await dump_history(store, since=since, out=sys.stdout)
        if follow:
            # Ctrl-C and SIGTERM end the follow cleanly, with the status the history gave.
            await run_until_signalled(follow_stream(store, since=last, out=sys.stdout))
        return status
    finally:
        await client.aclose()


async def _audit(url: str, stream: str) -> int:
    client, store = await open_store(url, stream)
    try:
        entries = await client.xrange(desk_key(store.stream)) or []
    finally:
        await client.aclose()
    print_audit(entries, out=sys.stdout)
    return 0


def print_audit(entries: Iterable[tuple[Any, Any]], *, out: TextIO) -> None:
    """The desk's actions as JSON Lines (an entry that is not one: a warning on stderr)."""
    for entry_id, fields in entries:
        try:
            action = action_from_fields(reply_strings(fields))
        except ValueError as error:
            print(f"soiree dump: skipping desk entry {entry_id}: {error}", file=sys.stderr)
            continue
        out.write(json_line({"id": str(entry_id), **action.to_json()}) + "\n")
    out.flush()


async def dump(store: StreamStore, *, since: str, follow: bool, out: TextIO) -> int:
    """Write the updates after ``since`` to ``out`` (and new ones, with ``follow``, until
    cancelled); return the exit status."""
    status, last = await dump_history(store, since=since, out=out)
    if follow:
        await follow_stream(store, since=last, out=out)
    return status


async def dump_history(store: StreamStore, *, since: str, out: TextIO) -> tuple[int, str]:
    """Write the retained updates after ``since``; return the exit status and the last id."""
    try:
        history = await store.history(since=since)
    except ValueError as error:
        raise CommandError(str(error)) from error
    status = 0
    if history.gap:
        print(
            f"soiree dump: warning: updates after {since} are no longer retained"
            f" (retention trimmed up to {history.last_trimmed_id}); printing from"
            f" {history.first_retained_id}",
            file=sys.stderr,
        )
        status = EXIT_GAP
    last = since
    for update in history.updates:
        out.write(json_line(update.to_json()) + "\n")
        last = update.id or last
    out.flush()
    return status, last


async def follow_stream(store: StreamStore, *, since: str, out: TextIO) -> None:
    """Write every update appended after ``since``, one whole line each, until cancelled."""
    async for update in store.tail(since):
        out.write(json_line(update.to_json()) + "\n")
        out.flush()
