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
from zoneinfo import ZoneInfo

from ingest.model.errors import SoireeError

__all__ = ["Candidate", "Night", "NightError", "fold", "role_key"]


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
    (:func:`fold`) and without their article; optional, empty by default. ``polls_close``,
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

    def far_from(self, instant: datetime) -> bool:
        """Whether ``instant`` is more than a day away from the night.

        The night runs from midnight of its date to ``early_hour`` the day after, in its zone.
        """
        start = datetime.combine(self.date, time(0), tzinfo=self.timezone)
        end = datetime.combine(
            self.date + timedelta(days=1), time(self.early_hour), tzinfo=self.timezone
        )
        return not start - timedelta(days=1) <= instant <= end + timedelta(days=1)
