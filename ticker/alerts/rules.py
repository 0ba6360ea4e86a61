"""The alert rules file (``alerts.toml``): read strictly, every problem named by file, key, line.

The format is ``docs/alerts.md``. One ``[[rule]]`` table per rule: its ``id``, its ``type``
(:data:`RULE_TYPES`) and the keys that type takes (:data:`TYPE_KEYS`). An unknown key, a key the
type does not take, a wrong type, an id twice are each one line:
``alerts.toml:7: rule[1].pct: expected a number from 0 to 100, got '55'``; lines found, keys
and values quoted, as the night file's are (:mod:`ingest.model.toml_checks`). Pure apart from
:func:`load_rules`, which reads one file.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ingest.model.errors import SoireeError
from ingest.model.toml_checks import FileCheck, KeyLines, one_line_text, shown, unknown_key

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


def _problem(check: FileCheck, index: int, key: str, message: str) -> None:
    """One problem of ``key`` in the ``index``-th ``[[rule]]`` table, at its line."""
    check.add(key, check.lines.entry(index, key), message, prefix=f"rule[{index}].")


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _rule(index: int, table: object, check: FileCheck) -> Rule | None:
    if not isinstance(table, Mapping):
        _problem(check, index, "rule", "expected a table")
        return None
    before = len(check.problems)
    rule_type = table.get("type")
    if rule_type not in RULE_TYPES:
        if "type" not in table:
            _problem(check, index, "type", "missing")
        else:
            _problem(
                check,
                index,
                "type",
                f"expected one of {', '.join(RULE_TYPES)}, got {shown(rule_type)}",
            )
        return None
    assert isinstance(rule_type, str)
    known = (*_COMMON, *TYPE_KEYS[rule_type])
    for key in table:
        if key not in known:
            if any(key in keys for keys in TYPE_KEYS.values()):
                _problem(
                    check,
                    index,
                    key,
                    f"not a key of a {rule_type} rule (its keys: {', '.join(known)})",
                )
            else:
                _problem(check, index, key, unknown_key(key, known))
    for key in ("id", *_REQUIRED.get(rule_type, ())):
        if key not in table:
            _problem(check, index, key, "missing")
    values: dict[str, object] = {"type": rule_type}
    for key, value in table.items():
        if key not in known:
            continue
        checked = _value(key, value)
        if isinstance(checked, _Bad):
            _problem(check, index, key, f"expected {checked.expected}, got {shown(value)}")
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
        text = one_line_text(value)
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
        names = [one_line_text(item) for item in value] if isinstance(value, list) else None
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
    check = FileCheck(origin, KeyLines(text, array="rule"))
    for key in data:
        if key != "rule":
            check.unknown(key, ("rule",), check.lines.top(key))
    tables = data.get("rule", [])
    if not isinstance(tables, list):
        check.top("rule", "expected [[rule]] tables")
        tables = []
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, table in enumerate(tables):
        rule = _rule(index, table, check)
        if rule is None:
            continue
        if rule.id in seen:
            _problem(check, index, "id", f"{rule.id!r} given twice")
            continue
        seen.add(rule.id)
        rules.append(rule)
    if not check.problems and not rules:
        check.top("rule", "no [[rule]] in the file")
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
