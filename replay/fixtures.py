"""Finding and loading a night's fixtures (:mod:`replay.night_fixture`: what they are).

A night lives in ``fixtures/<slug>/`` (see ``fixtures/2017-01-29/README.md``): its
``night.toml`` and three fixture files, ``liveblog.json``, ``articles.json`` and
``checkpoints.json``. :func:`find_night` finds one by name; :func:`load_fixture_night` reads
and validates a night (each file: :mod:`replay.fixture_files`), with a :class:`FixtureError`
naming the file and the record for anything wrong; with ``seeds_dir`` it also checks that every
text is found verbatim in its seed. Records written for soiree (``"seed": "written"``) are
accepted only if the night's ``README.md`` says so, and a written checkpoint's ``quote`` must
be found verbatim in one of the night's own entries or articles. This module is pure apart
from reading those files.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ingest.model import nights
from ingest.model.night import NightError
from ingest.model.night_file import load_night
from ingest.model.nights import NIGHT_FILE, default_nights_dir, find_night_file
from replay.fixture_fields import SeedTexts
from replay.fixture_files import load_articles, load_checkpoints, load_liveblog
from replay.night_fixture import (
    ARTICLES_FILE,
    CHECKPOINTS_FILE,
    LIVEBLOG_FILE,
    README_FILE,
    WRITTEN,
    WRITTEN_NOTICE,
    Article,
    Checkpoint,
    FixtureError,
    LiveblogEntry,
    NightFixture,
)

__all__ = ["default_fixtures_dir", "find_night", "list_nights", "load_fixture_night"]


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
    seeds = SeedTexts(seeds_dir) if seeds_dir is not None else None
    liveblog_source, liveblog = load_liveblog(directory / LIVEBLOG_FILE, night, seeds)
    feed_source, articles = load_articles(directory / ARTICLES_FILE, night, seeds)
    results_source, checkpoints = load_checkpoints(directory / CHECKPOINTS_FILE, night, seeds)
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
