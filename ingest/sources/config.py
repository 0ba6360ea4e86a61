"""The sources of ``soiree ingest``: a TOML file turned into typed, checked configuration.

``sources.toml`` (every key in ``docs/ingest.md``)::

    night = "night.toml"                 # the night's configuration, relative to this file
    base_url = "http://127.0.0.1:8750"   # relative source URLs are resolved against it
    max_per_host = 2                     # politeness defaults, each overridable per source
    [[source]]
    name = "liveblog"
    type = "liveblog"
    url = "/liveblog"
    interval = 5
    entry = "article.entry"
    time = "time"
    body = ".body"

Top-level politeness keys (``timeout``, ``connect_timeout``, ``total_timeout``, ``max_bytes``,
``max_redirects``, ``max_backoff``, ``parse_timeout``, ``user_agent``) are defaults for every
source; a source may set its own. Every error names the file and the source
(:class:`SourceConfigError`). Pure apart from :func:`load_ingest_config`, which reads the file
and the night it names.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final
from urllib.parse import urljoin, urlsplit

from ingest.model.errors import SoireeError
from ingest.model.night import Night, NightError
from ingest.model.night_file import load_night
from ingest.runtime.log_redaction import redact_url
from ingest.sources.css_selectors import check_selector
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
    "EntryMode",
    "IngestConfig",
    "LiveblogOrder",
    "Pagination",
    "SourceConfig",
    "SourceConfigError",
    "SourceType",
    "check_selector",
    "ingest_config_from_mapping",
    "load_ingest_config",
    "read_config_file",
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
DEFAULT_MAX_PER_HOST: Final = 2
# Intervals below this would hammer a source; tests use 0.05.
MIN_INTERVAL: Final = 0.01
MAX_NAME_LENGTH: Final = 64

_TOP_KEYS: Final = frozenset(
    {
        "night",
        "base_url",
        "max_per_host",
        "user_agent",
        "timeout",
        "connect_timeout",
        "total_timeout",
        "max_bytes",
        "max_redirects",
        "max_backoff",
        "parse_timeout",
        "source",
    }
)
_POLITENESS_KEYS: Final = (
    "timeout",
    "connect_timeout",
    "total_timeout",
    "max_bytes",
    "max_redirects",
    "max_backoff",
    "parse_timeout",
    "user_agent",
)
_COMMON_KEYS: Final = frozenset({"name", "type", "url", "interval", *_POLITENESS_KEYS})
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


@dataclass(frozen=True, slots=True)
class IngestConfig:
    """A whole sources file: the night, the sources, and the per-host concurrency cap."""

    path: Path | None
    night: Night | None
    base_url: str | None
    sources: tuple[SourceConfig, ...]
    max_per_host: int = DEFAULT_MAX_PER_HOST

    def source(self, name: str) -> SourceConfig:
        """The source called ``name`` (KeyError if none)."""
        for source in self.sources:
            if source.name == name:
                return source
        raise KeyError(name)


def _check_base_url(value: object, *, origin: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SourceConfigError(f"{origin}: base_url must be a non-empty string")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SourceConfigError(
            f"{origin}: base_url must be an absolute http:// or https:// URL,"
            f" got {redact_url(value)!r}"
        )
    return value.strip()


def _positive(value: object, *, what: str, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SourceConfigError(f"{what} must be a number of seconds, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or number <= 0 or number < minimum:
        floor = f" of at least {minimum:g}" if minimum else ""
        raise SourceConfigError(f"{what} must be a positive number{floor}, got {value!r}")
    return number


def _whole(value: object, *, what: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SourceConfigError(
            f"{what} must be a whole number of at least {minimum}, got {value!r}"
        )
    return value


def _politeness(
    data: Mapping[str, Any], defaults: Mapping[str, Any], *, origin: str
) -> dict[str, Any]:
    """The politeness keys of a source (or of the file's top level), checked."""
    merged = {**defaults, **{key: data[key] for key in _POLITENESS_KEYS if key in data}}
    checked: dict[str, Any] = {}
    for key in ("timeout", "connect_timeout", "total_timeout", "max_backoff", "parse_timeout"):
        if key in merged:
            checked[key] = _positive(merged[key], what=f"{origin}: {key}")
    if "max_bytes" in merged:
        checked["max_bytes"] = _whole(merged["max_bytes"], what=f"{origin}: max_bytes", minimum=1)
    if "max_redirects" in merged:
        checked["max_redirects"] = _whole(
            merged["max_redirects"], what=f"{origin}: max_redirects", minimum=0
        )
    if "user_agent" in merged:
        agent = merged["user_agent"]
        if not isinstance(agent, str) or not agent.strip() or "\n" in agent or "\r" in agent:
            raise SourceConfigError(f"{origin}: user_agent must be a one-line string")
        checked["user_agent"] = agent.strip()
    return checked


def _source(
    raw: object,
    index: int,
    *,
    file_origin: str,
    base_url: str | None,
    defaults: Mapping[str, Any],
) -> SourceConfig:
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
        **_politeness(raw, defaults, origin=origin),
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


def ingest_config_from_mapping(
    data: Mapping[str, Any],
    *,
    origin: str = "sources",
    night: Night | None = None,
    base_url: str | None = None,
    path: Path | None = None,
) -> IngestConfig:
    """Build the configuration from parsed TOML.

    ``base_url`` (from ``--base-url`` or ``$SOIREE_SOURCES_URL``) replaces the file's own.
    ``night`` is the night the file names, already loaded (the caller reads files).
    """
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise SourceConfigError(f"{origin}: unknown top-level keys {unknown}")
    base = base_url if base_url is not None else data.get("base_url")
    checked_base = None if base is None else _check_base_url(base, origin=origin)
    defaults = _politeness(data, {}, origin=origin)
    max_per_host = _whole(
        data.get("max_per_host", DEFAULT_MAX_PER_HOST), what=f"{origin}: max_per_host", minimum=1
    )
    raw_sources = data.get("source")
    if not isinstance(raw_sources, list) or not raw_sources:
        raise SourceConfigError(f"{origin}: no sources (add [[source]] tables)")
    sources: list[SourceConfig] = []
    for index, raw in enumerate(raw_sources):
        source = _source(raw, index, file_origin=origin, base_url=checked_base, defaults=defaults)
        if any(earlier.name == source.name for earlier in sources):
            raise SourceConfigError(f"{origin}: source {source.name!r}: duplicate name")
        sources.append(source)
    return IngestConfig(
        path=path,
        night=night,
        base_url=checked_base,
        sources=tuple(sources),
        max_per_host=max_per_host,
    )


def read_config_file(path: Path) -> dict[str, Any]:
    """The parsed TOML of a sources file, with errors naming it."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise SourceConfigError(f"{path}: no such sources file") from None
    except IsADirectoryError:
        raise SourceConfigError(f"{path}: is a directory, not a sources file") from None
    except tomllib.TOMLDecodeError as error:
        raise SourceConfigError(f"{path}: not valid TOML: {error}") from None
    except OSError as error:
        raise SourceConfigError(f"{path}: unreadable: {error.strerror}") from None


def load_ingest_config(path: Path, *, base_url: str | None = None) -> IngestConfig:
    """Read a sources file and the night it names (``night``, relative to the file).

    A sources file without ``night`` is an error: the night's date, time zone and candidates
    are what its texts are read with, and no night is a safe default.
    """
    data = read_config_file(path)
    night_ref = data.get("night")
    if night_ref is None:
        raise SourceConfigError(
            f"{path}: night: missing; name the night these sources report"
            ' (night = "night.toml", the night file\'s path relative to this file)'
        )
    if not isinstance(night_ref, str) or not night_ref.strip():
        raise SourceConfigError(f"{path}: night must be the path of a night.toml")
    try:
        night = load_night((path.parent / night_ref).expanduser().resolve())
    except NightError as error:
        raise SourceConfigError(f"{path}: night: {error}") from None
    return ingest_config_from_mapping(
        data, origin=str(path), night=night, base_url=base_url, path=path
    )
