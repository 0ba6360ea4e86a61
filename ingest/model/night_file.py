"""The night file, ``night.toml``: read strictly, every problem named by file, key and line.

The format is documented in ``docs/night.md`` and described by ``docs/night.schema.json``.
Unknown keys (``alias`` for ``aliases``), wrong types, bad values, a candidate twice or one
spelling given to two candidates are errors; a file with several problems gives them all, one
line each: ``night.toml:14: candidates[2].alias: unknown key (did you mean 'aliases'?)``.
Each problem is located by :mod:`ingest.model.toml_checks`. Pure apart from
:func:`load_night`, which reads one file.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ingest.model.night import Candidate, Night, NightError, fold, role_key
from ingest.model.night_contest import read_election, read_places, read_seats
from ingest.model.polls_close import POLLS_KEYS, parse_polls_close
from ingest.model.toml_checks import FileCheck, KeyLines, one_line_text, shown, whole_number

__all__ = [
    "CANDIDATE_KEYS",
    "DEFAULT_EARLY_HOUR",
    "DEFAULT_TIMEZONE",
    "NIGHT_KEYS",
    "NightFileError",
    "default_stream",
    "load_night",
    "night_from_data",
    "night_from_text",
]

#: Every key of a night file, top level.
NIGHT_KEYS: Final = (
    "slug",
    "title",
    "date",
    "round",
    "timezone",
    "stream",
    "early_hour",
    "candidates",
    "roles",
    "election",
    "seats",
    "places",
    *POLLS_KEYS,
)
#: Every key of one ``[[candidates]]`` table.
CANDIDATE_KEYS: Final = ("name", "aliases", "head", "label", "colour")
#: A candidate's colour: a CSS hex colour of six digits, nothing else (no name, no markup).
COLOUR: Final = re.compile(r"#[0-9a-fA-F]{6}")
DEFAULT_TIMEZONE: Final = "Europe/Paris"
DEFAULT_EARLY_HOUR: Final = 5
_SLUG: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_STREAM: Final = re.compile(r"[!-~]{1,200}")  # printable ASCII, no space


def default_stream(slug: str) -> str:
    """The stream a night writes when its file names none: ``soiree:night:<slug>``."""
    return f"soiree:night:{slug}"


class NightFileError(NightError):
    """A night file with problems; :attr:`problems` has them all, one line each."""

    def __init__(self, problems: Sequence[str], *, origin: str = "night.toml") -> None:
        self.problems = tuple(problems)
        more = len(self.problems) - 1
        message = self.problems[0] if self.problems else f"{origin}: bad night file"
        if more > 0:
            message += (
                f" (and {more} more problem{'s' if more > 1 else ''}:"
                f" `soiree night check {origin}` lists them)"
            )
        super().__init__(message)


def night_from_text(text: str, *, origin: str = "night.toml") -> Night:
    """The night a night file's text describes; :class:`NightFileError` lists every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise NightFileError([f"{origin}: not valid TOML: {error}"], origin=origin) from None
    check = FileCheck(origin, KeyLines(text, array="candidates"))
    night = _night(data, check)
    if check.problems or night is None:
        raise NightFileError(check.problems, origin=origin)
    return night


def night_from_data(data: Mapping[str, Any], *, origin: str = "night") -> Night:
    """The night a parsed night table describes (a night inside another file: no line numbers)."""
    check = FileCheck(origin, KeyLines("", array="candidates"))
    night = _night(data, check)
    if check.problems or night is None:
        raise NightFileError(check.problems, origin=origin)
    return night


def _night(data: Mapping[str, Any], check: FileCheck) -> Night | None:
    for key in data:
        if key not in NIGHT_KEYS:
            check.unknown(key, NIGHT_KEYS, check.lines.top(key))
    night_date = _date(data, check)
    round_ = whole_number(data.get("round"))
    if "round" not in data:
        check.add("round", None, "missing (1 or 2)")
    elif round_ not in (1, 2):
        check.top("round", f"must be 1 or 2, got {shown(data['round'])}")
    zone = _zone(data, check)
    slug = data.get("slug", night_date.isoformat() if night_date else "night")
    if not isinstance(slug, str) or not _SLUG.fullmatch(slug) or len(slug) > 64:
        check.top("slug", f"must be lowercase letters, digits and dashes, got {shown(slug)}")
    title = data.get("title", slug)
    if "title" in data and one_line_text(title) is None:
        check.top("title", "must be a non-empty one-line text (at most 200 characters)")
    stream = data.get("stream", default_stream(str(slug)))
    if "stream" in data and (not isinstance(stream, str) or not _STREAM.fullmatch(stream)):
        check.top("stream", "must be a Redis key without spaces (at most 200 characters)")
    early_hour = whole_number(data.get("early_hour", DEFAULT_EARLY_HOUR))
    if early_hour is None or not 0 <= early_hour <= 12:
        check.top(
            "early_hour", f"must be an hour from 0 to 12, got {shown(data.get('early_hour'))}"
        )
    candidates = _candidates(data, check)
    roles = _roles(data, check)
    election = read_election(data, check.add, check.lines.top)
    seats = read_seats(data, check.add, check.lines.top)
    places = read_places(data, check.add, check.lines.top)
    polls_close, polls_close_in = parse_polls_close(
        data,
        lambda key, message, table: check.add(
            key if table is None else f"{table}.{key}",
            check.lines.top(key) if table is None else check.lines.in_table(table, key),
            message,
        ),
    )
    if check.problems or night_date is None or zone is None or round_ is None or early_hour is None:
        return None
    return Night(
        slug=str(slug),
        title=str(one_line_text(title)),
        date=night_date,
        round=round_,
        timezone=zone,
        candidates=candidates,
        stream=str(stream),
        early_hour=early_hour,
        roles=roles,
        election=election,
        seats=seats,
        places=places,
        polls_close=polls_close,
        polls_close_in=polls_close_in,
    )


