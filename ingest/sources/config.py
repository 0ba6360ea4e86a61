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
source; a source may set its own. Each ``[[source]]`` table, and the errors that name the file
and the source, are :mod:`ingest.sources.source_config`'s. Pure apart from
:func:`load_ingest_config`, which reads the file and the night it names.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from ingest.model.night import Night, NightError
from ingest.model.night_file import load_night
from ingest.runtime.log_redaction import redact_url
from ingest.sources.source_config import (
    POLITENESS_KEYS,
    SourceConfig,
    SourceConfigError,
    read_politeness,
    read_source,
    whole_number,
)

__all__ = [
    "DEFAULT_MAX_PER_HOST",
    "IngestConfig",
    "ingest_config_from_mapping",
    "load_ingest_config",
    "read_config_file",
]

DEFAULT_MAX_PER_HOST: Final = 2
_TOP_KEYS: Final = frozenset({"night", "base_url", "max_per_host", *POLITENESS_KEYS, "source"})


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
    defaults = read_politeness(data, {}, origin=origin)
    max_per_host = whole_number(
        data.get("max_per_host", DEFAULT_MAX_PER_HOST), what=f"{origin}: max_per_host", minimum=1
    )
    raw_sources = data.get("source")
    if not isinstance(raw_sources, list) or not raw_sources:
        raise SourceConfigError(f"{origin}: no sources (add [[source]] tables)")
    sources: list[SourceConfig] = []
    for index, raw in enumerate(raw_sources):
        source = read_source(
            raw, index, file_origin=origin, base_url=checked_base, defaults=defaults
        )
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
