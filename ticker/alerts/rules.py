"""The alert rules file (``alerts.toml``): read strictly, every problem named by file, key, line.

The format is ``docs/alerts.md``. One ``[[rule]]`` table per rule: its ``id``, its ``type``
(:data:`RULE_TYPES`) and the keys that type takes (:data:`TYPE_KEYS`). An unknown key, a key the
type does not take, a wrong type, an id twice are each one line:
``alerts.toml:7: rule[1].pct: expected a number from 0 to 100, got '55'``. Pure apart from
:func:`load_rules`, which reads one file.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ingest.model.errors import SoireeError

__all__ = [
    "EDITORIAL_TYPES",
    "OPERATIONAL_TYPES",
    "RULE_TYPES",
    "Rule",
    "RulesFileError",
    "load_rules",
    "rules_from_text",
]

#: Rules on what the night says (the stream and the board).
EDITORIAL_TYPES: Final = (
    "first_estimate",
    "first_count",
    "share_above",
    "margin_below",
    "turnout_above_previous",
    "speech",
)
#: Rules on the sources' health records.
OPERATIONAL_TYPES: Final = ("source_silent", "source_failing", "source_not_parsing")
RULE_TYPES: Final = EDITORIAL_TYPES + OPERATIONAL_TYPES
_COMMON: Final = ("id", "type", "title")
#: The keys each type takes besides ``id``, ``type`` and ``title``.
TYPE_KEYS: Final[Mapping[str, tuple[str, ...]]] = {
    "first_estimate": (),
    "first_count": (),
    "share_above": ("candidate", "pct", "hysteresis", "of"),
    "margin_below": ("points", "hysteresis", "of"),
    "turnout_above_previous": (),
    "speech": ("candidate",),
    "source_silent": ("minutes", "sources"),
    "source_failing": ("times", "sources"),
    "source_not_parsing": ("sources",),
}
_REQUIRED: Final[Mapping[str, tuple[str, ...]]] = {
    "share_above": ("candidate", "pct"),
    "margin_below": ("points",),
    "speech": ("candidate",),
    "source_silent": ("minutes",),
    "source_failing": ("times",),
}
_OF: Final = ("count", "any")
_ID: Final = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")
_MAX_TEXT: Final = 200
DEFAULT_HYSTERESIS: Final = 0.5


class RulesFileError(SoireeError, ValueError):
    """A rules file with problems; :attr:`problems` has them all, one line each."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        message = self.problems[0] if self.problems else "bad rules file"
        more = len(self.problems) - 1
        if more > 0:
            message += f" (and {more} more problem{'s' if more > 1 else ''})"
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class Rule:
    """One alert rule, checked."""

    id: str
    type: str
    title: str | None = None
    candidate: str | None = None
    pct: float | None = None
    points: float | None = None
    hysteresis: float = DEFAULT_HYSTERESIS
    #: ``count``: only counts (the default); ``any``: an estimate too, before any count.
    of: str = "count"
    minutes: float | None = None
    times: int | None = None
    #: The sources an operational rule watches; empty: all.
    sources: tuple[str, ...] = ()

    @property
    def operational(self) -> bool:
        """Whether the rule watches the sources' health rather than the night."""
        return self.type in OPERATIONAL_TYPES


