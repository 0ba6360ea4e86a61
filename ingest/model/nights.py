"""Finding a night: the nights directory, the nights in it, and one night by slug or path.

Every command needs the night (its stream, time zone, candidates) and some need its directory
(``sources.toml``, the replay's fixtures). ``--night`` is either a path (a night file, or the
folder holding its ``night.toml``) or the slug of a night of the nights directory. A value with a
``/``, ending in ``.toml``, or ``.``/``..``, is a path; any other is a slug, and a path only when
no night of the nights directory has that name. A nights directory holds one directory per night,
each with a ``night.toml`` (:mod:`ingest.model.night_file`); it may also be one night's own
directory. The
default is ``$SOIREE_FIXTURES``, else the nights bundled with soiree as package data of
:mod:`ingest` (``ingest/nights/``, read through :mod:`importlib.resources`). Reads files, nothing
else.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Final

from ingest.model.night import Night, NightError
from ingest.model.night_file import load_night
from ingest.model.settings import settings

__all__ = [
    "BUNDLED_NIGHTS",
    "FIXTURES_ENV",
    "NIGHT_FILE",
    "SOURCES_FILE",
    "default_nights_dir",
    "find_night",
    "find_night_dir",
    "find_night_file",
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


def _looks_like_path(name: str) -> bool:
    return "/" in name or "\\" in name or name.endswith(".toml") or name in (".", "..")


def _night_file_at(path: Path) -> Path:
    """The night file ``path`` designates: itself, or the ``night.toml`` of a folder."""
    path = path.expanduser()
    if path.is_dir():
        if not (path / NIGHT_FILE).is_file():
            raise NightError(f"{path}: no {NIGHT_FILE} in this folder")
        return path / NIGHT_FILE
    if not path.is_file():
        raise NightError(f"{path}: no such night file or folder")
    return path


def find_night_file(name: str | None = None, *, nights_dir: Path | None = None) -> Path:
    """The night file ``name`` designates: a path, or a night of ``nights_dir`` by slug.

    Without ``name``: the only night of the nights directory, or the first by name.
    """
    if name is not None and _looks_like_path(name):
        return _night_file_at(Path(name))
    base = nights_dir if nights_dir is not None else default_nights_dir()
    nights = list_nights(base)
    if name is None:
        if not nights:
            raise NightError(f"{base}: no night here (no */{NIGHT_FILE})")
        return nights[0] / NIGHT_FILE
    for directory in nights:
        if directory.name == name:
            return directory / NIGHT_FILE
    if Path(name).exists():
        return _night_file_at(Path(name))
    known = ", ".join(directory.name for directory in nights) or "none"
    raise NightError(
        f"{base}: no night {name!r} (nights: {known}); --night also takes a night file's path"
    )


def find_night_dir(name: str | None = None, *, nights_dir: Path | None = None) -> Path:
    """The folder of the night ``name`` designates (see :func:`find_night_file`)."""
    return find_night_file(name, nights_dir=nights_dir).parent


def find_night(name: str | None = None, *, nights_dir: Path | None = None) -> Night:
    """The night ``name`` designates (see :func:`find_night_file`), read and checked."""
    return load_night(find_night_file(name, nights_dir=nights_dir))
