"""What the strict readers of a TOML file share: where its keys stand, its problems each named
with its line, and the checks and wording of values every such reader uses. Pure.

Two files are read this way: the night file (:mod:`ingest.model.night_file`, with
:mod:`ingest.model.night_contest`) and the alert rules file (:mod:`ticker.alerts.rules`).

tomllib keeps no line numbers, so :class:`KeyLines` finds a key's line by a small scan of the
text (a top-level key, a key of a ``[table]``, a key of the n-th table of an array of tables such
as ``[[candidates]]`` or ``[[rule]]``), and :class:`FileCheck` collects the problems, one line
each: ``night.toml:14: candidates[2].alias: unknown key (did you mean 'aliases'?)``. A key is
shown as written when it is printable and short, else quoted (:func:`shown_key`); a value as
its ``repr``, cut short (:func:`shown`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

__all__ = [
    "MAX_TEXT",
    "FileCheck",
    "KeyLines",
    "one_line_text",
    "shown",
    "shown_key",
    "unknown_key",
    "whole_number",
]

#: The longest one-line text a file may give (a title, a name, an alias).
MAX_TEXT: Final = 200


def one_line_text(value: object) -> str | None:
    """A non-empty, stripped, one-line text of at most :data:`MAX_TEXT` characters, or None."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        return None
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        return None
    return value.strip()


def whole_number(value: object) -> int | None:
    """``value`` if it is a whole number (not a boolean), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def shown(value: object) -> str:
    """A value as a problem quotes it: its repr, cut short."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def shown_key(key: str) -> str:
    """A key as a problem names it: as written if printable and short, else quoted."""
    return key if key.isprintable() and len(key) <= 80 else repr(key[:80])


def unknown_key(key: str, known: Sequence[str]) -> str:
    """The problem of a key not in ``known``: ``unknown key (did you mean 'aliases'?)``, or the
    known keys when none is close."""
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(known)})"
    return f"unknown key{hint}"


class KeyLines:
    """Where keys stand in a file's text (1-based lines), found by scanning it; ``array`` is the
    array of tables whose n-th table :meth:`entry` looks in (``candidates``, ``rule``)."""

    _HEADER: Final = re.compile(r"\s*\[")

    def __init__(self, text: str, *, array: str) -> None:
        self.lines = text.splitlines()
        self.array = array
        self.blocks: list[tuple[int, int]] = []  # each [[array]] table: (first, end)
        headers = [n for n, line in enumerate(self.lines) if self._HEADER.match(line)]
        table = re.compile(rf"\s*\[\[\s*{re.escape(array)}\s*\]\]")
        for position, start in enumerate(headers):
            end = headers[position + 1] if position + 1 < len(headers) else len(self.lines)
            if table.match(self.lines[start]):
                self.blocks.append((start, end))
        self.top_end = headers[0] if headers else len(self.lines)

    @staticmethod
    def _assigns(line: str, key: str) -> bool:
        quoted = re.escape(key)
        return re.match(rf"\s*(?:{quoted}|\"{quoted}\"|'{quoted}')\s*=", line) is not None

    def _find(self, start: int, end: int, test: Callable[[str], object]) -> int | None:
        for number in range(start, end):
            if test(self.lines[number]):
                return number + 1
        return None

    def in_table(self, table: str, key: str) -> int | None:
        """The line of ``key = ...`` inside the ``[table]`` table, else of its header."""
        header = re.compile(rf"\s*\[\s*{re.escape(table)}\s*\]")
        start = self._find(0, len(self.lines), header.match)
        if start is None:
            return None
        end = next(
            (n for n in range(start, len(self.lines)) if self._HEADER.match(self.lines[n])),
            len(self.lines),
        )
        return self._find(start, end, lambda line: self._assigns(line, key)) or start

    def top(self, key: str) -> int | None:
        """The line of a top-level ``key = ...``, else of a ``[key]`` / ``[[key]]`` header."""
        found = self._find(0, self.top_end, lambda line: self._assigns(line, key))
        header = re.compile(rf"\s*\[\[?\s*{re.escape(key)}\s*\]")
        return found or self._find(0, len(self.lines), header.match)

    def entry(self, index: int, key: str | None = None, holding: str | None = None) -> int | None:
        """The line of the ``index``-th (0-based) table of the array, of its ``key``, or of the
        first line of that table holding the quoted string ``holding``."""
        if index >= len(self.blocks):
            return self.top(self.array)  # an inline array: its key's line
        start, end = self.blocks[index]
        if key is None and holding is None:
            return start + 1
        if holding is not None:
            quoted = (f'"{holding}"', f"'{holding}'")
            found = self._find(start, end, lambda line: any(q in line for q in quoted))
        else:
            found = self._find(start, end, lambda line: self._assigns(line, str(key)))
        return found or start + 1


@dataclass
class FileCheck:
    """The problems found so far in one file."""

    origin: str
    lines: KeyLines
    problems: list[str] = field(default_factory=list)

    def add(self, key: str, line: int | None, message: str, *, prefix: str = "") -> None:
        """One problem of ``key`` (named after ``prefix``, e.g. ``rule[2].``) at ``line``."""
        where = f"{self.origin}:{line}" if line is not None else self.origin
        self.problems.append(f"{where}: {prefix}{shown_key(key)}: {message}")

    def top(self, key: str, message: str) -> None:
        """One problem of a top-level ``key``, at its line."""
        self.add(key, self.lines.top(key), message)

    def unknown(
        self, key: str, known: Sequence[str], line: int | None, *, prefix: str = ""
    ) -> None:
        """``key`` is not one of ``known`` (:func:`unknown_key`)."""
        self.add(key, line, unknown_key(key, known), prefix=prefix)
