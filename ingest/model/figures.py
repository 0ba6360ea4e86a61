"""An update's figures: the numbers its text states for one scope, and their JSON form. Pure.

:class:`Figures` is the ``figures`` object of ``docs/update.schema.json`` (and each item of
``more_figures``); :class:`Previous` its comparison point. Validation raises :class:`UpdateError`
naming the field. The update itself is :mod:`ingest.model.update`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ingest.model.errors import SoireeError
from ingest.model.text_cleaning import MAX_NAME_LENGTH, clean_text

__all__ = ["SCOPE_KINDS", "Figures", "Previous", "UpdateError", "parse_round", "short_string"]


class UpdateError(SoireeError, ValueError):
    """An update (or its JSON) does not satisfy the contract; the message says which field."""


def _number(value: object, *, field_name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UpdateError(f"{field_name}: expected a number, got {type(value).__name__}")
    try:
        number = float(value)
    except OverflowError:  # an integer of hundreds of digits, as JSON allows
        raise UpdateError(f"{field_name}: number out of range") from None
    if not math.isfinite(number):
        raise UpdateError(f"{field_name}: not a finite number")
    return number


def _percentage(value: object, *, field_name: str) -> float:
    number = _number(value, field_name=field_name)
    if not 0 <= number <= 100:
        raise UpdateError(f"{field_name}: a percentage must be within 0-100, got {number}")
    return number


def _count(value: object, *, field_name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise UpdateError(f"{field_name}: expected a whole number")
    if value < 0:
        raise UpdateError(f"{field_name}: must not be negative, got {value}")
    return value


def short_string(value: object, *, field_name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise UpdateError(f"{field_name}: expected a non-empty string")
    cleaned = clean_text(value, max_length=MAX_NAME_LENGTH)
    if "\n" in cleaned or not cleaned:
        raise UpdateError(f"{field_name}: must be a single line of text")
    return cleaned


def _counts_by_name(value: object, *, field_name: str) -> dict[str, int]:
    """``votes`` or ``seats``: candidate or list full name -> a whole number."""
    if not isinstance(value, Mapping):
        raise UpdateError(f"{field_name}: expected an object")
    return {
        short_string(name, field_name=f"{field_name} name"): _count(
            count, field_name=f"{field_name}[{name!r}]"
        )
        for name, count in value.items()
    }


def _compact_number(number: float) -> int | float:
    """58.0 -> 58 and 58.65 -> 58.65, so the JSON reads as the source wrote it."""
    return int(number) if float(number).is_integer() else number


@dataclass(frozen=True, slots=True)
class Previous:
    """The comparison point a turnout figure is given against ("contre 1 million ... sur 70%")."""

    voters: int | None = None
    stations_pct: float | None = None
    round: int | None = None
    #: The turnout rate compared with ("contre 70,59 % en 2012") and its year.
    rate_pct: float | None = None
    year: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON object, without absent fields."""
        data: dict[str, Any] = {}
        if self.voters is not None:
            data["voters"] = self.voters
        if self.stations_pct is not None:
            data["stations_pct"] = _compact_number(self.stations_pct)
        if self.round is not None:
            data["round"] = self.round
        if self.rate_pct is not None:
            data["rate_pct"] = _compact_number(self.rate_pct)
        if self.year is not None:
            data["year"] = self.year
        return data

    @classmethod
    def from_json(cls, data: object) -> Previous:
        """Parse and validate the JSON object."""
        if not isinstance(data, Mapping):
            raise UpdateError("figures.previous: expected an object")
        unknown = set(data) - {"voters", "stations_pct", "round", "rate_pct", "year"}
        if unknown:
            raise UpdateError(f"figures.previous: unknown fields {sorted(unknown)}")
        voters = data.get("voters")
        stations = data.get("stations_pct")
        round_ = data.get("round")
        rate = data.get("rate_pct")
        year = data.get("year")
        if year is not None and not 1900 <= _count(year, field_name="previous.year") <= 2100:
            raise UpdateError(f"figures.previous.year: expected a year, got {year!r}")
        return cls(
            rate_pct=None if rate is None else _percentage(rate, field_name="previous.rate_pct"),
            year=None if year is None else _count(year, field_name="previous.year"),
            voters=None if voters is None else _count(voters, field_name="previous.voters"),
            stations_pct=None
            if stations is None
            else _percentage(stations, field_name="previous.stations_pct"),
            round=None if round_ is None else parse_round(round_, field_name="previous.round"),
        )


