"""A night's fixtures: the liveblog, the articles and the results checkpoints, as data.

A night lives in ``fixtures/<slug>/`` (see ``fixtures/2017-01-29/README.md``)::

    night.toml         the night's configuration (ingest.model.night)
    liveblog.json      the liveblog's entries, oldest first, with their times
    articles.json      the feed's articles, with their publication times (estimated ones marked)
    checkpoints.json   the results endpoint's turnout and count checkpoints

Every record names the seed text it comes from, or says it was written for soiree (``"seed":
"written"``: then the night's ``README.md`` must say so, and a checkpoint's ``quote`` must be
found verbatim in one of the night's own entries or articles). :func:`load_fixture_night` reads
and validates a night, with a :class:`FixtureError` naming the file and the record for anything
wrong; with ``seeds_dir`` it also checks that every text is found verbatim in its seed. This
module is pure apart from reading those files.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Final

from ingest.model import nights
from ingest.model.errors import SoireeError
from ingest.model.night import Night, NightError
from ingest.model.night_file import load_night
from ingest.model.nights import FIXTURES_ENV, NIGHT_FILE, default_nights_dir, find_night_file
from ingest.model.update import Figures, Kind, UpdateError

__all__ = [
    "ARTICLES_FILE",
    "CHECKPOINTS_FILE",
    "CHECKPOINT_KINDS",
    "FIXTURES_ENV",
    "INTRO_KEY",
    "LIVEBLOG_FILE",
    "NIGHT_FILE",
    "WRITTEN",
    "WRITTEN_NOTICE",
    "Article",
    "Checkpoint",
    "FixtureError",
    "LiveblogEntry",
    "NightFixture",
    "default_fixtures_dir",
    "find_night",
    "list_nights",
    "load_fixture_night",
]

LIVEBLOG_FILE: Final = "liveblog.json"
ARTICLES_FILE: Final = "articles.json"
CHECKPOINTS_FILE: Final = "checkpoints.json"

#: The kinds a results endpoint publishes.
CHECKPOINT_KINDS: Final = (Kind.TURNOUT, Kind.COUNT)

#: The environment variable naming the fixtures directory.

INTRO_KEY: Final = "intro"

#: The ``seed`` of a record written for soiree rather than taken from a seed text.
WRITTEN: Final = "written"
#: What the README of a night holding written records must say (case aside).
WRITTEN_NOTICE: Final = "written for soiree"
README_FILE: Final = "README.md"

# Seed files are named "NNN_<16 hex digits>.txt"; the hex digits are an article's guid.
_SEED_NAME: Final = re.compile(r"\d{3}_(?P<guid>[0-9a-f]{16})\.txt")
# The guid of a written article: 16 hex digits, like a seed's.
_WRITTEN_GUID: Final = re.compile(r"[0-9a-f]{16}")
# A liveblog time as written: "20h41", "12H05", or "21:16" (the intro's header).
_TIME_WRITTEN: Final = re.compile(r"(?P<hour>[01]\d|2[0-3])[hH:](?P<minute>[0-5]\d)")
_ENTRY_KEY: Final = re.compile(r"(?P<base>\d{4})(?:-(?P<n>[2-9]|[1-9]\d+))?")
_CHECKPOINT_ID: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Rounding in a source may make stated shares add up to a little over 100.
_SHARES_TOLERANCE: Final = 0.1


class FixtureError(SoireeError, ValueError):
    """A night's fixtures are missing, unreadable or inconsistent; the message says where."""


@dataclass(frozen=True, slots=True)
class LiveblogEntry:
    """One liveblog entry: its key, its time as written, its instant and its text.

    ``key`` is ``HHMM`` (``"2041"``), ``HHMM-2`` for a second entry at the same minute, or
    ``"intro"`` for the text above the timestamped entries (then ``intro`` is true).
    """

    key: str
    time_written: str
    at: datetime
    text: str
    seed: str
    intro: bool = False


