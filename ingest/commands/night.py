"""``soiree night check``: read a night file strictly and say what is wrong with it, or OK."""

from __future__ import annotations

import sys

from ingest.commands.night_cli import CheckOptions
from ingest.model.night import Night
from ingest.model.night_file import NightFileError, load_night
from ingest.model.nights import find_night_file
from ingest.model.text_cleaning import clean_text

__all__ = ["check", "summary"]


def summary(night: Night) -> str:
    """One line: what a valid night file describes."""
    names = ", ".join(candidate.name for candidate in night.candidates)
    contest = f"{night.election} election, " if night.election is not None else ""
    seats = f", {night.seats.total} seats ({night.seats.rule})" if night.seats is not None else ""
    places = f", {len(night.places)} places" if night.places else ""
    return (
        f"{night.title} ({night.slug}): {contest}{night.date.isoformat()}, round {night.round},"
        f" {night.timezone.key}, {len(night.candidates)} candidate"
        f"{'s' if len(night.candidates) > 1 else ''} ({names}){seats}{places},"
        f" stream {night.stream}"
    )


def check(options: CheckOptions) -> int:
    """Run ``soiree night check``: 0 and ``FILE: OK: ...`` if valid, else every problem and 1."""
    path = find_night_file(options.file)
    try:
        night = load_night(path)
    except NightFileError as error:
        for problem in error.problems:
            print(clean_text(problem), file=sys.stderr)
        return 1
    print(clean_text(f"{path}: OK: {summary(night)}"))
    return 0
