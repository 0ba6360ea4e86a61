"""Precision and recall of extraction on a corpus file of tests/data/extraction_corpus/.

A case's *facts* are its figures flattened to (scope, field, value) triples (a share is
``shares.<candidate>``, a comparison ``previous.<field>``). Per class, precision is the share of
the facts extraction found that the case expects, recall the share of the expected facts found.
``python -m tests.corpus_scores tests/data/extraction_corpus/figures.toml`` prints the table that
``docs/extraction.md`` shows, and the failing cases.
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.extraction.figures import extract_figures
from ingest.model.night import Night, night_from_mapping

Fact = tuple[str, str, object]


@dataclass(frozen=True, slots=True)
class Case:
    """One sentence of the corpus, its class and style, and the figures it states."""

    text: str
    klass: str
    style: str
    figures: tuple[Mapping[str, Any], ...]
    fails: str | None


def load_corpus(path: Path) -> tuple[Night, list[Case]]:
    """The corpus file's night and cases."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    night = night_from_mapping(data["night"], origin=str(path))
    cases = [
        Case(
            text=raw["text"],
            klass=raw["class"],
            style=raw["style"],
            figures=tuple(raw.get("figures", [])),
            fails=raw.get("fails"),
        )
        for raw in data["case"]
    ]
    return night, cases


def facts(figures: Iterable[Mapping[str, Any]]) -> set[Fact]:
    """Every (scope, field, value) a list of figures states (numbers as floats)."""
    found: set[Fact] = set()
    for item in figures:
        scope = str(item.get("scope", "national"))
        for name, value in item.items():
            if name == "scope":
                continue
            if isinstance(value, Mapping):
                for key, inner in value.items():
                    found.add((scope, f"{name}.{key}", _plain(inner)))
            else:
                found.add((scope, name, _plain(value)))
    return found


def _plain(value: object) -> object:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def found_figures(case: Case, night: Night) -> list[dict[str, Any]]:
    """What extraction finds in the case's text, as JSON."""
    return [figures.to_json() for figures in extract_figures(case.text, night)]


@dataclass(frozen=True, slots=True)
class Score:
    """One class's counts."""

    klass: str
    cases: int
    exact: int
    true_positives: int
    found: int
    expected: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.expected if self.expected else 1.0


def scores(night: Night, cases: list[Case]) -> list[Score]:
    """Per class, in order of first appearance."""
    table: dict[str, list[int]] = {}
    for case in cases:
        expected = facts(case.figures)
        got = facts(found_figures(case, night))
        row = table.setdefault(case.klass, [0, 0, 0, 0, 0])
        row[0] += 1
        row[1] += expected == got
        row[2] += len(expected & got)
        row[3] += len(got)
        row[4] += len(expected)
    return [Score(klass, *row) for klass, row in table.items()]


def report(path: Path) -> str:
    """The markdown table of the corpus's scores, then its failing cases."""
    night, cases = load_corpus(path)
    lines = [
        "| class | cases | exact | precision | recall |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {score.klass} | {score.cases} | {score.exact} | {score.precision:.2f} "
        f"| {score.recall:.2f} |"
        for score in scores(night, cases)
    ]
    lines.append("")
    lines += [
        f"- {case.klass}: « {case.text.splitlines()[0]} » — {case.fails}"
        for case in cases
        if case.fails
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(Path(sys.argv[1])))
