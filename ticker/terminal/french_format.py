"""Numbers, percentages and times as a French newsroom writes them. Pure.

The ticker speaks French, like the night it shows and the web page: ``1 306 852`` votants,
``58,65 %``, ``+0,07``, ``1,7-2 M`` (with an en dash), ``20:41``. Thousands are grouped with a
plain space (not a no-break space: terminals and ``grep`` both handle it), decimals take a
comma.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Final

__all__ = [
    "ago_label",
    "change_label",
    "clock_label",
    "decimal",
    "delta_label",
    "group_thousands",
    "percent",
    "time_label",
    "voters_label",
]

_MILLION: Final = 1_000_000
_EN_DASH: Final = "\u2013"


def group_thousands(number: int) -> str:
    """``1306852`` -> ``"1 306 852"``."""
    sign = "-" if number < 0 else ""
    return sign + f"{abs(number):,}".replace(",", " ")


def decimal(value: float, *, places: int | None = None) -> str:
    """``58.65`` -> ``"58,65"``; ``60.0`` -> ``"60"``; ``places`` fixes the decimals."""
    if places is not None:
        text = f"{value:.{places}f}"
    else:
        text = f"{value:.2f}".rstrip("0").rstrip(".")
        if text in ("-0", ""):
            text = "0"
    whole, _, fraction = text.partition(".")
    negative = whole.startswith("-")
    grouped = group_thousands(int(whole.lstrip("-") or "0"))
    return ("-" if negative else "") + grouped + ("," + fraction if fraction else "")


def percent(value: float, *, places: int | None = None) -> str:
    """``58.65`` -> ``"58,65 %"``."""
    return f"{decimal(value, places=places)} %"


def delta_label(change: float) -> str:
    """A change of percentage points: ``"+0,07"``, ``"-0,07"``, ``"="`` when nothing moved."""
    rounded = round(change, 2)
    if rounded == 0:
        return "="
    return ("+" if rounded > 0 else "-") + decimal(abs(rounded), places=2)


def change_label(change_pct: float) -> str:
    """A relative change: ``"+30,7 %"``, ``"-4,2 %"``."""
    rounded = round(change_pct, 1)
    sign = "+" if rounded > 0 else "-" if rounded < 0 else "±"
    return f"{sign}{decimal(abs(rounded))} %"


def _millions(number: int) -> str:
    return decimal(round(number / _MILLION, 2))


def voters_label(
    voters: int | None = None, *, low: int | None = None, high: int | None = None
) -> str | None:
    """How many voted: exact (``"1 306 852"``), a range (``"1,7-2 M"``), or a bound.

    Ranges and bounds of a million or more are written in millions, as the sources say them
    ("entre 1,7 et 2 millions"); smaller ones in full. None when nothing is known.
    """
    if voters is not None:
        return group_thousands(voters)
    if low is not None and high is not None:
        if max(low, high) >= _MILLION:
            return f"{_millions(low)}{_EN_DASH}{_millions(high)} M"
        return f"{group_thousands(low)}{_EN_DASH}{group_thousands(high)}"
    if low is not None:
        shown = f"{_millions(low)} M" if low >= _MILLION else group_thousands(low)
        return f"plus de {shown}"
    if high is not None:
        shown = f"{_millions(high)} M" if high >= _MILLION else group_thousands(high)
        return f"moins de {shown}"
    return None


_WEEKDAYS: Final = ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim.")
#: Times of the next day before this hour still belong to the night.
_NIGHT_ENDS_HOUR: Final = 5


def time_label(instant: datetime, *, night_date: date | None) -> str:
    """``"20:41"`` for a time of the night; another day's carries its day (in ``instant``'s zone).

    The night runs late: the next day's times before 05:00 keep their plain time. The morning
    after reads ``"lun. 09:05"``, so that it never looks earlier than the night's ``23:30``;
    days further off read ``"dim. 22/01"``.
    """
    day = instant.date()
    if night_date is None or day == night_date:
        return instant.strftime("%H:%M")
    weekday = _WEEKDAYS[instant.weekday()]
    if day == night_date + timedelta(days=1):
        if instant.hour < _NIGHT_ENDS_HOUR:
            return instant.strftime("%H:%M")
        return f"{weekday} {instant:%H:%M}"
    return f"{weekday} {instant:%d/%m}"


def clock_label(instant: datetime) -> str:
    """``"20:41:07"``."""
    return instant.strftime("%H:%M:%S")


def ago_label(seconds: float) -> str:
    """How long ago: ``"il y a 4 s"``, ``"il y a 3 min"``, ``"il y a 2 h"``."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"il y a {int(seconds)} s"
    if seconds < 3600:
        return f"il y a {int(seconds // 60)} min"
    return f"il y a {int(seconds // 3600)} h"
