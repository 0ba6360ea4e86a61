"""The export's tables as files: CSV, JSON and SQLite, each written atomically. Pure but for
:func:`write_atomically` and :func:`write_sqlite`, which write files.

- **CSV** (one table): a header line, then one line per row (RFC 4180, UTF-8, ``\\r\\n``);
  absent values are empty cells, booleans ``true`` / ``false``. A text cell that starts with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with ``'`` so that a
  spreadsheet shows it as text and never runs it as a formula (source text is hostile).
- **JSON**: one object, ``{"meta": {...}, "<table>": [{column: value}, ...], ...}``.
- **SQLite**: one table per export table (typed columns, indexes on the scope code and the
  stream id) and a ``meta`` table of key / value pairs; a plain file that ``sqlite3`` and
  Datasette open as is.

:func:`render` gives the CSV or JSON bytes of an :class:`ExportRequest` (what ``soiree export``
writes and the broadcaster's ``/export/results.*`` serve, byte for byte).

Every file is first written beside its destination, then renamed over it: a reader (a
graphics server polling the file, ``--follow``) sees the old file or the new one, never half.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ticker.export.tables import NightExport, Table, Value

__all__ = [
    "EXPORT_FORMAT",
    "FORMATS",
    "ExportRequest",
    "csv_text",
    "export_meta",
    "json_text",
    "render",
    "write_atomically",
    "write_sqlite",
]

FORMATS: Final = ("csv", "json", "sqlite")
#: The export's format version, in its ``meta``.
EXPORT_FORMAT: Final = "soiree-export/1"
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_START) else value
    return repr(value) if isinstance(value, float) else str(value)


def csv_text(table: Table) -> str:
    """The table as CSV text (see the module docstring)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(column.name for column in table.columns)
    writer.writerows([_csv_cell(value) for value in row] for row in table.rows)
    return out.getvalue()


def json_text(tables: Mapping[str, Table], meta: Mapping[str, Value]) -> str:
    """The tables as one JSON object, ``meta`` first (see the module docstring)."""
    data: dict[str, object] = {"meta": dict(meta)}
    for name, table in tables.items():
        data[name] = table.records()
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def _temporary_path(path: Path) -> Path:
    """A new empty file in ``path``'s directory, for writing before the rename."""
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    return Path(name)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file renamed over it."""
    temporary = _temporary_path(path)
    try:
        with temporary.open("wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        temporary.chmod(0o644)
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_value(value: Value) -> str | int | float | None:
    return int(value) if isinstance(value, bool) else value


def write_sqlite(path: Path, tables: Mapping[str, Table], meta: Mapping[str, Value]) -> None:
    """Write the tables and ``meta`` as a SQLite database at ``path`` (atomically)."""
    temporary = _temporary_path(path)
    try:
        connection = sqlite3.connect(temporary)
        try:
            with connection:
                connection.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
                connection.executemany(
                    "INSERT INTO meta VALUES (?, ?)",
                    [(key, None if value is None else str(value)) for key, value in meta.items()],
                )
                for name, table in tables.items():
                    columns = ", ".join(
                        f"{_quoted(column.name)} {column.type}" for column in table.columns
                    )
                    connection.execute(f"CREATE TABLE {_quoted(name)} ({columns})")
                    marks = ", ".join("?" for _ in table.columns)
                    connection.executemany(
                        f"INSERT INTO {_quoted(name)} VALUES ({marks})",  # noqa: S608 - our names
                        [[_sqlite_value(value) for value in row] for row in table.rows],
                    )
                    names = {column.name for column in table.columns}
                    for indexed in ("scope_code", "stream_id"):
                        if indexed in names:
                            connection.execute(
                                f"CREATE INDEX {_quoted(f'{name}_{indexed}')}"
                                f" ON {_quoted(name)} ({_quoted(indexed)})"
                            )
        finally:
            connection.close()
        temporary.chmod(0o644)
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """What to write: format, tables, destination (``None``: standard output)."""

    format: str
    tables: tuple[str, ...]
    output: Path | None


def export_meta(export: NightExport, *, stream: str) -> dict[str, Value]:
    """The ``meta`` of an export: format, stream, last id, moment, round and state."""
    board = export.board
    return {
        "format": EXPORT_FORMAT,
        "stream": stream,
        "last_id": export.last_id,
        "as_of": None if export.as_of is None else str(export.as_of),
        "round": board.round,
        "state": board.state.value,
    }


def render(request: ExportRequest, tables: Mapping[str, Table], meta: Mapping[str, Value]) -> bytes:
    """The CSV or JSON bytes of an export (SQLite is written by :func:`write_sqlite`)."""
    chosen = {name: tables[name] for name in request.tables}
    if request.format == "csv":
        return csv_text(chosen[request.tables[0]]).encode()
    return json_text(chosen, meta).encode()
