"""The three fixture files of a night, each read and validated: liveblog, articles, checkpoints.

``liveblog.json`` (entries oldest first, keys ``HHMM``, ``HHMM-2``... and one ``intro``),
``articles.json`` (guids from their seeds' names, sorted by publication) and
``checkpoints.json`` (turnout and count figures, sorted by publication), read with the strict
readers of :mod:`replay.fixture_fields`; with seeds, every text is checked against its seed.
:func:`replay.fixtures.load_fixture_night` reads the three.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import time
from pathlib import Path
from typing import Final

from ingest.model.night import Night
from ingest.model.update import Figures, Kind, UpdateError
from replay.fixture_fields import (
    SEED_NAME,
    SeedTexts,
    estimate_reason,
    flag_field,
    instant_field,
    known_fields,
    need,
    read_document,
    read_record,
    round_field,
    seed_field,
    text_field,
)
from replay.night_fixture import (
    CHECKPOINT_KINDS,
    INTRO_KEY,
    WRITTEN,
    Article,
    Checkpoint,
    FixtureError,
    LiveblogEntry,
)

__all__ = ["load_articles", "load_checkpoints", "load_liveblog"]

# The guid of a written article: 16 hex digits, like a seed's.
_WRITTEN_GUID: Final = re.compile(r"[0-9a-f]{16}")
# A liveblog time as written: "20h41", "12H05", or "21:16" (the intro's header).
_TIME_WRITTEN: Final = re.compile(r"(?P<hour>[01]\d|2[0-3])[hH:](?P<minute>[0-5]\d)")
_ENTRY_KEY: Final = re.compile(r"(?P<base>\d{4})(?:-(?P<n>[2-9]|[1-9]\d+))?")
_CHECKPOINT_ID: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Rounding in a source may make stated shares add up to a little over 100.
_SHARES_TOLERANCE: Final = 0.1


# -- liveblog.json --------------------------------------------------------------------------------

_ENTRY_FIELDS: Final = ("key", "time", "at", "text", "seed", "intro")


def load_liveblog(
    path: Path, night: Night, seeds: SeedTexts | None
) -> tuple[str, tuple[LiveblogEntry, ...]]:
    source, data, records = read_document(path, items="entries")
    known_fields(data, fields=("source", "seed", "entries"), origin=str(path))
    page_seed = seed_field(data, origin=str(path))
    entries: list[LiveblogEntry] = []
    per_minute: dict[str, int] = {}
    for index, raw in enumerate(records):
        record, origin = read_record(
            raw, where=f"{path}: entries", index=index, id_field="key", fields=_ENTRY_FIELDS
        )
        entry = _entry(record, night, origin=origin)
        if entry.seed != page_seed:
            raise FixtureError(f"{origin}: seed {entry.seed} is not the page's seed {page_seed}")
        if entry.intro:
            if any(earlier.intro for earlier in entries):
                raise FixtureError(f"{origin}: a second intro (only one is allowed)")
        else:
            base = entry.key.partition("-")[0]
            per_minute[base] = per_minute.get(base, 0) + 1
            expected = base if per_minute[base] == 1 else f"{base}-{per_minute[base]}"
            if entry.key != expected:
                raise FixtureError(
                    f"{origin}: key should be {expected!r}: entry number {per_minute[base]} at"
                    f" {entry.time_written}, counting from the oldest"
                )
        if entries and entry.at < entries[-1].at:
            raise FixtureError(
                f"{origin}: at {entry.at.isoformat()} is before the previous entry's;"
                " entries go oldest first"
            )
        if seeds is not None:
            passages = entry.text.split("\n\n") if entry.intro else [entry.text]
            for passage in passages:
                seeds.check(entry.seed, passage, origin=origin, what="text")
        entries.append(entry)
    return source, tuple(entries)


def _entry(record: Mapping[str, object], night: Night, *, origin: str) -> LiveblogEntry:
    key = text_field(record, "key", origin=origin)
    written = text_field(record, "time", origin=origin)
    intro = flag_field(record, "intro", origin=origin, default=False)
    match = _TIME_WRITTEN.fullmatch(written)
    if match is None:
        raise FixtureError(f"{origin}: time: expected HHhMM (or HH:MM), got {written!r}")
    clock = time(int(match["hour"]), int(match["minute"]))
    at = instant_field(record, "at", night, origin=origin)
    expected_at = night.instant(clock)
    if at != expected_at or at.utcoffset() != expected_at.utcoffset():
        raise FixtureError(
            f"{origin}: at {at.isoformat()} does not match its time {written!r}"
            f" on the night ({expected_at.isoformat()})"
        )
    if intro != (key == INTRO_KEY):
        raise FixtureError(f'{origin}: the key {INTRO_KEY!r} goes with "intro": true, and only it')
    if not intro:
        key_match = _ENTRY_KEY.fullmatch(key)
        if key_match is None or key_match["base"] != f"{clock:%H%M}":
            raise FixtureError(f"{origin}: key must be {clock:%H%M} (or {clock:%H%M}-2, ...)")
    return LiveblogEntry(
        key=key,
        time_written=written,
        at=at,
        text=text_field(record, "text", origin=origin),
        seed=seed_field(record, origin=origin),
        intro=intro,
    )


# -- articles.json --------------------------------------------------------------------------------

_ARTICLE_FIELDS: Final = (
    "guid",
    "seed",
    "title",
    "published",
    "published_estimated",
    "estimate_reason",
    "round",
    "text",
)


def load_articles(
    path: Path, night: Night, seeds: SeedTexts | None
) -> tuple[str, tuple[Article, ...]]:
    source, data, records = read_document(path, items="articles")
    known_fields(data, fields=("source", "articles"), origin=str(path))
    articles: list[Article] = []
    for index, raw in enumerate(records):
        record, origin = read_record(
            raw, where=f"{path}: articles", index=index, id_field="guid", fields=_ARTICLE_FIELDS
        )
        article = _article(record, night, origin=origin)
        if any(earlier.guid == article.guid for earlier in articles):
            raise FixtureError(f"{origin}: guid {article.guid!r} appears twice")
        if seeds is not None:
            if article.title is not None:
                seeds.check(article.seed, article.title, origin=origin, what="title")
            for number, paragraph in enumerate(article.text.split("\n\n")):
                seeds.check(article.seed, paragraph, origin=origin, what=f"paragraph {number}")
        articles.append(article)
    return source, tuple(sorted(articles, key=lambda article: article.published))


def _article(record: Mapping[str, object], night: Night, *, origin: str) -> Article:
    guid = text_field(record, "guid", origin=origin)
    seed = seed_field(record, origin=origin)
    if seed == WRITTEN:
        if not _WRITTEN_GUID.fullmatch(guid):
            raise FixtureError(f"{origin}: guid of a written article: expected 16 hex digits")
    else:
        seed_match = SEED_NAME.fullmatch(seed)
        if seed_match is None or seed_match["guid"] != guid:
            raise FixtureError(f"{origin}: guid must be the hex id of its seed's name ({seed})")
    title = record.get("title")
    if title is not None and (not isinstance(title, str) or not title.strip()):
        raise FixtureError(f"{origin}: title: expected a non-empty string or null")
    estimated = flag_field(record, "published_estimated", origin=origin)
    return Article(
        guid=guid,
        seed=seed,
        title=title,
        published=instant_field(record, "published", night, origin=origin),
        published_estimated=estimated,
        estimate_reason=estimate_reason(
            record, estimated=estimated, flag="published_estimated", origin=origin
        ),
        round=round_field(record, origin=origin),
        text=text_field(record, "text", origin=origin),
    )


# -- checkpoints.json -----------------------------------------------------------------------------

_CHECKPOINT_FIELDS: Final = (
    "id",
    "at",
    "at_estimated",
    "published",
    "kind",
    "round",
    "figures",
    "text",
    "seed",
    "quote",
    "estimate_reason",
)


def load_checkpoints(
    path: Path, night: Night, seeds: SeedTexts | None
) -> tuple[str, tuple[Checkpoint, ...]]:
    source, data, records = read_document(path, items="checkpoints")
    known_fields(data, fields=("source", "checkpoints"), origin=str(path))
    checkpoints: list[Checkpoint] = []
    for index, raw in enumerate(records):
        record, origin = read_record(
            raw, where=f"{path}: checkpoints", index=index, id_field="id", fields=_CHECKPOINT_FIELDS
        )
        checkpoint = _checkpoint(record, night, origin=origin)
        if any(earlier.id == checkpoint.id for earlier in checkpoints):
            raise FixtureError(f"{origin}: id {checkpoint.id!r} appears twice")
        if seeds is not None:
            seeds.check(checkpoint.seed, checkpoint.quote, origin=origin, what="quote")
        checkpoints.append(checkpoint)
    return source, tuple(sorted(checkpoints, key=lambda checkpoint: checkpoint.published))


def _checkpoint(record: Mapping[str, object], night: Night, *, origin: str) -> Checkpoint:
    id_ = text_field(record, "id", origin=origin)
    if not _CHECKPOINT_ID.fullmatch(id_):
        raise FixtureError(f"{origin}: id: expected lowercase words joined by '-', got {id_!r}")
    kind_raw = need(record, "kind", origin=origin)
    if not isinstance(kind_raw, str) or kind_raw not in CHECKPOINT_KINDS:
        allowed = " or ".join(kind.value for kind in CHECKPOINT_KINDS)
        raise FixtureError(f"{origin}: kind: must be {allowed}, got {kind_raw!r}")
    kind = Kind(kind_raw)
    at = instant_field(record, "at", night, origin=origin)
    published = instant_field(record, "published", night, origin=origin)
    if published < at:
        raise FixtureError(f"{origin}: published {published.isoformat()} is before at")
    estimated = flag_field(record, "at_estimated", origin=origin)
    figures = _figures(need(record, "figures", origin=origin), kind, night, origin=origin)
    return Checkpoint(
        id=id_,
        at=at,
        at_estimated=estimated,
        published=published,
        kind=kind,
        round=round_field(record, origin=origin),
        figures=figures,
        text=text_field(record, "text", origin=origin, line=True),
        seed=seed_field(record, origin=origin),
        quote=text_field(record, "quote", origin=origin),
        estimate_reason=estimate_reason(
            record, estimated=estimated, flag="at_estimated", origin=origin
        ),
    )


def _figures(raw: object, kind: Kind, night: Night, *, origin: str) -> Figures:
    try:
        figures = Figures.from_json(raw)
    except UpdateError as error:
        raise FixtureError(f"{origin}: {error}") from error
    if kind is Kind.COUNT and not figures.shares:
        raise FixtureError(f"{origin}: a count checkpoint needs figures.shares")
    stated = (figures.voters, figures.voters_low, figures.voters_high, figures.rate_pct)
    if kind is Kind.TURNOUT and all(value is None for value in stated):
        raise FixtureError(
            f"{origin}: a turnout checkpoint needs figures.voters (or voters_low / voters_high)"
            " or figures.rate_pct"
        )
    total = sum(figures.shares.values())
    if total > 100 + _SHARES_TOLERANCE:
        raise FixtureError(f"{origin}: figures.shares add up to {total:g}, over 100")
    for name in figures.shares:
        if night.candidate_named(name) != name:
            raise FixtureError(
                f"{origin}: figures.shares: {name!r} is not the full name of a candidate of"
                " the night"
            )
    return figures
