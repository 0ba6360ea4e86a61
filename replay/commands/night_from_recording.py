"""``soiree night from-recording DIR OUT``: a recording turned into a night's fixtures.

Every distinct body the recording holds for the sources of the sources file (``--config``, else
the night's ``sources.toml``; the night is ``--night``, else the one the recording names) is read
by the pollers' own parsers, oldest first (a response belongs to the source of its name, else
to the one polling the same path); each entry is kept as last seen. They are written as
a night like ``fixtures/2017-01-29/`` (``night.toml``, ``liveblog.json``, ``articles.json``,
``checkpoints.json``, a ``README.md`` saying where they come from), which
``soiree replay --night OUT`` plays with the updates the recording's ingest gave.

The fixture format names each record's *seed*: here the body of the recording it was read
from (``NNN_<first 16 hex digits of the body's SHA-256>.txt``). Where the format is stricter than
a source (a liveblog key that is not ``HHMM``, a feed guid that is not 16 hex digits, a results
id that is not lowercase words), the key is rewritten, so that entry's uid differs from the live
one; the command says how many.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from rich.console import Console
from rich.progress import Progress
from yarl import URL

from ingest.extraction.entries import TextEntry
from ingest.model.errors import CommandError
from ingest.model.night import Night, NightError
from ingest.model.nights import NIGHT_FILE, SOURCES_FILE, find_night_dir
from ingest.model.recording import RecordedResponse, Recording
from ingest.model.update import Update
from ingest.polling.http_headers import content_charset
from ingest.sources.config import load_ingest_config
from ingest.sources.parsed_document import parse_document
from ingest.sources.source_config import SourceConfig, SourceConfigError, SourceType
from replay.commands.night_from_recording_cli import FromRecordingOptions
from replay.commands.recording_options import open_recording
from replay.fixtures import load_fixture_night
from replay.night_fixture import (
    ARTICLES_FILE,
    CHECKPOINT_KINDS,
    CHECKPOINTS_FILE,
    INTRO_KEY,
    LIVEBLOG_FILE,
    FixtureError,
)

__all__ = ["run"]

_HEX16: Final = re.compile(r"[0-9a-f]{16}")
_CHECKPOINT_ID: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(slots=True)
class _Found:
    """What the recording showed of one source: each entry as last seen, by uid."""

    source: SourceConfig
    entries: dict[str, TextEntry | Update] = field(default_factory=dict)
    seed: str = ""
    bodies: int = 0


def run(options: FromRecordingOptions) -> int:
    """Run ``soiree night from-recording``; return the exit status."""
    recording = open_recording(options.recording)
    out = options.out
    if out.exists() and any(out.iterdir()):
        raise CommandError(f"{out} exists and is not empty: choose a new folder")
    night_dir = _night_dir(options, recording)
    config_path = options.config or night_dir / SOURCES_FILE
    try:
        config = load_ingest_config(config_path)
    except SourceConfigError as error:
        raise CommandError(str(error)) from None
    if config.night is None:
        raise CommandError(f'{config_path}: names no night (night = "night.toml")')
    night = config.night
    err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)
    err.print(f"recording {recording.root} holds {recording.summary()}")
    found = _read(recording, config.sources, night, err)
    for kind in SourceType:
        if sum(1 for one in found if one.source.type is kind) != 1:
            raise CommandError(
                f"{config_path}: a night's fixtures hold one liveblog, one feed and one results"
                " source; the recording's sources file does not"
            )
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(night_dir / NIGHT_FILE, out / NIGHT_FILE)
    renamed = _write(out, found, night)
    _write_readme(out, recording, found)
    try:
        fixture = load_fixture_night(out)
    except FixtureError as error:
        raise CommandError(f"the night written is not valid: {error}") from None
    counts = (len(fixture.liveblog), len(fixture.articles), len(fixture.checkpoints))
    err.print(
        f"wrote {out}: {counts[0]} liveblog entries, {counts[1]} articles, {counts[2]}"
        f" checkpoints; play it with `soiree replay --night {out}`"
    )
    if renamed:
        err.print(f"{renamed} key(s) rewritten to the fixture format: their uids differ")
    return 0


def _night_dir(options: FromRecordingOptions, recording: Recording) -> Path:
    name = options.night.night or recording.night
    try:
        return find_night_dir(name, nights_dir=options.night.fixtures)
    except NightError as error:
        raise CommandError(str(error)) from None


@contextlib.contextmanager
def _progress(console: Console) -> Iterator[Progress | None]:
    if not console.is_terminal:
        yield None
        return
    with Progress(console=console, transient=True) as progress:
        yield progress


def _read(
    recording: Recording, sources: tuple[SourceConfig, ...], night: Night, console: Console
) -> list[_Found]:
    """Parse every distinct body of each source, oldest first."""
    found = {source.name: _Found(source) for source in sources}
    by_path = {_path(source.url): source.name for source in sources}
    todo: list[tuple[str, RecordedResponse]] = []
    done: set[tuple[str, str]] = set()
    for response in recording.responses:
        # The source of that name, else the one polling the same path (a renamed source).
        name = response.source if response.source in found else by_path.get(_path(response.url))
        if response.body is None or name is None or (name, response.body) in done:
            continue
        done.add((name, response.body))
        todo.append((name, response))
    with _progress(console) as progress:
        task = None if progress is None else progress.add_task("reading", total=len(todo))
        for name, response in todo:
            assert response.body is not None
            one = found[name]
            parsed = parse_document(
                one.source,
                recording.body(response.body),
                charset=content_charset(response.content_type),
                content_type=response.content_type,
                night=night,
                seen=response.at,
            )
            for entry in parsed.entries:
                one.entries[entry.uid] = entry
            one.bodies += 1
            one.seed = f"{one.bodies:03d}_{response.body[:16]}.txt"
            if progress is not None and task is not None:
                progress.advance(task)
    return list(found.values())


def _path(url: str) -> str:
    try:
        return URL(url).path_qs
    except ValueError:
        return url


def _key(uid: str, source: str) -> str:
    return uid.removeprefix(f"{source}:")


def _write(out: Path, found: list[_Found], night: Night) -> int:
    """Write the three fixture files; return how many keys were rewritten."""
    renamed = 0
    by_type = {one.source.type: one for one in found}
    liveblog = by_type[SourceType.LIVEBLOG]
    entries: list[dict[str, Any]] = []
    per_minute: dict[str, int] = {}
    texts = [e for e in liveblog.entries.values() if isinstance(e, TextEntry)]
    for entry in sorted(texts, key=lambda e: (e.at, _key(e.uid, liveblog.source.name))):
        local = entry.at.astimezone(night.timezone)
        key = _key(entry.uid, liveblog.source.name)
        intro = key == INTRO_KEY
        if not intro:
            base = f"{local:%H%M}"
            per_minute[base] = per_minute.get(base, 0) + 1
            wanted = base if per_minute[base] == 1 else f"{base}-{per_minute[base]}"
            renamed += key != wanted
            key = wanted
        entries.append({
            "key": key, "time": f"{local:%Hh%M}", "at": _iso(entry.at, night),
            "text": entry.text, "seed": liveblog.seed, **({"intro": True} if intro else {}),
        })  # fmt: skip
    _dump(out / LIVEBLOG_FILE, {"source": liveblog.source.name, "seed": liveblog.seed,
                                "entries": entries})  # fmt: skip
    feed = by_type[SourceType.FEED]
    articles: list[dict[str, Any]] = []
    for number, item in enumerate(feed.entries.values()):
        if not isinstance(item, TextEntry):
            continue
        key = _key(item.uid, feed.source.name)
        guid = key if _HEX16.fullmatch(key) else hashlib.sha256(key.encode()).hexdigest()[:16]
        renamed += guid != key
        articles.append({
            "guid": guid, "seed": f"{number:03d}_{guid}.txt", "title": None,
            "published": _iso(item.at, night), "published_estimated": False,
            "estimate_reason": None, "round": night.round, "text": item.text,
        })  # fmt: skip
    _dump(out / ARTICLES_FILE, {"source": feed.source.name, "articles": articles})
    results = by_type[SourceType.RESULTS]
    checkpoints: list[dict[str, Any]] = []
    for update in results.entries.values():
        if not isinstance(update, Update) or update.kind not in CHECKPOINT_KINDS:
            continue
        key = _key(update.uid, results.source.name)
        id_ = key if _CHECKPOINT_ID.fullmatch(key) else _slug(key)
        renamed += id_ != key
        checkpoints.append({
            "id": id_, "at": _iso(update.at, night), "at_estimated": False,
            "published": _iso(update.at, night), "kind": update.kind.value,
            "round": update.round or night.round,
            "figures": None if update.figures is None else update.figures.to_json(),
            "text": " ".join(update.text.split()), "seed": results.seed,
            "quote": update.text, "estimate_reason": None,
        })  # fmt: skip
    _dump(out / CHECKPOINTS_FILE, {"source": results.source.name, "checkpoints": checkpoints})
    return renamed


def _slug(key: str) -> str:
    words = re.findall(r"[a-z0-9]+", key.lower())
    return "-".join(words) or hashlib.sha256(key.encode()).hexdigest()[:16]


def _iso(at: datetime, night: Night) -> str:
    return at.astimezone(night.timezone).isoformat()


def _dump(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _write_readme(out: Path, recording: Recording, found: list[_Found]) -> None:
    lines = [
        f"# {out.name}: a night made from a recording",
        "",
        f"Written by `soiree night from-recording` from the recording {recording.root.name}",
        f"({recording.summary()}).",
        "",
        "Every text is what the recorded sources served, read by soiree's own parsers; nothing",
        "else was written by hand. A record's `seed` names the recorded body it was last read",
        "from: `NNN_<first 16 hex digits of the body's SHA-256>.txt`, whose whole digest is in",
        "the recording's index. `published_estimated` and `at_estimated` are false: the times",
        "are those the sources gave (or, for an undated feed item, when it was first seen).",
        "",
    ]
    lines += [f"- {one.source.name}: {one.bodies} distinct bodies read" for one in found]
    (out / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