class _Lines:
    """The line of each ``[[rule]]`` table and of its keys (tomllib keeps no lines)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        headers = [n for n, line in enumerate(self.lines) if re.match(r"\s*\[", line)]
        self.blocks: list[tuple[int, int]] = []
        for position, start in enumerate(headers):
            end = headers[position + 1] if position + 1 < len(headers) else len(self.lines)
            if re.match(r"\s*\[\[\s*rule\s*\]\]", self.lines[start]):
                self.blocks.append((start, end))
        self.top_end = headers[0] if headers else len(self.lines)

    def of(self, index: int | None, key: str | None = None) -> int | None:
        if index is None:
            start, end = 0, self.top_end
        elif index < len(self.blocks):
            start, end = self.blocks[index]
        else:
            return None
        if key is not None:
            pattern = re.compile(rf"\s*(?:{re.escape(key)}|\"{re.escape(key)}\")\s*=")
            for number in range(start, end):
                if pattern.match(self.lines[number]):
                    return number + 1
        return start + 1 if index is not None else None


class _Check:
    def __init__(self, origin: str, lines: _Lines) -> None:
        self.origin = origin
        self.lines = lines
        self.problems: list[str] = []

    def add(self, index: int | None, key: str, message: str) -> None:
        shown = key if key.isprintable() and len(key) <= 80 else repr(key[:80])
        line = self.lines.of(index, key)
        where = f"{self.origin}:{line}" if line is not None else self.origin
        name = shown if index is None else f"rule[{index}].{shown}"
        self.problems.append(f"{where}: {name}: {message}")


def _shown(value: object) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _text(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_TEXT:
        return None
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        return None
    return value.strip()


def _unknown(check: _Check, index: int | None, key: str, known: Sequence[str]) -> None:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(known)})"
    check.add(index, key, f"unknown key{hint}")


def _rule(index: int, table: object, check: _Check) -> Rule | None:
    if not isinstance(table, Mapping):
        check.add(index, "rule", "expected a table")
        return None
    before = len(check.problems)
    rule_type = table.get("type")
    if rule_type not in RULE_TYPES:
        if "type" not in table:
            check.add(index, "type", "missing")
        else:
            check.add(
                index, "type", f"expected one of {', '.join(RULE_TYPES)}, got {_shown(rule_type)}"
            )
        return None
    assert isinstance(rule_type, str)
    known = (*_COMMON, *TYPE_KEYS[rule_type])
    for key in table:
        if key not in known:
            if any(key in keys for keys in TYPE_KEYS.values()):
                check.add(
                    index, key, f"not a key of a {rule_type} rule (its keys: {', '.join(known)})"
                )
            else:
                _unknown(check, index, key, known)
    for key in ("id", *_REQUIRED.get(rule_type, ())):
        if key not in table:
            check.add(index, key, "missing")
    values: dict[str, object] = {"type": rule_type}
    for key, value in table.items():
        if key not in known:
            continue
        checked = _value(key, value)
        if isinstance(checked, _Bad):
            check.add(index, key, f"expected {checked.expected}, got {_shown(value)}")
        else:
            values[key] = checked
    if len(check.problems) > before:
        return None
    return Rule(**values)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class _Bad:
    expected: str


def _value(key: str, value: object) -> object:
    if key == "id":
        return (
            value
            if isinstance(value, str) and _ID.fullmatch(value) and len(value) <= 60
            else _Bad("an id of lowercase letters, digits, '-' and '_' (at most 60)")
        )
    if key in ("title", "candidate"):
        text = _text(value)
        return _Bad("a one-line text of at most 200 characters") if text is None else text
    if key == "pct":
        number = _number(value)
        return number if number is not None and 0 < number < 100 else _Bad("a number from 0 to 100")
    if key in ("points", "hysteresis"):
        number = _number(value)
        return (
            number
            if number is not None and 0 <= number <= 100
            else _Bad("a number of points from 0 to 100")
        )
    if key == "minutes":
        number = _number(value)
        return (
            number
            if number is not None and 0 < number <= 24 * 60
            else _Bad("a number of minutes above 0 (at most a day)")
        )
    if key == "times":
        good = isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 1000
        return value if good else _Bad("a whole number from 1 to 1000")
    if key == "of":
        return value if value in _OF else _Bad(f"one of {', '.join(_OF)}")
    if key == "sources":
        names = [_text(item) for item in value] if isinstance(value, list) else None
        if names is None or not all(names):
            return _Bad("a list of source names")
        return tuple(name for name in names if name)
    return value  # "type": checked before


def rules_from_text(text: str, *, origin: str = "alerts.toml") -> tuple[Rule, ...]:
    """The rules a rules file's text gives; :class:`RulesFileError` lists every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RulesFileError([f"{origin}: not valid TOML: {error}"]) from None
    check = _Check(origin, _Lines(text))
    for key in data:
        if key != "rule":
            _unknown(check, None, key, ("rule",))
    tables = data.get("rule", [])
    if not isinstance(tables, list):
        check.add(None, "rule", "expected [[rule]] tables")
        tables = []
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, table in enumerate(tables):
        rule = _rule(index, table, check)
        if rule is None:
            continue
        if rule.id in seen:
            check.add(index, "id", f"{rule.id!r} given twice")
            continue
        seen.add(rule.id)
        rules.append(rule)
    if not check.problems and not rules:
        check.add(None, "rule", "no [[rule]] in the file")
    if check.problems:
        raise RulesFileError(check.problems)
    return tuple(rules)


def load_rules(path: Path) -> tuple[Rule, ...]:
    """Read and check one rules file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RulesFileError([f"{path}: cannot read the rules file: {error}"]) from None
    return rules_from_text(text, origin=str(path))
