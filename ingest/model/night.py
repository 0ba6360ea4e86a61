"""A night's configuration: its date, round, time zone and candidates.

A night is read from its night file (``night.toml``, :mod:`ingest.model.night_file`, documented
in ``docs/night.md``) and is what extraction normalises candidate names against and what turns a
liveblog's bare ``HHhMM`` into an instant. Pure.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from ingest.model.errors import SoireeError

__all__ = [
    "ELECTIONS",
    "PLACE_KINDS",
    "SEAT_RULES",
    "Candidate",
    "Night",
    "NightError",
    "Seats",
    "Subdivision",
    "fold",
    "role_key",
]

#: The kinds of election a night may report (``election`` of the night file).
ELECTIONS: Final = (
    "presidential",
    "legislative",
    "regional",
    "departmental",
    "municipal",
    "primary",
    "european",
)
#: The subdivisions of a night's territory that may have results of their own.
PLACE_KINDS: Final = ("commune", "canton", "constituency")
#: How seats are allocated: proportional with a majority bonus (municipal, regional), plain
#: proportional, or one seat (or a pair) per constituency won by majority (legislative,
#: departmental).
SEAT_RULES: Final = ("majority-bonus", "proportional", "majority")


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
    """A candidate or a list: the full name used everywhere, and the other ways texts write it.

    A list may have its ``head`` (the head of list, "Martine Aubry") and its party ``label``
    ("PS-PCF", "LR-UDI"): texts name a list by either, so both are spellings of it.
    ``colour`` is the colour the page and the ticker draw its bars in, a CSS hex ``#rrggbb``
    (lower case), if the night file gives one; never a spelling.
    """

    name: str
    aliases: tuple[str, ...] = ()
    head: str | None = None
    label: str | None = None
    colour: str | None = None

    @property
    def spellings(self) -> tuple[str, ...]:
        """Every way of writing the name, longest first (so "Manuel Valls" wins over "Valls")."""
        written = {self.name, *self.aliases}
        written |= {extra for extra in (self.head, self.label) if extra is not None}
        return tuple(sorted(written, key=len, reverse=True))


@dataclass(frozen=True, slots=True)
class Seats:
    """The seats at stake: how many, and the rule that allocates them (:data:`SEAT_RULES`)."""

    total: int
    rule: str


@dataclass(frozen=True, slots=True)
class Subdivision:
    """A part of the night's territory with results of its own: a commune, a canton or a
    constituency (:data:`PLACE_KINDS`), with its official code when it has one (INSEE code of
    a commune "86194", canton "8601", constituency "86-01")."""

    kind: str
    name: str
    code: str | None = None

    @property
    def scope(self) -> str:
        """The scope its figures carry: a commune's or a constituency's name as the night file
        writes it ("Poitiers", "1re circonscription de la Vienne"), a canton's with "canton de"
        ("canton de Poitiers-1", "canton d'Angers-2"), so a canton and its chief town differ."""
        if self.kind != "canton":
            return self.name
        elided = fold(self.name[:1]) in "aeiouyh"
        return f"canton d'{self.name}" if elided else f"canton de {self.name}"


@dataclass(frozen=True, slots=True)
class Night:
    """One election night.

    ``early_hour``: liveblog times earlier than this hour belong to the next day (a night
    runs late: ``00h30`` on the night of the 29th is the 30th). ``roles``: who holds a role a
    text may name a speaker by (``"président sortant" -> "François Hollande"``), keys folded
    (:func:`fold`) and without their article; optional, empty by default. ``election``: the
    kind of contest (:data:`ELECTIONS`); ``seats``: the seats at stake; ``places``: the
    communes, cantons and constituencies whose results texts give. ``polls_close``,
    ``polls_close_in``: :mod:`ingest.model.polls_close`.
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
    election: str | None = None
    seats: Seats | None = None
    places: tuple[Subdivision, ...] = ()
    #: When polls close (local time of day), and the territories where they close at another
    #: time (``docs/night.md``): the embargo on figures ends when the last ones close.
    polls_close: time | None = None
    polls_close_in: tuple[tuple[str, time], ...] = ()

    def holder_of(self, role: str) -> str | None:
        """Who holds ``role`` ("le président réélu", "candidate du FN") on this night, or None."""
        wanted = role_key(role)
        holder = next((held_by for key, held_by in self.roles if key == wanted), None)
        if holder is None:
            return None
        return self.person(self.candidate_named(holder) or holder)

    def person(self, name: str) -> str:
        """Who speaks for ``name``: a list's head of list, else the name itself (a quote is a
        person's: "a déclaré Alain Claeys" or "la tête de liste PS" is Alain Claeys, not his
        list)."""
        found = next((c for c in self.candidates if c.name == name), None)
        return found.head if found is not None and found.head is not None else name

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

    def far_from(self, instant: datetime) -> bool:
        """Whether ``instant`` is more than a day away from the night.

        The night runs from midnight of its date to ``early_hour`` the day after, in its zone.
        """
        start = datetime.combine(self.date, time(0), tzinfo=self.timezone)
        end = datetime.combine(
            self.date + timedelta(days=1), time(self.early_hour), tzinfo=self.timezone
        )
        return not start - timedelta(days=1) <= instant <= end + timedelta(days=1)