def _date(data: Mapping[str, Any], check: FileCheck) -> date | None:
    if "date" not in data:
        check.add("date", None, "missing (the night's date, YYYY-MM-DD)")
        return None
    raw = data["date"]
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw) if len(raw) == 10 else None
        except ValueError:
            pass
    check.top("date", f"must be a date, YYYY-MM-DD, got {shown(raw)}")
    return None


def _zone(data: Mapping[str, Any], check: FileCheck) -> ZoneInfo | None:
    raw = data.get("timezone", DEFAULT_TIMEZONE)
    if isinstance(raw, str) and raw.strip():
        try:
            return ZoneInfo(raw)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    check.top("timezone", f"must be an IANA time zone (Europe/Paris), got {shown(raw)}")
    return None


def _candidates(data: Mapping[str, Any], check: FileCheck) -> tuple[Candidate, ...]:
    raw = data.get("candidates")
    if raw is None:
        check.add("candidates", None, "missing (at least one [[candidates]] table)")
        return ()
    if not isinstance(raw, list) or not raw:
        check.top("candidates", "must be a non-empty array of tables ([[candidates]])")
        return ()
    found: list[Candidate] = []
    owners: dict[str, int] = {}  # folded spelling -> index of its candidate
    names: dict[int, str] = {}
    lines = check.lines
    for index, table in enumerate(raw):
        label = f"candidates[{index + 1}]"
        if not isinstance(table, Mapping):
            check.add(label, lines.entry(index), "must be a table with a name")
            continue
        for key in table:
            if key not in CANDIDATE_KEYS:
                check.unknown(key, CANDIDATE_KEYS, lines.entry(index, key), prefix=f"{label}.")
        name = one_line_text(table.get("name"))
        if name is None:
            check.add(f"{label}.name", lines.entry(index, "name"), "missing or not a text")
            continue
        aliases = table.get("aliases", [])
        if not isinstance(aliases, list) or any(one_line_text(alias) is None for alias in aliases):
            check.add(
                f"{label}.aliases",
                lines.entry(index, "aliases"),
                "must be a list of non-empty texts",
            )
            aliases = []
        names[index] = name
        extras: dict[str, str] = {}
        for extra in ("head", "label"):
            if extra in table and one_line_text(table[extra]) is None:
                check.add(
                    f"{label}.{extra}",
                    lines.entry(index, extra),
                    "must be a non-empty one-line text",
                )
            elif extra in table:
                extras[extra] = str(one_line_text(table[extra]))
        colour = table.get("colour")
        if colour is not None and not (isinstance(colour, str) and COLOUR.fullmatch(colour)):
            check.add(
                f"{label}.colour",
                lines.entry(index, "colour"),
                f"must be a hex colour #rrggbb, got {shown(colour)}",
            )
            colour = None
        written = [name, *(str(one_line_text(a)) for a in aliases)]
        fields = ["name"] + ["aliases"] * len(aliases) + list(extras)
        spellings: list[str] = []
        for position, spelling in enumerate([*written, *extras.values()]):
            key = f"{label}.{fields[position]}"
            if spelling in spellings:
                check.add(key, lines.entry(index, holding=spelling), f"{shown(spelling)} twice")
                continue
            spellings.append(spelling)
            owner = owners.setdefault(fold(spelling), index)
            if owner != index:
                what = "candidate" if position == 0 else "alias"
                check.add(
                    key,
                    lines.entry(index, holding=spelling),
                    f"duplicate {what}: {shown(spelling)} already designates"
                    f" candidates[{owner + 1}] ({names[owner]})",
                )
        kept_aliases = tuple(s for s in spellings[1:] if s not in extras.values())
        found.append(
            Candidate(
                name=name,
                aliases=kept_aliases,
                head=extras.get("head"),
                label=extras.get("label"),
                colour=colour.lower() if isinstance(colour, str) else None,
            )
        )
    return tuple(found)


def _roles(data: Mapping[str, Any], check: FileCheck) -> tuple[tuple[str, str], ...]:
    """The optional ``[roles]`` table: a role as texts write it -> who holds it tonight."""
    raw = data.get("roles", {})
    if not isinstance(raw, Mapping):
        check.top("roles", 'must be a table of role = "holder" ([roles])')
        return ()
    roles: dict[str, str] = {}
    for role, holder in raw.items():
        key = role_key(role)
        if not key or one_line_text(holder) is None:
            check.add(f"roles.{role}", check.lines.in_table("roles", role), "must name its holder")
            continue
        if key in roles:
            check.add(f"roles.{role}", check.lines.in_table("roles", role), "given twice")
            continue
        roles[key] = str(one_line_text(holder))
    return tuple(roles.items())


def load_night(path: Path) -> Night:
    """Read and check the night file at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NightError(f"{path}: no such night file") from None
    except IsADirectoryError:
        raise NightError(f"{path}: is a directory, not a night file") from None
    except UnicodeDecodeError:
        raise NightError(f"{path}: not UTF-8 text") from None
    except OSError as error:
        raise NightError(f"{path}: unreadable: {error.strerror}") from None
    return night_from_text(text, origin=str(path))
