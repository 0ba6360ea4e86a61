"""Finding a night: the nights directory, the nights in it, and one night by name.

Every command needs the night (its stream, time zone, candidates) and some need its directory
(``sources.toml``, the replay's fixtures). A nights directory holds one directory per night, each
with a ``night.toml`` (:mod:`ingest.model.night`); it may also be one night's own directory. The
default is ``$SOIREE_FIXTURES``, else the nights bundled with soiree as package data of
:mod:`ingest` (``ingest/nights/``, read through :mod:`importlib.resources`). Reads files, nothing
else.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Final

from ingest.model.night import Night, NightError, load_night
from ingest.model.settings import settings

__all__ = [
    "BUNDLED_NIGHTS",
    "FIXTURES_ENV",
    "NIGHT_FILE",
    "SOURCES_FILE",
    "default_nights_dir",
    "find_night",
    "find_night_dir",
    "list_nights",
]

NIGHT_FILE: Final = "night.toml"
SOURCES_FILE: Final = "sources.toml"
FIXTURES_ENV: Final = "SOIREE_FIXTURES"
#: The nights shipped with soiree: package data of :mod:`ingest`, ``ingest/nights/<slug>/`` (in a
#: checkout, a link to the top-level ``fixtures/``, which the wheel copies there).
BUNDLED_NIGHTS: Final = "nights"


def default_nights_dir() -> Path:
    """The nights directory: ``$SOIREE_FIXTURES`` if set, else the bundled nights."""
    configured = settings().fixtures
    if configured is not None:
        if not configured.is_dir():
            raise NightError(f"{FIXTURES_ENV}={configured}: no such directory")
        return configured
    bundled = resources.files("ingest").joinpath(BUNDLED_NIGHTS)
    if isinstance(bundled, Path) and bundled.is_dir():
        return bundled
    raise NightError(
        f"no bundled nights in this install ({bundled}); set {FIXTURES_ENV} or pass --fixtures"
    )


def list_nights(nights_dir: Path) -> list[Path]:
    """The night directories (those holding a ``night.toml``) of ``nights_dir``, by name."""
    if (nights_dir / NIGHT_FILE).is_file():
        return [nights_dir]
    if not nights_dir.is_dir():
        raise NightError(f"{nights_dir}: no such fixtures directory")
    return sorted(child for child in nights_dir.iterdir() if (child / NIGHT_FILE).is_file())


def find_night_dir(name: str | None = None, *, nights_dir: Path | None = None) -> Path:
    """The directory of the night called ``name`` (without: the only night, or the first)."""
    base = nights_dir if nights_dir is not None else default_nights_dir()
    nights = list_nights(base)
    if not nights:
        raise NightError(f"{base}: no night here (no */{NIGHT_FILE})")
    if name is None:
        return nights[0]
    for directory in nights:
        if directory.name == name:
            return directory
    known = ", ".join(directory.name for directory in nights)
    raise NightError(f"{base}: no night {name!r} (nights: {known})")


def find_night(name: str | None = None, *, nights_dir: Path | None = None) -> Night:
    """The configuration of the night called ``name`` (see :func:`find_night_dir`)."""
    return load_night(find_night_dir(name, nights_dir=nights_dir) / NIGHT_FILE)
