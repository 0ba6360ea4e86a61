"""One source of ``sources.toml``: its :class:`SourceConfig`, and the checks of its table.

A ``[[source]]`` table names what to poll (``name``, ``type``, ``url``, ``interval``), how
politely (``timeout``, ``connect_timeout``, ``total_timeout``, ``max_bytes``,
``max_redirects``, ``max_backoff``, ``parse_timeout``, ``user_agent``: each a default of the
file's top level that a source may set for itself) and, for a liveblog, how to read it
(:mod:`ingest.sources.liveblog_markup`, :mod:`ingest.sources.pagination`, ``order``). Every
key is checked; every error names the file and the source (:class:`SourceConfigError`).
The whole file, and the night it names, are read by :mod:`ingest.sources.config`. Pure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final
from urllib.parse import urljoin, urlsplit

from ingest.model.errors import SoireeError
from ingest.runtime.log_redaction import redact_url
from ingest.sources.liveblog_markup import (
    LIVEBLOG_MARKUP_KEYS,
    EntryMode,
    read_liveblog_markup,
)
from ingest.sources.pagination import (
    PAGINATION_KEYS,
    Pagination,
    PaginationError,
    read_pagination,
)

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_PARSE_TIMEOUT",
    "DEFAULT_USER_AGENT",
    "POLITENESS_KEYS",
    "LiveblogOrder",
    "SourceConfig",
    "SourceConfigError",
    "SourceType",
    "read_politeness",
    "read_source",
    "whole_number",
]


class SourceConfigError(SoireeError, ValueError):
    """The sources file is unreadable or holds a bad value; the message names file and source."""


class SourceType(StrEnum):
    """What a source serves, and so which parser reads it."""

    LIVEBLOG = "liveblog"
    FEED = "feed"
    RESULTS = "results"


class LiveblogOrder(StrEnum):
    """The order of a liveblog's entries on its page (``auto``: decided from their times)."""

    AUTO = "auto"
    NEWEST_FIRST = "newest-first"
    OLDEST_FIRST = "oldest-first"


DEFAULT_USER_AGENT: Final = "soiree/0.1 (election-night liveblog ingester)"
DEFAULT_MAX_BYTES: Final = 5 * 1024 * 1024
DEFAULT_TIMEOUT: Final = 10.0
DEFAULT_CONNECT_TIMEOUT: Final = 5.0
DEFAULT_TOTAL_TIMEOUT: Final = 30.0
DEFAULT_MAX_REDIRECTS: Final = 5
DEFAULT_MAX_BACKOFF: Final = 300.0
#: Seconds a document may take to parse (in a worker process) before the poll gives up.
DEFAULT_PARSE_TIMEOUT: Final = 10.0
# Intervals below this would hammer a source; tests use 0.05.
MIN_INTERVAL: Final = 0.01
MAX_NAME_LENGTH: Final = 64

#: The keys of a source that the file's top level may set for every source.
POLITENESS_KEYS: Final = (
    "timeout",
    "connect_timeout",
    "total_timeout",
    "max_bytes",
    "max_redirects",
    "max_backoff",
    "parse_timeout",
    "user_agent",
)
_COMMON_KEYS: Final = frozenset({"name", "type", "url", "interval", *POLITENESS_KEYS})
_TYPE_KEYS: Final[Mapping[SourceType, frozenset[str]]] = {
    SourceType.LIVEBLOG: frozenset({"order", *LIVEBLOG_MARKUP_KEYS, *PAGINATION_KEYS}),
    SourceType.FEED: frozenset(),
    SourceType.RESULTS: frozenset(),
}


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """One source: what to poll, how often, how politely, and (liveblogs) how to read it.

    ``url`` is absolute (resolved against the file's ``base_url``). For a liveblog, ``entry``
    / ``body`` / ``container`` are CSS selectors and ``time`` a selector with an optional
    ``@attribute`` (:mod:`ingest.sources.liveblog_markup`); ``entry=None`` (in ``elements``
    mode) is the default format (paragraphs starting with ``HHhMM:``), ``time=None`` cuts the
    time from the start of the entry's text and ``body=None`` takes the entry's whole text.
    """

    name: str
    type: SourceType
    url: str
    interval: float
    entry: str | None = None
    time: str | None = None
    body: str | None = None
    #: ``siblings``: entries are runs of children of ``container``, each from a ``time`` head.
    entry_mode: EntryMode = EntryMode.ELEMENTS
    container: str | None = None
    order: LiveblogOrder = LiveblogOrder.AUTO
    #: How to reach older entries (liveblogs only; None: the page alone).
    pagination: Pagination | None = None
    timeout: float = DEFAULT_TIMEOUT
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    total_timeout: float = DEFAULT_TOTAL_TIMEOUT
    max_bytes: int = DEFAULT_MAX_BYTES
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    max_backoff: float = DEFAULT_MAX_BACKOFF
    parse_timeout: float = DEFAULT_PARSE_TIMEOUT
    user_agent: str = DEFAULT_USER_AGENT