@dataclass(frozen=True, slots=True)
class Article:
    """One feed article, with its publication time (``published_estimated`` if no seed gives it)."""

    guid: str
    seed: str
    title: str | None
    published: datetime
    published_estimated: bool
    estimate_reason: str | None
    round: int
    text: str


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One results-endpoint checkpoint: turnout or count figures, and when they became known.

    ``at`` is the time the figures refer to (``12:00`` for the turnout "à midi"); ``published``
    is when the endpoint shows them (never before a seed could know them). ``at_estimated``
    marks a checkpoint whose times no seed gives; ``estimate_reason`` says why they were chosen.
    """

    id: str
    at: datetime
    at_estimated: bool
    published: datetime
    kind: Kind
    round: int
    figures: Figures
    text: str
    seed: str
    quote: str
    estimate_reason: str | None = None


@dataclass(frozen=True, slots=True)
class NightFixture:
    """A night and its three sources' data, each in the order the night published it."""

    night: Night
    directory: Path
    liveblog_source: str
    liveblog: tuple[LiveblogEntry, ...]
    feed_source: str
    articles: tuple[Article, ...]
    results_source: str
    checkpoints: tuple[Checkpoint, ...]


# -- locating nights ------------------------------------------------------------------------------


def default_fixtures_dir() -> Path:
    """The fixtures directory: ``$SOIREE_FIXTURES`` if set, else the bundled nights."""
    try:
        return default_nights_dir()
    except NightError as error:
        raise FixtureError(str(error)) from None


def list_nights(fixtures_dir: Path) -> list[Path]:
    """The night directories (those holding a ``night.toml``) of ``fixtures_dir``, by name."""
    try:
        return nights.list_nights(fixtures_dir)
    except NightError as error:
        raise FixtureError(str(error)) from None


def find_night(
    name: str | None = None,
    *,
    fixtures_dir: Path | None = None,
    seeds_dir: Path | None = None,
) -> NightFixture:
    """Load the night called ``name`` (its directory's name) from ``fixtures_dir``.

    Without ``name``, the only night (or the first by name). ``fixtures_dir`` defaults to
    :func:`default_fixtures_dir`; it may also be one night's own directory. Finding the night is
    :func:`ingest.model.nights.find_night_file`'s.
    """
    try:
        night_file = find_night_file(name, nights_dir=fixtures_dir)
    except NightError as error:
        raise FixtureError(str(error)) from None
    return load_fixture_night(night_file.parent, seeds_dir=seeds_dir, night_file=night_file)


# -- loading a night ------------------------------------------------------------------------------


def load_fixture_night(
    directory: Path, *, seeds_dir: Path | None = None, night_file: Path | None = None
) -> NightFixture:
    """Read and validate the night in ``directory`` (its night file: ``night_file``, else
    ``directory/night.toml``).

    A night file alone is a night to serve or ingest, not to replay: without the three
    fixture files, the error says so.

    With ``seeds_dir`` (a folder holding the seed texts), every entry text, article paragraph
    and title, and checkpoint quote must also be found verbatim in the seed it names.
    """
    try:
        night = load_night(night_file or directory / NIGHT_FILE)
    except NightError as error:
        raise FixtureError(str(error)) from error
    absent = [
        name
        for name in (LIVEBLOG_FILE, ARTICLES_FILE, CHECKPOINTS_FILE)
        if not (directory / name).is_file()
    ]
    if len(absent) == 3:
        raise FixtureError(
            f"{night_file or directory / NIGHT_FILE}: night {night.slug!r} has no replay"
            f" fixtures beside it ({', '.join(absent)}); a night file alone serves `soiree"
            " serve`, `ticker` and `ingest`, not a replay"
        )
    seeds = _SeedTexts(seeds_dir) if seeds_dir is not None else None
    liveblog_source, liveblog = _load_liveblog(directory / LIVEBLOG_FILE, night, seeds)
    feed_source, articles = _load_articles(directory / ARTICLES_FILE, night, seeds)
    results_source, checkpoints = _load_checkpoints(directory / CHECKPOINTS_FILE, night, seeds)
    names = [liveblog_source, feed_source, results_source]
    if len(set(names)) != len(names):
        raise FixtureError(f"{directory}: the three files must name three sources, got {names}")
    _check_written(directory, liveblog, articles, checkpoints)
    return NightFixture(
        night=night,
        directory=directory,
        liveblog_source=liveblog_source,
        liveblog=liveblog,
        feed_source=feed_source,
        articles=articles,
        results_source=results_source,
        checkpoints=checkpoints,
    )


class _SeedTexts:
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
            return  # no seed to check against: _check_written traces these records
        if passage not in self.text(name, origin=origin):
            shown = passage if len(passage) <= 80 else passage[:77] + "..."
            raise FixtureError(f"{origin}: {what} not found verbatim in seed {name}: {shown!r}")


