"""The contest keys of a night file: ``election``, ``[seats]`` and ``[[places]]``. Pure.

Read strictly, as the rest of the night file (:mod:`ingest.model.night_file`, ``docs/night.md``):
each problem is reported through ``add(key, line, message)`` and the value left out.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from typing import Any, Final

from ingest.model.night import ELECTIONS, PLACE_KINDS, SEAT_RULES, Seats, Subdivision, fold
from ingest.model.toml_checks import one_line_text, unknown_key, whole_number

__all__ = ["PLACE_KEYS", "SEATS_KEYS", "read_election", "read_places", "read_seats"]

#: Every key of the ``[seats]`` table and of one ``[[places]]`` table.
SEATS_KEYS: Final = ("total", "rule")
PLACE_KEYS: Final = ("kind", "name", "code")
#: An official code: INSEE commune ("86194", "2A004"), canton ("8601"), constituency ("86-01").
_CODE: Final = re.compile(r"[0-9][0-9AB][0-9]{0,3}(?:-[0-9]{1,2})?|[0-9]{3}(?:-[0-9]{1,2})?")
MAX_SEATS: Final = 1000

Report = Callable[[str, "int | None", str], None]
Lines = Callable[[str], "int | None"]


def _one_of(value: object, choices: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(str(value), choices, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"must be one of {', '.join(choices)}, got {str(value)[:40]!r}{hint}"


def read_election(data: Mapping[str, Any], add: Report, line: Lines) -> str | None:
    """The optional ``election`` key: the kind of contest."""
    raw = data.get("election")
    if raw is None:
        return None
    if raw not in ELECTIONS:
        add("election", line("election"), _one_of(raw, ELECTIONS))
        return None
    return str(raw)


def read_seats(data: Mapping[str, Any], add: Report, line: Lines) -> Seats | None:
    """The optional ``[seats]`` table: ``total`` (1 to 1000) and ``rule``."""
    raw = data.get("seats")
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        add("seats", line("seats"), 'must be a table: total = 58, rule = "majority-bonus"')
        return None
    for key in raw:
        if key not in SEATS_KEYS:
            add(f"seats.{key}", line("seats"), unknown_key(str(key), SEATS_KEYS))
    total = whole_number(raw.get("total"))
    if total is None or not 1 <= total <= MAX_SEATS:
        add("seats.total", line("seats"), f"must be a number of seats from 1 to {MAX_SEATS}")
    rule = raw.get("rule")
    if rule not in SEAT_RULES:
        add("seats.rule", line("seats"), _one_of(rule, SEAT_RULES))
    if total is None or not 1 <= total <= MAX_SEATS or rule not in SEAT_RULES:
        return None
    return Seats(total=total, rule=str(rule))


def read_places(data: Mapping[str, Any], add: Report, line: Lines) -> tuple[Subdivision, ...]:
    """The optional ``[[places]]`` tables: communes, cantons, constituencies, each once."""
    raw = data.get("places", [])
    if not isinstance(raw, list):
        add("places", line("places"), "must be an array of tables ([[places]])")
        return ()
    found: list[Subdivision] = []
    seen: dict[tuple[str, str], int] = {}
    for index, table in enumerate(raw):
        label = f"places[{index + 1}]"
        if not isinstance(table, Mapping):
            add(label, line("places"), "must be a table with a kind and a name")
            continue
        for key in table:
            if key not in PLACE_KEYS:
                add(f"{label}.{key}", line("places"), unknown_key(str(key), PLACE_KEYS))
        kind, name, code = table.get("kind"), one_line_text(table.get("name")), table.get("code")
        problems = False
        if kind not in PLACE_KINDS:
            add(f"{label}.kind", line("places"), _one_of(kind, PLACE_KINDS))
            problems = True
        if name is None:
            add(f"{label}.name", line("places"), "missing or not a one-line text")
            problems = True
        if code is not None and (not isinstance(code, str) or not _CODE.fullmatch(code)):
            add(
                f"{label}.code",
                line("places"),
                f"must be an official code (86194, 2A004, 8601, 86-01), got {str(code)[:20]!r}",
            )
            problems = True
        if problems or name is None:
            continue
        key = (str(kind), fold(name))
        if key in seen:
            add(f"{label}.name", line("places"), f"{kind} {name!r} already is places[{seen[key]}]")
            continue
        seen[key] = index + 1
        found.append(Subdivision(kind=str(kind), name=name, code=code))
    return tuple(found)