def _positive(value: object, *, what: str, minimum: float = 0.0) -> float:
    """``value`` as a positive, finite number of seconds (at least ``minimum``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SourceConfigError(f"{what} must be a number of seconds, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number <= 0 or number < minimum:
        floor = f" of at least {minimum:g}" if minimum else ""
        raise SourceConfigError(f"{what} must be a positive number{floor}, got {value!r}")
    return number


def whole_number(value: object, *, what: str, minimum: int) -> int:
    """``value`` as a whole number of at least ``minimum`` (a bool is not one)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SourceConfigError(
            f"{what} must be a whole number of at least {minimum}, got {value!r}"
        )
    return value


def read_politeness(
    data: Mapping[str, Any], defaults: Mapping[str, Any], *, origin: str
) -> dict[str, Any]:
    """The politeness keys of a source (or of the file's top level), checked."""
    merged = {**defaults, **{key: data[key] for key in POLITENESS_KEYS if key in data}}
    checked: dict[str, Any] = {}
    for key in ("timeout", "connect_timeout", "total_timeout", "max_backoff", "parse_timeout"):
        if key in merged:
            checked[key] = _positive(merged[key], what=f"{origin}: {key}")
    if "max_bytes" in merged:
        checked["max_bytes"] = whole_number(
            merged["max_bytes"], what=f"{origin}: max_bytes", minimum=1
        )
    if "max_redirects" in merged:
        checked["max_redirects"] = whole_number(
            merged["max_redirects"], what=f"{origin}: max_redirects", minimum=0
        )
    if "user_agent" in merged:
        agent = merged["user_agent"]
        if not isinstance(agent, str) or not agent.strip() or "\n" in agent or "\r" in agent:
            raise SourceConfigError(f"{origin}: user_agent must be a one-line string")
        checked["user_agent"] = agent.strip()
    return checked


def read_source(
    raw: object,
    index: int,
    *,
    file_origin: str,
    base_url: str | None,
    defaults: Mapping[str, Any],
) -> SourceConfig:
    """The ``index``-th (0-based) ``[[source]]`` table, checked; ``defaults`` are the file's
    politeness keys (:func:`read_politeness`), ``base_url`` the base of a relative ``url``."""
    origin = f"{file_origin}: source #{index + 1}"
    if not isinstance(raw, Mapping):
        raise SourceConfigError(f"{origin}: expected a [[source]] table")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise SourceConfigError(f"{origin}: missing name (a non-empty string)")
    name = name.strip()
    origin = f"{file_origin}: source {name!r}"
    if len(name) > MAX_NAME_LENGTH or any(char in name for char in " \t\r\n:{}"):
        raise SourceConfigError(
            f"{origin}: a name is at most {MAX_NAME_LENGTH} characters without spaces, colons"
            " or braces (it is part of every uid and Redis key of the source)"
        )
    type_raw = raw.get("type")
    if type_raw is None:
        raise SourceConfigError(f"{origin}: missing type (liveblog, feed or results)")
    try:
        source_type = SourceType(type_raw)
    except ValueError:
        raise SourceConfigError(
            f"{origin}: unknown type {type_raw!r} (expected liveblog, feed or results)"
        ) from None
    unknown = sorted(set(raw) - _COMMON_KEYS - _TYPE_KEYS[source_type])
    if unknown:
        raise SourceConfigError(f"{origin}: unknown keys for a {source_type} source: {unknown}")
    url_raw = raw.get("url")
    if not isinstance(url_raw, str) or not url_raw.strip():
        raise SourceConfigError(f"{origin}: missing url")
    url = _absolute_url(url_raw.strip(), base_url, origin=origin)
    if "interval" not in raw:
        raise SourceConfigError(f"{origin}: missing interval (seconds between polls)")
    interval = _positive(raw["interval"], what=f"{origin}: interval", minimum=MIN_INTERVAL)
    try:
        markup = read_liveblog_markup(raw)
    except ValueError as error:
        raise SourceConfigError(f"{origin}: {error}") from None
    try:
        order = LiveblogOrder(raw.get("order", "auto"))
    except ValueError:
        raise SourceConfigError(
            f"{origin}: order must be auto, newest-first or oldest-first"
        ) from None
    return SourceConfig(
        name=name,
        type=source_type,
        url=url,
        interval=interval,
        entry=markup.entry,
        time=markup.time,
        body=markup.body,
        entry_mode=markup.entry_mode,
        container=markup.container,
        order=order,
        pagination=_pagination(raw, url=url, base_url=base_url, origin=origin),
        **read_politeness(raw, defaults, origin=origin),
    )


def _pagination(
    raw: Mapping[str, Any], *, url: str, base_url: str | None, origin: str
) -> Pagination | None:
    try:
        return read_pagination(raw, url=url, base_url=base_url)
    except PaginationError as error:
        raise SourceConfigError(f"{origin}: {error}") from None


def _absolute_url(url: str, base_url: str | None, *, origin: str) -> str:
    parts = urlsplit(url)
    if parts.scheme:
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SourceConfigError(
                f"{origin}: url must be http:// or https://, got {redact_url(url)!r}"
            )
        return url
    if base_url is None:
        raise SourceConfigError(
            f"{origin}: url {redact_url(url)!r} is relative but no base_url is set (in the file,"
            " --base-url or $SOIREE_SOURCES_URL)"
        )
    return urljoin(base_url if base_url.endswith("/") else base_url + "/", url.lstrip("/"))