def _read_document(path: Path, *, items: str) -> tuple[str, Mapping[str, object], list[object]]:
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
    source = _text(data, "source", origin=str(path))
    records = data.get(items)
    if not isinstance(records, list) or not records:
        raise FixtureError(f"{path}: {items!r} must be a non-empty list")
    return source, data, records


def _record(
    raw: object, *, where: str, index: int, id_field: str, fields: Sequence[str]
) -> tuple[Mapping[str, object], str]:
    """A record of a fixture file, and how errors name it: ``file: items[3] (key '2041')``."""
    origin = f"{where}[{index}]"
    if not isinstance(raw, dict):
        raise FixtureError(f"{origin}: expected a JSON object")
    if isinstance(raw.get(id_field), str):
        origin = f"{origin} ({id_field} {raw[id_field]!r})"
    _known_fields(raw, fields=fields, origin=origin)
    return raw, origin


def _known_fields(data: Mapping[str, object], *, fields: Sequence[str], origin: str) -> None:
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise FixtureError(f"{origin}: unknown fields {unknown}")


def _need(data: Mapping[str, object], name: str, *, origin: str) -> object:
    if name not in data:
        raise FixtureError(f"{origin}: missing field {name!r}")
    return data[name]


def _text(data: Mapping[str, object], name: str, *, origin: str, line: bool = False) -> str:
    value = _need(data, name, origin=origin)
    if not isinstance(value, str) or not value.strip():
        raise FixtureError(f"{origin}: {name}: expected a non-empty string")
    if line and "\n" in value:
        raise FixtureError(f"{origin}: {name}: must be a single line")
    return value


def _flag(
    data: Mapping[str, object], name: str, *, origin: str, default: bool | None = None
) -> bool:
    value = data.get(name, default) if default is not None else _need(data, name, origin=origin)
    if not isinstance(value, bool):
        raise FixtureError(f"{origin}: {name}: expected true or false, got {value!r}")
    return value


def _round(data: Mapping[str, object], *, origin: str) -> int:
    value = _need(data, "round", origin=origin)
    if isinstance(value, bool) or value not in (1, 2):
        raise FixtureError(f"{origin}: round: must be 1 or 2, got {value!r}")
    assert isinstance(value, int)
    return value


def _seed(data: Mapping[str, object], *, origin: str) -> str:
    name = _text(data, "seed", origin=origin)
    if name != WRITTEN and not _SEED_NAME.fullmatch(name):
        raise FixtureError(
            f"{origin}: seed: expected a seed file name like 004_<16 hex>.txt, or {WRITTEN!r}"
        )
    return name


def _check_written(
    directory: Path,
    liveblog: Sequence[LiveblogEntry],
    articles: Sequence[Article],
    checkpoints: Sequence[Checkpoint],
) -> None:
    """Records written for soiree: the README says so, and checkpoints quote the night's texts."""
    seeds = [entry.seed for entry in liveblog] + [article.seed for article in articles]
    seeds += [checkpoint.seed for checkpoint in checkpoints]
    if WRITTEN not in seeds:
        return
    readme = directory / README_FILE
    try:
        notice = readme.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise FixtureError(f"{readme}: unreadable, and written records need it: {error}") from None
    if WRITTEN_NOTICE not in " ".join(notice.split()).casefold():
        raise FixtureError(
            f"{readme}: the night holds records written by us; its README must say they are"
            f" {WRITTEN_NOTICE!r}"
        )
    texts = [entry.text for entry in liveblog]
    texts += [article.text for article in articles]
    for checkpoint in checkpoints:
        if checkpoint.seed == WRITTEN and not any(checkpoint.quote in text for text in texts):
            raise FixtureError(
                f"{directory / CHECKPOINTS_FILE}: checkpoint {checkpoint.id!r}: quote not found"
                f" verbatim in any entry or article of the night: {checkpoint.quote[:77]!r}"
            )


def _reason(data: Mapping[str, object], *, estimated: bool, flag: str, origin: str) -> str | None:
    reason = data.get("estimate_reason")
    if reason is not None and (not isinstance(reason, str) or not reason.strip()):
        raise FixtureError(f"{origin}: estimate_reason: expected a non-empty string or null")
    if estimated and reason is None:
        raise FixtureError(f"{origin}: {flag} is true but no estimate_reason says why")
    if not estimated and reason is not None:
        raise FixtureError(f"{origin}: estimate_reason given but {flag} is false")
    return reason


def _instant(data: Mapping[str, object], name: str, night: Night, *, origin: str) -> datetime:
    """An ISO 8601 instant with an offset, the offset the night's time zone has at that time."""
    value = _need(data, name, origin=origin)
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