def parse_round(value: object, *, field_name: str = "round") -> int:
    """A round number, 1 or 2; an integral float (``2.0``, as some JSON writers put it) too."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value not in (1, 2):
        raise UpdateError(f"{field_name}: must be 1 or 2, got {_shown(value)}")
    return int(value)


def _shown(value: object) -> str:
    """A value from a document, for an error message: scalars as written, containers by type."""
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:40] + "…")
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    return f"a JSON {type(value).__name__}"


#: Rates of the registered voters or of the votes cast: turnout, abstention, blank, null.
_RATE_FIELDS: Final = ("rate_pct", "abstention_pct", "blank_pct", "null_pct")
_PCT_FIELDS: Final = ("counted_pct", "stations_pct", "change_pct", *_RATE_FIELDS)
#: Schema 3: the totals a result states (inscrits, exprimés, blancs, nuls) and the seats at stake.
_TOTAL_FIELDS: Final = ("registered", "cast", "blank", "null", "seats_total")
#: What a scope below the département is (schema 3).
SCOPE_KINDS: Final = ("commune", "canton", "constituency")


@dataclass(frozen=True, slots=True)
class Figures:
    """Structured numbers stated by an update's text (``docs/design.md``, "The update").

    ``scope`` is ``"national"``, the official name of a French département, a région, a city
    with a result of its own (Paris, Lyon, Marseille) or ``Français de l'étranger``. Counts and
    estimates carry ``shares`` (candidate full name -> percentage) and ``counted_pct``; turnout
    carries ``voters`` (or ``voters_low`` / ``voters_high`` for a range), ``stations_pct``,
    ``rate_pct`` (the turnout rate, "69,42 %"), ``as_of`` ("17:00"), ``change_pct`` ("hausse de
    23%") and ``previous`` (its voters, stations share or rate, round or year).
    ``abstention_pct``, ``blank_pct`` and ``null_pct`` are the stated rates of abstention and of
    blank and null votes. ``stations`` is a number of polling stations ("65 bureaux").
    Schema 3: ``votes`` (name -> votes, "12 345 voix"), ``seats`` (name -> seats won, "35
    sièges") and ``seats_total`` ("sur 58"), the totals ``registered`` (inscrits), ``cast``
    (exprimés), ``blank`` and ``null`` (blancs, nuls; ``voters`` is the votants), and for a scope
    below the département its ``scope_kind`` (commune, canton, constituency) and official
    ``scope_code``. Any field may be absent.
    """

    scope: str = "national"
    shares: Mapping[str, float] = field(default_factory=dict)
    counted_pct: float | None = None
    voters: int | None = None
    voters_low: int | None = None
    voters_high: int | None = None
    stations: int | None = None
    stations_pct: float | None = None
    as_of: str | None = None
    change_pct: float | None = None
    previous: Previous | None = None
    rate_pct: float | None = None
    abstention_pct: float | None = None
    blank_pct: float | None = None
    null_pct: float | None = None
    scope_kind: str | None = None
    scope_code: str | None = None
    votes: Mapping[str, int] = field(default_factory=dict)
    seats: Mapping[str, int] = field(default_factory=dict)
    seats_total: int | None = None
    registered: int | None = None
    cast: int | None = None
    blank: int | None = None
    null: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON object, without absent fields, numbers as JSON numbers."""
        data: dict[str, Any] = {"scope": self.scope}
        if self.scope_kind is not None:
            data["scope_kind"] = self.scope_kind
        if self.scope_code is not None:
            data["scope_code"] = self.scope_code
        if self.shares:
            data["shares"] = {name: _compact_number(pct) for name, pct in self.shares.items()}
        if self.votes:
            data["votes"] = dict(self.votes)
        if self.seats:
            data["seats"] = dict(self.seats)
        for name in _TOTAL_FIELDS:
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        for name in _PCT_FIELDS:
            value = getattr(self, name)
            if value is not None:
                data[name] = _compact_number(value)
        for name in ("voters", "voters_low", "voters_high", "stations", "as_of"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        if self.previous is not None:
            data["previous"] = self.previous.to_json()
        return data

    @classmethod
    def from_json(cls, data: object) -> Figures:
        """Parse and validate the JSON object."""
        if not isinstance(data, Mapping):
            raise UpdateError("figures: expected an object")
        known = {
            "scope",
            "shares",
            "counted_pct",
            "voters",
            "voters_low",
            "voters_high",
            "stations",
            "stations_pct",
            "as_of",
            "change_pct",
            "previous",
            *_RATE_FIELDS,
            *_TOTAL_FIELDS,
            "scope_kind",
            "scope_code",
            "votes",
            "seats",
        }
        unknown = set(data) - known
        if unknown:
            raise UpdateError(f"figures: unknown fields {sorted(unknown)}")
        shares_raw = data.get("shares", {})
        if not isinstance(shares_raw, Mapping):
            raise UpdateError("figures.shares: expected an object")
        shares = {
            short_string(name, field_name="figures.shares name"): _percentage(
                pct, field_name=f"figures.shares[{name!r}]"
            )
            for name, pct in shares_raw.items()
        }
        votes = _counts_by_name(data.get("votes", {}), field_name="figures.votes")
        seats = _counts_by_name(data.get("seats", {}), field_name="figures.seats")
        scope_kind = data.get("scope_kind")
        if scope_kind is not None and scope_kind not in SCOPE_KINDS:
            raise UpdateError(
                f"figures.scope_kind: must be one of {', '.join(SCOPE_KINDS)},"
                f" got {_shown(scope_kind)}"
            )
        scope_code = data.get("scope_code")
        if scope_code is not None and (
            not isinstance(scope_code, str)
            or not re.fullmatch(r"[0-9A-Z][0-9A-Z-]{0,9}", scope_code)
        ):
            raise UpdateError(
                f"figures.scope_code: expected an official code, got {_shown(scope_code)}"
            )
        as_of = data.get("as_of")
        if as_of is not None and (
            not isinstance(as_of, str) or not re.fullmatch(r"[0-2]\d:[0-5]\d", as_of)
        ):
            raise UpdateError(f"figures.as_of: expected HH:MM, got {as_of!r}")
        change = data.get("change_pct")
        previous = data.get("previous")

        def optional_count(name: str) -> int | None:
            value = data.get(name)
            return None if value is None else _count(value, field_name=f"figures.{name}")

        def optional_pct(name: str) -> float | None:
            value = data.get(name)
            return None if value is None else _percentage(value, field_name=f"figures.{name}")

        figures = cls(
            scope=short_string(data.get("scope", "national"), field_name="figures.scope"),
            shares=shares,
            counted_pct=optional_pct("counted_pct"),
            voters=optional_count("voters"),
            voters_low=optional_count("voters_low"),
            voters_high=optional_count("voters_high"),
            stations=optional_count("stations"),
            stations_pct=optional_pct("stations_pct"),
            as_of=as_of,
            change_pct=None if change is None else _number(change, field_name="change_pct"),
            previous=None if previous is None else Previous.from_json(previous),
            rate_pct=optional_pct("rate_pct"),
            abstention_pct=optional_pct("abstention_pct"),
            blank_pct=optional_pct("blank_pct"),
            null_pct=optional_pct("null_pct"),
            scope_kind=scope_kind,
            scope_code=scope_code,
            votes=votes,
            seats=seats,
            seats_total=optional_count("seats_total"),
            registered=optional_count("registered"),
            cast=optional_count("cast"),
            blank=optional_count("blank"),
            null=optional_count("null"),
        )
        if (
            figures.voters_low is not None
            and figures.voters_high is not None
            and figures.voters_low > figures.voters_high
        ):
            raise UpdateError("figures: voters_low is above voters_high")
        return figures
