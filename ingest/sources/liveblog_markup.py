"""How a liveblog's entries are marked up: the keys of its source, read and checked. Pure.

``docs/sources.md`` ("Liveblog markup") is the contract. Two shapes of entry:

- ``elements`` (the default): each element ``entry`` matches is an entry;
- ``siblings``: entries have no element of their own; inside each element ``container``
  matches, a child that ``time`` matches (a ``dt``, an ``h3``) starts an entry and the children
  after it that ``body`` matches (by default: every child that is no head) continue it, until
  the next head.

``time`` is a CSS selector, optionally followed by ``@`` and an attribute name
(``time = "span.t@title"``); ``@data-time`` alone names an attribute of the entry element itself
(of the head, in ``siblings`` mode). Without ``@``, the time is the element's ``datetime``
attribute if it has one, else its text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from ingest.sources.css_selectors import check_selector

__all__ = [
    "LIVEBLOG_MARKUP_KEYS",
    "EntryMode",
    "LiveblogMarkup",
    "LiveblogMarkupError",
    "TimeSpec",
    "read_liveblog_markup",
    "read_time_spec",
]

#: The keys of a ``[[source]]`` table this module reads.
LIVEBLOG_MARKUP_KEYS: Final = frozenset({"entry", "time", "body", "entry_mode", "container"})
# An HTML attribute name as soiree accepts it (lexbor lower-cases names it parses).
_ATTRIBUTE: Final = re.compile(r"[A-Za-z_:][A-Za-z0-9_.:-]{0,63}")


class LiveblogMarkupError(ValueError):
    """A markup key of a liveblog source holds a bad value."""


class EntryMode(StrEnum):
    """What an entry of the page is: one element, or a run of sibling elements."""

    ELEMENTS = "elements"
    SIBLINGS = "siblings"


@dataclass(frozen=True, slots=True)
class TimeSpec:
    """Where an entry's time is: ``selector`` (None: the entry, or head, itself) and
    ``attribute`` (None: its ``datetime`` attribute if it has one, else its text)."""

    selector: str | None
    attribute: str | None


@dataclass(frozen=True, slots=True)
class LiveblogMarkup:
    """The markup keys of one liveblog source, checked (strings as written)."""

    entry: str | None = None
    time: str | None = None
    body: str | None = None
    entry_mode: EntryMode = EntryMode.ELEMENTS
    container: str | None = None


def read_time_spec(value: str) -> TimeSpec:
    """``"time"``, ``"@data-time"``, ``"span.t@title"`` -> a :class:`TimeSpec`; ValueError
    for an empty attribute name, a bad one, or a bad selector.

    The ``@`` that names an attribute is the last one outside brackets and quotes, so a
    selector such as ``a[href*="@"]`` stays a selector.
    """
    at = value.rfind("@")
    if at < 0 or at < max(value.rfind("]"), value.rfind('"'), value.rfind("'")):
        return TimeSpec(check_selector(value), None)
    selector, attribute = value[:at].strip(), value[at + 1 :].strip()
    if not _ATTRIBUTE.fullmatch(attribute):
        raise ValueError(
            f"{value!r}: after '@' comes an attribute name (letters, digits, '-', '_', '.',"
            f" ':'), got {attribute!r}"
        )
    return TimeSpec(check_selector(selector) if selector else None, attribute.lower())


def _string(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise LiveblogMarkupError(f"{key} must be a string, got {type(value).__name__}")
    return value


def _selector(raw: Mapping[str, Any], key: str) -> str | None:
    value = _string(raw, key)
    if value is None:
        return None
    try:
        return check_selector(value)
    except ValueError as error:
        raise ValueError(f"{key}: {error}") from None


def read_liveblog_markup(raw: Mapping[str, Any]) -> LiveblogMarkup:
    """The markup keys of a ``[[source]]`` table, checked; ValueError saying what is wrong."""
    mode_raw = raw.get("entry_mode", EntryMode.ELEMENTS.value)
    try:
        mode = EntryMode(mode_raw)
    except ValueError:
        raise ValueError(f"entry_mode must be elements or siblings, got {mode_raw!r}") from None
    time = _string(raw, "time")
    if time is not None:
        try:
            read_time_spec(time)
        except ValueError as error:
            raise ValueError(f"time: {error}") from None
    markup = LiveblogMarkup(
        entry=_selector(raw, "entry"),
        time=time,
        body=_selector(raw, "body"),
        entry_mode=mode,
        container=_selector(raw, "container"),
    )
    if mode is EntryMode.SIBLINGS:
        return _checked_siblings(markup)
    if markup.container is not None:
        raise ValueError('container is for entry_mode = "siblings" only')
    if markup.entry is None and (markup.time or markup.body):
        raise ValueError("time and body selectors need an entry selector")
    return markup


def _checked_siblings(markup: LiveblogMarkup) -> LiveblogMarkup:
    if markup.entry is not None:
        raise ValueError(
            'entry_mode = "siblings" has no entry element: name the element holding the'
            " entries with container, and their heads with time"
        )
    if markup.container is None or markup.time is None:
        raise ValueError('entry_mode = "siblings" needs container and time')
    if read_time_spec(markup.time).selector is None:
        raise ValueError(
            'entry_mode = "siblings": time must select the head of each entry'
            ' ("dt", "h3", "dt@data-time"), not an attribute alone'
        )
    return markup
