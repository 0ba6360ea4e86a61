"""``soiree night new``: a commented ``night.toml`` skeleton, from flags or from questions.

:func:`skeleton` is pure: the answers in, the file's text out (checked by reading it back with
:func:`ingest.model.night_file.night_from_text` before anything is written). :func:`run` asks
on a terminal what the flags leave out, and never overwrites a file.
"""

from __future__ import annotations

import datetime
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from ingest.commands.night_cli import NewOptions
from ingest.model.errors import CommandError
from ingest.model.night_file import (
    DEFAULT_EARLY_HOUR,
    DEFAULT_TIMEZONE,
    NightFileError,
    default_stream,
    night_from_text,
)
from ingest.model.nights import NIGHT_FILE

__all__ = ["Answers", "parse_candidate", "run", "skeleton"]


@dataclass(frozen=True, slots=True)
class Answers:
    """What a new night file says."""

    date: str
    round: int
    candidates: tuple[tuple[str, tuple[str, ...]], ...]
    timezone: str = DEFAULT_TIMEZONE
    title: str | None = None
    slug: str | None = None


def parse_candidate(written: str) -> tuple[str, tuple[str, ...]]:
    """``"Marine Le Pen=Le Pen,Mme Le Pen"``: the name and its aliases."""
    name, _, aliases = written.partition("=")
    return name.strip(), tuple(alias.strip() for alias in aliases.split(",") if alias.strip())


def _toml(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def _date(written: str) -> str:
    """A TOML date when ``written`` is one; else a string, which the check then names."""
    try:
        if len(written) == 10:
            return datetime.date.fromisoformat(written).isoformat()
    except ValueError:
        pass
    return _toml(written)


def skeleton(answers: Answers) -> str:
    """The text of a commented night file for ``answers``."""
    slug = answers.slug or answers.date
    title = answers.title or f"Soirée électorale du {answers.date}, tour {answers.round}"
    lines = [
        "# A night for soiree: every key is described in docs/night.md.",
        "# Check it with `soiree night check night.toml`; use it with `--night night.toml`.",
        "",
        "# The night's short name: `--night` takes it, and its stream is named from it.",
        f"slug = {_toml(slug)}",
        "# What the web page and the ticker show as the night's title.",
        f"title = {_toml(title)}",
        "# The night's date (YYYY-MM-DD): liveblog times are on it, feed dates are checked",
        "# against it.",
        f"date = {_date(answers.date)}",
        "# The round the night reports: 1 or 2.",
        f"round = {answers.round}",
        "# IANA time zone: times and dates written without a zone are read in it.",
        f"timezone = {_toml(answers.timezone)}",
        f"# The Redis stream the night writes (default: {default_stream(slug)}).",
        f"# stream = {_toml(default_stream(slug))}",
        "# Liveblog times before this hour belong to the day after the date (0 to 12).",
        f"# early_hour = {DEFAULT_EARLY_HOUR}",
        "",
        "# One table per candidate, in the order of the ballot. `aliases`: the other ways",
        '# texts write the name (case and accents do not matter: "Benoit" finds "Benoît").',
    ]
    for name, aliases in answers.candidates:
        lines += ["", "[[candidates]]", f"name = {_toml(name)}"]
        if aliases:
            lines.append(f"aliases = [{', '.join(_toml(alias) for alias in aliases)}]")
        else:
            lines.append("# aliases = []")
    return "\n".join(lines) + "\n"


def _ask(question: str, read: Callable[[str], str]) -> str:
    return read(f"{question}: ").strip()


def _complete(options: NewOptions, read: Callable[[str], str] | None) -> Answers:
    """The answers: the flags', then on a terminal (``read``) the questions for the rest."""
    missing = [
        flag
        for flag, value in (
            ("--date", options.date),
            ("--round", options.round),
            ("--candidate", options.candidates),
        )
        if not value
    ]
    if missing and read is None:
        raise CommandError(f"missing {', '.join(missing)} (not on a terminal: nothing to ask)")
    date = options.date or (_ask("Date of the night (YYYY-MM-DD)", read) if read else "")
    round_text = str(options.round or (_ask("Round (1 or 2)", read) if read else ""))
    if round_text not in ("1", "2"):
        raise CommandError(f"round must be 1 or 2, got {round_text!r}")
    candidates = list(options.candidates)
    if not candidates and read is not None:
        print("Candidates, one a line, as NAME or NAME=ALIAS,ALIAS; an empty line ends.")
        while written := _ask(f"Candidate {len(candidates) + 1}", read):
            candidates.append(written)
    answers = Answers(
        date=date,
        round=int(round_text),
        candidates=tuple(parse_candidate(written) for written in candidates),
        timezone=options.timezone or DEFAULT_TIMEZONE,
        title=options.title,
        slug=options.slug,
    )
    if read is not None and options.timezone is None:
        zone = _ask(f"Time zone [{DEFAULT_TIMEZONE}]", read)
        answers = replace(answers, timezone=zone or DEFAULT_TIMEZONE)
    return answers


def write_new(options: NewOptions, read: Callable[[str], str] | None) -> Path:
    """Write the night file ``options`` and ``read``'s answers describe; return its path."""
    output = options.output / NIGHT_FILE if options.output.is_dir() else options.output
    if output.exists():
        raise CommandError(f"{output}: already exists; not overwritten")
    answers = _complete(options, read)
    text = skeleton(answers)
    try:
        night_from_text(text, origin=str(output))
    except NightFileError as error:
        raise CommandError("; ".join(error.problems)) from None
    with output.open("x", encoding="utf-8") as handle:
        handle.write(text)
    return output


def run(options: NewOptions) -> int:
    """Run ``soiree night new``; return the exit status."""
    read = input if sys.stdin.isatty() and sys.stdout.isatty() else None
    output = write_new(options, read)
    print(f"soiree night new: wrote {output}; check it with `soiree night check {output}`")
    return 0
