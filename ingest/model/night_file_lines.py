"""Where a night file's keys stand, and its problems, each named with its line.

tomllib keeps no line numbers, so :class:`KeyLines` finds a key's line by a small scan of the
text (a top-level key, a key of a ``[table]``, a key of the n-th ``[[candidates]]`` table), and
:class:`NightCheck` collects the problems :mod:`ingest.model.night_file` finds, one line each:
``night.toml:14: candidates[2].alias: unknown key (did you mean 'aliases'?)``. Pure.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

__all__ = ["KeyLines", "NightCheck"]


class KeyLines:
    """Where keys stand in a night file's text (1-based lines), found by scanning it."""

    _HEADER: Final = re.compile(r"\s*\[")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.blocks: list[tuple[int, int]] = []  # each [[candidates]] table: (first, end)
        headers = [n for n, line in enumerate(self.lines) if self._HEADER.match(line)]
        for position, start in enumerate(headers):
            end = headers[position + 1] if position + 1 < len(headers) else len(self.lines)
            if re.match(r"\s*\[\[\s*candidates\s*\]\]", self.lines[start]):
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

    def candidate(
        self, index: int, key: str | None = None, holding: str | None = None
    ) -> int | None:
        """The line of the ``index``-th (0-based) candidate's table, of its ``key``, or of the
        first line of that table holding the quoted string ``holding``."""
        if index >= len(self.blocks):
            return self.top("candidates")  # an inline array: its key's line
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
class NightCheck:
    """The problems found so far in one file."""

    origin: str
    lines: KeyLines
    problems: list[str]

    def add(self, key: str, line: int | None, message: str) -> None:
        key = key if key.isprintable() and len(key) <= 80 else repr(key[:80])
        where = f"{self.origin}:{line}" if line is not None else self.origin
        self.problems.append(f"{where}: {key}: {message}")

    def top(self, key: str, message: str) -> None:
        self.add(key, self.lines.top(key), message)

    def unknown(
        self, key: str, known: Sequence[str], line: int | None, *, prefix: str = ""
    ) -> None:
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(known)})"
        self.add(prefix + key, line, f"unknown key{hint}")
