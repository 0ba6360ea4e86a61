"""Reading a fixture file strictly: its records, their fields, instants and seeds.

The readers :mod:`replay.fixture_files` builds each file's records with. Each raises a
:class:`~replay.night_fixture.FixtureError` naming the file, the record and the field
(``articles.json: articles[3] (guid '…'): round: must be 1 or 2``); :class:`SeedTexts` checks
that a text is found verbatim in the seed it names. Pure apart from reading those files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Final

from ingest.model.night import Night
from replay.night_fixture import WRITTEN, FixtureError

__all__ = [
    "SEED_NAME",
    "SeedTexts",
    "estimate_reason",
    "flag_field",
    "instant_field",
    "known_fields",
    "need",
    "read_document",
    "read_record",
    "round_field",
    "seed_field",
    "text_field",
]

#: Seed files are named "NNN_<16 hex digits>.txt"; the hex digits are an article's guid.
SEED_NAME: Final = re.compile(r"\d{3}_(?P<guid>[0-9a-f]{16})\.txt")


class SeedTexts:
    """The seed texts of a seeds directory, read once each."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._texts: dict[str, str] = {}

    def text(self, name: str, *, origin: str) -> str:
        if name not in self._texts:
            path = self._directory / name
            try:
                self._texts[name] = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise FixtureError(f"{origin}: cannot read seed {path}: {error}") from error
        return self._texts[name]

    def check(self, name: str, passage: str, *, origin: str, what: str) -> None:
        if name == WRITTEN:
            return  # no seed to check against: replay.fixtures checks these records
        if passage not in self.text(name, origin=origin):
            shown = passage if len(passage) <= 80 else passage[:77] + "..."
            raise FixtureError(f"{origin}: {what} not found verbatim in seed {name}: {shown!r}")


def read_document(path: Path, *, items: str) -> tuple[str, Mapping[str, object], list[object]]:
    """A fixture file's source name, its top-level object and its list of records."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise FixtureError(f"{path}: missing") from error
    except (OSError, UnicodeDecodeError) as error:
        raise FixtureError(f"{path}: unreadable: {error}") from error
    try:
        data = json.loads(raw)
    except ValueError as error:
        raise FixtureError(f"{path}: not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise FixtureError(f"{path}: expected a JSON object")
    source = text_field(data, "source", origin=str(path))
    records = data.get(items)
    if not isinstance(records, list) or not records:
        raise FixtureError(f"{path}: {items!r} must be a non-empty list")
    return source, data, records


def read_record(
    raw: object, *, where: str, index: int, id_field: str, fields: Sequence[str]
) -> tuple[Mapping[str, object], str]:
    """A record of a fixture file, and how errors name it: ``file: items[3] (key '2041')``."""
    origin = f"{where}[{index}]"
    if not isinstance(raw, dict):
        raise FixtureError(f"{origin}: expected a JSON object")
    if isinstance(raw.get(id_field), str):
        origin = f"{origin} ({id_field} {raw[id_field]!r})"
    known_fields(raw, fields=fields, origin=origin)
    return raw, origin


def known_fields(data: Mapping[str, object], *, fields: Sequence[str], origin: str) -> None:
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise FixtureError(f"{origin}: unknown fields {unknown}")


def need(data: Mapping[str, object], name: str, *, origin: str) -> object:
    if name not in data:
        raise FixtureError(f"{origin}: missing field {name!r}")
    return data[name]


def text_field(data: Mapping[str, object], name: str, *, origin: str, line: bool = False) -> str:
    value = need(data, name, origin=origin)
    if not isinstance(value, str) or not value.strip():
        raise FixtureError(f"{origin}: {name}: expected a non-empty string")
    if line and "\n" in value:
        raise FixtureError(f"{origin}: {name}: must be a single line")
    return value


def flag_field(
    data: Mapping[str, object], name: str, *, origin: str, default: bool | None = None
) -> bool:
    value = data.get(name, default) if default is not None else need(data, name, origin=origin)
    if not isinstance(value, bool):
        raise FixtureError(f"{origin}: {name}: expected true or false, got {value!r}")
    return value


def round_field(data: Mapping[str, object], *, origin: str) -> int:
    value = need(data, "round", origin=origin)
    if isinstance(value, bool) or value not in (1, 2):
        raise FixtureError(f"{origin}: round: must be 1 or 2, got {value!r}")
    assert isinstance(value, int)
    return value


def seed_field(data: Mapping[str, object], *, origin: str) -> str:
    name = text_field(data, "seed", origin=origin)
    if name != WRITTEN and not SEED_NAME.fullmatch(name):
        raise FixtureError(
            f"{origin}: seed: expected a seed file name like 004_<16 hex>.txt, or {WRITTEN!r}"
        )
    return name


def estimate_reason(
    data: Mapping[str, object], *, estimated: bool, flag: str, origin: str
) -> str | None:
    reason = data.get("estimate_reason")
    if reason is not None and (not isinstance(reason, str) or not reason.strip()):
        raise FixtureError(f"{origin}: estimate_reason: expected a non-empty string or null")
    if estimated and reason is None:
        raise FixtureError(f"{origin}: {flag} is true but no estimate_reason says why")
    if not estimated and reason is not None:
        raise FixtureError(f"{origin}: estimate_reason given but {flag} is false")
    return reason


def instant_field(data: Mapping[str, object], name: str, night: Night, *, origin: str) -> datetime:
    """An ISO 8601 instant with an offset, the offset the night's time zone has at that time."""
    value = need(data, name, origin=origin)
    if not isinstance(value, str):
        raise FixtureError(f"{origin}: {name}: expected an ISO 8601 string")
    try:
        instant = datetime.fromisoformat(value)
    except ValueError as error:
        raise FixtureError(f"{origin}: {name}: not an ISO 8601 timestamp: {value!r}") from error
    offset = instant.utcoffset()
    if offset is None:
        raise FixtureError(f"{origin}: {name}: no UTC offset in {value!r} (naive datetime)")
    local_offset = instant.astimezone(night.timezone).utcoffset()
    if local_offset != offset:
        raise FixtureError(
            f"{origin}: {name}: {value!r} carries offset {offset} but {night.timezone.key}"
            f" is at {local_offset} at that instant"
        )
    return instant
