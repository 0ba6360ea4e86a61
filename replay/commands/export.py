"""``soiree export``: the stream as files a graphics desk uses (CSV, JSON, SQLite).

A thin shell: it reads the stream page by page (under a progress bar on a terminal, for large
streams), feeds :class:`ticker.export.tables.NightExport` and writes its tables with
:mod:`ticker.export.formats`. ``--as-of`` stops at a stream id or a time of the night;
``--follow`` then keeps reading and rewrites the file (atomically) after each batch, until
SIGINT or SIGTERM.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Final

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from ingest.commands.stream_options import night_of, open_store, redis_url_of
from ingest.model.errors import CommandError
from ingest.model.night import Night
from ingest.runtime.aio import run_command, run_until_signalled
from ingest.store.stream_store import StreamStore
from replay.commands.clock_options import parse_night_time
from replay.commands.export_cli import ExportOptions
from ticker.export.formats import (
    ExportRequest,
    export_meta,
    render,
    write_atomically,
    write_sqlite,
)
from ticker.export.tables import TABLE_NAMES, AsOf, NightExport

__all__ = ["PROGRESS_FROM", "parse_as_of", "read_into", "run"]

#: Streams at least this long get a progress bar (on a terminal).
PROGRESS_FROM: Final = 2000
_PAGE: Final = 1000
_STREAM_ID: Final = re.compile(r"\d{1,20}(?:-\d{1,20})?")


def parse_as_of(raw: str, night: Night) -> AsOf:
    """``--as-of``: a stream id (``1796223446002-33``) or a Paris time of the night (20:45)."""

    text = raw.strip()
    if _STREAM_ID.fullmatch(text):
        try:
            return AsOf(stream_id=text if "-" in text else text + "-0")
        except ValueError as error:
            raise CommandError(f"--as-of: {error}") from error
    return AsOf(at=parse_night_time(text, night, option="--as-of"))


def _request(args: ExportOptions) -> ExportRequest:
    fmt = args.format
    output = None if args.output in (None, "-") else Path(args.output)
    table = args.table or ("results" if fmt == "csv" else "all")
    tables = TABLE_NAMES if table == "all" else (table,)
    if fmt == "csv" and len(tables) > 1:
        raise CommandError("--format csv holds one table: choose it with --table")
    if fmt == "sqlite" and output is None:
        raise CommandError("--format sqlite needs a file: --output night.sqlite")
    if args.follow and output is None:
        raise CommandError("--follow keeps a file up to date: give it with --output")
    if args.follow and args.as_of:
        raise CommandError("--follow and --as-of exclude each other (a moment does not move)")
    if output is not None and not output.parent.is_dir():
        raise CommandError(f"--output: no directory {output.parent}")
    return ExportRequest(fmt, tables, output)


def _write(request: ExportRequest, export: NightExport, *, stream: str) -> None:
    tables = export.tables()
    meta = export_meta(export, stream=stream)
    if request.format == "sqlite":
        assert request.output is not None
        write_sqlite(request.output, {name: tables[name] for name in request.tables}, meta)
        return
    data = render(request, tables, meta)
    if request.output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        write_atomically(request.output, data)


async def read_into(
    store: StreamStore, export: NightExport, *, progress: Progress | None = None
) -> None:
    """Feed ``export`` every retained update of the stream (up to its ``as_of``)."""
    total = await store.length()
    task = None if progress is None else progress.add_task("export", total=total)
    cursor: str | None = None
    while True:
        history = await store.history(since=cursor, count=_PAGE)
        for update in history.updates:
            if export.as_of is not None and export.as_of.past(update):
                return
            export.apply(update)
        if progress is not None and task is not None:
            progress.advance(task, len(history.updates))
        if not history.updates or history.last_id is None or history.last_id == cursor:
            return
        cursor = history.last_id


async def _follow(
    store: StreamStore, export: NightExport, request: ExportRequest, *, since: str
) -> None:
    cursor = since
    while True:
        batch = await store.read_after(cursor, block_ms=1000, count=_PAGE)
        cursor = batch.last_id
        if batch:
            export.apply_all(batch)
            _write(request, export, stream=store.stream)


async def _export(
    url: str, stream: str, request: ExportRequest, export: NightExport, *, follow: bool
) -> int:
    client, store = await open_store(url, stream)
    try:
        console = Console(stderr=True)
        large = console.is_terminal and await store.length() >= PROGRESS_FROM
        if large:
            progress = Progress(
                TextColumn("export"), BarColumn(), MofNCompleteColumn(), console=console
            )
            with progress:
                await read_into(store, export, progress=progress)
        else:
            await read_into(store, export)
        _write(request, export, stream=store.stream)
        if request.output is not None:
            rows = sum(len(t.rows) for n, t in export.tables().items() if n in request.tables)
            print(
                f"soiree export: {rows} rows up to {export.last_id or 'the start'}"
                f" -> {request.output}",
                file=sys.stderr,
            )
        if follow:
            await run_until_signalled(
                _follow(store, export, request, since=export.last_id or "0-0")
            )
        return 0
    finally:
        await client.aclose()


def run(args: ExportOptions) -> int:
    """Run ``soiree export``; return the exit status."""
    request = _request(args)
    night = night_of(args.night)
    as_of = parse_as_of(args.as_of, night) if args.as_of else None
    export = NightExport(round=night.round, early_hour=night.early_hour, as_of=as_of)
    stream = args.redis.stream or night.stream
    url = redis_url_of(args.redis, command="export")
    try:
        return run_command(_export(url, stream, request, export, follow=args.follow))
    except BrokenPipeError:
        sys.stderr.close()  # `soiree export | head`: the reader left
        return 0