# -- liveblog.json --------------------------------------------------------------------------------

_ENTRY_FIELDS: Final = ("key", "time", "at", "text", "seed", "intro")


def _load_liveblog(
    path: Path, night: Night, seeds: _SeedTexts | None
) -> tuple[str, tuple[LiveblogEntry, ...]]:
    source, data, records = _read_document(path, items="entries")
    _known_fields(data, fields=("source", "seed", "entries"), origin=str(path))
    page_seed = _seed(data, origin=str(path))
    entries: list[LiveblogEntry] = []
    per_minute: dict[str, int] = {}
    for index, raw in enumerate(records):
        record, origin = _record(
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
    key = _text(record, "key", origin=origin)
    written = _text(record, "time", origin=origin)
    intro = _flag(record, "intro", origin=origin, default=False)
    match = _TIME_WRITTEN.fullmatch(written)
    if match is None:
        raise FixtureError(f"{origin}: time: expected HHhMM (or HH:MM), got {written!r}")
    clock = time(int(match["hour"]), int(match["minute"]))
    at = _instant(record, "at", night, origin=origin)
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
        text=_text(record, "text", origin=origin),
        seed=_seed(record, origin=origin),
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


def _load_articles(
    path: Path, night: Night, seeds: _SeedTexts | None
) -> tuple[str, tuple[Article, ...]]:
    source, data, records = _read_document(path, items="articles")
    _known_fields(data, fields=("source", "articles"), origin=str(path))
    articles: list[Article] = []
    for index, raw in enumerate(records):
        record, origin = _record(
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
    guid = _text(record, "guid", origin=origin)
    seed = _seed(record, origin=origin)
    if seed == WRITTEN:
        if not _WRITTEN_GUID.fullmatch(guid):
            raise FixtureError(f"{origin}: guid of a written article: expected 16 hex digits")
    else:
        seed_match = _SEED_NAME.fullmatch(seed)
        if seed_match is None or seed_match["guid"] != guid:
            raise FixtureError(f"{origin}: guid must be the hex id of its seed's name ({seed})")
    title = record.get("title")
    if title is not None and (not isinstance(title, str) or not title.strip()):
        raise FixtureError(f"{origin}: title: expected a non-empty string or null")
    estimated = _flag(record, "published_estimated", origin=origin)
    return Article(
        guid=guid,
        seed=seed,
        title=title,
        published=_instant(record, "published", night, origin=origin),
        published_estimated=estimated,
        estimate_reason=_reason(
            record, estimated=estimated, flag="published_estimated", origin=origin
        ),
        round=_round(record, origin=origin),
        text=_text(record, "text", origin=origin),
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


def _load_checkpoints(
    path: Path, night: Night, seeds: _SeedTexts | None
) -> tuple[str, tuple[Checkpoint, ...]]:
    source, data, records = _read_document(path, items="checkpoints")
    _known_fields(data, fields=("source", "checkpoints"), origin=str(path))
    checkpoints: list[Checkpoint] = []
    for index, raw in enumerate(records):
        record, origin = _record(
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
    id_ = _text(record, "id", origin=origin)
    if not _CHECKPOINT_ID.fullmatch(id_):
        raise FixtureError(f"{origin}: id: expected lowercase words joined by '-', got {id_!r}")
    kind_raw = _need(record, "kind", origin=origin)
    if not isinstance(kind_raw, str) or kind_raw not in CHECKPOINT_KINDS:
        allowed = " or ".join(kind.value for kind in CHECKPOINT_KINDS)
        raise FixtureError(f"{origin}: kind: must be {allowed}, got {kind_raw!r}")
    kind = Kind(kind_raw)
    at = _instant(record, "at", night, origin=origin)
    published = _instant(record, "published", night, origin=origin)
    if published < at:
        raise FixtureError(f"{origin}: published {published.isoformat()} is before at")
    estimated = _flag(record, "at_estimated", origin=origin)
    figures = _figures(_need(record, "figures", origin=origin), kind, night, origin=origin)
    return Checkpoint(
        id=id_,
        at=at,
        at_estimated=estimated,
        published=published,
        kind=kind,
        round=_round(record, origin=origin),
        figures=figures,
        text=_text(record, "text", origin=origin, line=True),
        seed=_seed(record, origin=origin),
        quote=_text(record, "quote", origin=origin),
        estimate_reason=_reason(record, estimated=estimated, flag="at_estimated", origin=origin),
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
