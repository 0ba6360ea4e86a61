"""A night's configuration: its date, round, time zone and candidates.

A night lives with its fixtures (``fixtures/<night>/night.toml``) and is what extraction
normalises candidate names against and what turns a liveblog's bare ``HHhMM`` into an instant.
This module is pure apart from :func:`load_night`, which reads one TOML file.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ingest.model.errors import SoireeError

__all__ = [
    "Candidate",
    "Night",
    "NightError",
    "fold",
    "load_night",
    "night_from_mapping",
    "role_key",
]


_ARTICLE = re.compile(r"^(?:(?:les|le|la)\s+|l['\u2019]\s*)")


def role_key(role: str) -> str:
    """A role as looked up: folded, spaces collapsed, its article dropped ("président sortant")."""
    return _ARTICLE.sub("", " ".join(fold(role).split()))


class NightError(SoireeError, ValueError):
    """A night's configuration is missing something or holds a bad value."""


def fold(text: str) -> str:
    """Casefold and strip accents: ``"Benoît"`` and ``"BENOIT"`` fold to the same string."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@dataclass(frozen=True, slots=True)
class Candidate:
    """A candidate: the full name used everywhere, and the other ways texts write it."""

    name: str
    aliases: tuple[str, ...] = ()

    @property
    def spellings(self) -> tuple[str, ...]:
        """Every way of writing the name, longest first (so "Manuel Valls" wins over "Valls")."""
        return tuple(sorted({self.name, *self.aliases}, key=len, reverse=True))


@dataclass(frozen=True, slots=True)
class Night:
    """One election night.

    ``early_hour``: liveblog times earlier than this hour belong to the next day (a night
    runs late: ``00h30`` on the night of the 29th is the 30th). ``roles``: who holds a role a
    text may name a speaker by (``"président sortant" -> "François Hollande"``), keys folded
    (:func:`fold`) and without their article; optional, empty by default.
    """

    slug: str
    title: str
    date: date
    round: int
    timezone: ZoneInfo
    candidates: tuple[Candidate, ...]
    stream: str
    early_hour: int = 5
    roles: tuple[tuple[str, str], ...] = ()

    def holder_of(self, role: str) -> str | None:
        """Who holds ``role`` ("le président réélu", "candidate du FN") on this night, or None."""
        wanted = role_key(role)
        holder = next((held_by for key, held_by in self.roles if key == wanted), None)
        if holder is None:
            return None
        return self.candidate_named(holder) or holder

    def candidate_named(self, written: str) -> str | None:
        """The full name of the candidate that ``written`` designates, or None."""
        wanted = fold(written).strip()
        for candidate in self.candidates:
            if any(fold(spelling) == wanted for spelling in candidate.spellings):
                return candidate.name
        return None

    def instant(self, clock: time, *, on: dt.date | None = None) -> datetime:
        """The aware instant of a local wall-clock time on the night.

        Without ``on``, a time before ``early_hour`` is taken on the day after the night.
        """
        day = on or self.date
        if on is None and clock.hour < self.early_hour:
            day = self.date + timedelta(days=1)
        return datetime.combine(day, clock, tzinfo=self.timezone)


def night_from_mapping(data: Mapping[str, Any], *, origin: str = "night") -> Night:
    """Build a night from parsed TOML, with a clear error naming the bad field."""

    def need(name: str) -> Any:
        if name not in data:
            raise NightError(f"{origin}: missing {name!r}")
        return data[name]

    try:
        night_date = date.fromisoformat(str(need("date")))
    except ValueError as error:
        raise NightError(f"{origin}: date must be YYYY-MM-DD") from error
    round_ = need("round")
    if round_ not in (1, 2):
        raise NightError(f"{origin}: round must be 1 or 2")
    try:
        zone = ZoneInfo(str(need("timezone")))
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise NightError(f"{origin}: unknown IANA time zone {data.get('timezone')!r}") from error
    raw_candidates = need("candidates")
    if not isinstance(raw_candidates, Sequence) or not raw_candidates:
        raise NightError(f"{origin}: candidates must be a non-empty list")
    candidates: list[Candidate] = []
    for index, raw in enumerate(raw_candidates):
        if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
            raise NightError(f"{origin}: candidates[{index}] needs a name")
        aliases = raw.get("aliases", [])
        if not isinstance(aliases, Sequence) or not all(isinstance(a, str) for a in aliases):
            raise NightError(f"{origin}: candidates[{index}].aliases must be a list of strings")
        candidates.append(Candidate(name=raw["name"], aliases=tuple(aliases)))
    early_hour = data.get("early_hour", 5)
    if not isinstance(early_hour, int) or not 0 <= early_hour <= 12:
        raise NightError(f"{origin}: early_hour must be an hour from 0 to 12")
    roles = _roles(data.get("roles", {}), origin=origin)
    slug = str(need("slug"))
    return Night(
        slug=slug,
        title=str(data.get("title", slug)),
        date=night_date,
        round=round_,
        timezone=zone,
        candidates=tuple(candidates),
        stream=str(data.get("stream", f"soiree:{slug}")),
        early_hour=early_hour,
        roles=roles,
    )


def _roles(raw: object, *, origin: str) -> tuple[tuple[str, str], ...]:
    """The optional ``[roles]`` table: role (as texts write it) -> who holds it tonight."""
    if not isinstance(raw, Mapping):
        raise NightError(f'{origin}: roles must be a table of role = "holder"')
    roles: dict[str, str] = {}
    for role, holder in raw.items():
        key = role_key(str(role))
        if not key or not isinstance(holder, str) or not holder.strip():
            raise NightError(f"{origin}: roles.{role!r} must name its holder as a non-empty string")
        if key in roles:
            raise NightError(f"{origin}: roles.{role!r} is given twice")
        roles[key] = holder.strip()
    return tuple(roles.items())


def load_night(path: Path) -> Night:
    """Read a night's ``night.toml``."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError as error:
        raise NightError(f"no night configuration at {path}") from error
    except tomllib.TOMLDecodeError as error:
        raise NightError(f"{path}: not valid TOML: {error}") from error
    return night_from_mapping(data, origin=str(path))
