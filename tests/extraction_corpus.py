"""Precision and recall of extraction per class, over ``tests/data/extraction_corpus``.

``python -m tests.extraction_corpus`` prints the table and the failures as ``docs/extraction.md``
shows them; ``--write`` rewrites that part of the document. ``tests/test_extraction_corpus.py``
checks the document says what this computes now.

A corpus file (TOML or JSON) holds ``nights`` (name -> a night table, as ``night.toml`` writes it)
and ``cases``, each with ``text``, ``class``, ``expected`` and optionally ``night`` (a name of the
file's nights; without it, the file's first night) and ``style``. ``expected`` holds the fields
that must be right: ``kind``, ``speaker``, ``round``, ``institute``, and any field of the
update's ``figures`` (``scope``, ``shares``, ``counted_pct``...). A case is *right* when every
expected field is.

Per class C, with K the kinds its cases expect:

* recall = right cases of C / cases of C;
* precision = right cases of C / (right cases of C + false claims), a false claim being a case
  of C given a kind of K but wrong in another field, or a case of any class, in any file, given
  a kind of K although it expects another one.
"""

from __future__ import annotations

import json
import math
import re
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ingest.extraction.extract import Extraction, extract
from ingest.model.night import Night, night_from_mapping

__all__ = [
    "CORPUS_DIR",
    "Case",
    "ClassScore",
    "CorpusError",
    "Outcome",
    "documented",
    "documented_failures",
    "load_corpus",
    "measure",
    "render",
    "run",
]

CORPUS_DIR: Final = Path(__file__).parent / "data" / "extraction_corpus"
DOC: Final = Path(__file__).parent.parent / "docs" / "extraction.md"
BEGIN: Final = "<!-- extraction-corpus:begin (python -m tests.extraction_corpus --write) -->"
END: Final = "<!-- extraction-corpus:end -->"
_TOP_LEVEL: Final = ("kind", "speaker", "round", "institute")


class CorpusError(Exception):
    """A corpus file that cannot be read as cases."""


@dataclass(frozen=True, slots=True)
class Case:
    """One sentence of the corpus and what extraction must say of it."""

    file: str
    index: int
    text: str
    klass: str
    expected: Mapping[str, Any]
    night: Night
    style: str = ""

    @property
    def label(self) -> str:
        return f"{self.file}#{self.index + 1}"


@dataclass(frozen=True, slots=True)
class Outcome:
    """A case, what extraction said, and the expected fields it got wrong."""

    case: Case
    got: Mapping[str, Any]
    wrong: tuple[str, ...]

    @property
    def right(self) -> bool:
        return not self.wrong


@dataclass(frozen=True, slots=True)
class ClassScore:
    """The score of one class."""

    klass: str
    cases: int
    right: int
    false_claims: int

    @property
    def recall(self) -> float:
        return self.right / self.cases if self.cases else 0.0

    @property
    def precision(self) -> float:
        claimed = self.right + self.false_claims
        return self.right / claimed if claimed else 0.0


def _read(path: Path) -> Mapping[str, Any]:
    with path.open("rb") as handle:
        data = json.load(handle) if path.suffix == ".json" else tomllib.load(handle)
    if not isinstance(data, Mapping):
        raise CorpusError(f"{path}: expected a table at the top")
    return data


def load_corpus(folder: Path = CORPUS_DIR) -> list[Case]:
    """Every case of every ``*.toml`` and ``*.json`` file of ``folder``, files in name order."""
    cases: list[Case] = []
    for path in sorted([*folder.glob("*.toml"), *folder.glob("*.json")]):
        data = _read(path)
        nights = {
            name: night_from_mapping(raw, origin=f"{path.name}: nights.{name}")
            for name, raw in data.get("nights", {}).items()
        }
        raw_cases = data.get("cases", [])
        if not isinstance(raw_cases, Sequence):
            raise CorpusError(f"{path}: cases must be a list")
        for index, raw in enumerate(raw_cases):
            where = f"{path.name}: cases[{index}]"
            night_name = raw.get("night", next(iter(nights), None))
            if night_name not in nights:
                raise CorpusError(f"{where}: unknown night {night_name!r}")
            expected = raw.get("expected")
            if not isinstance(raw.get("text"), str) or not isinstance(expected, Mapping):
                raise CorpusError(f"{where}: needs a text and an expected table")
            cases.append(
                Case(
                    file=path.name,
                    index=index,
                    text=raw["text"],
                    klass=str(raw.get("class", "")),
                    expected=expected,
                    night=nights[night_name],
                    style=str(raw.get("style", "")),
                )
            )
    return cases


def said(found: Extraction) -> dict[str, Any]:
    """What extraction said, flat: kind, speaker, round, institute and the figures' fields."""
    flat: dict[str, Any] = {"kind": found.kind.value}
    if found.figures is not None:
        flat.update(found.figures.to_json())
    for name in _TOP_LEVEL[1:]:
        value = getattr(found, name)
        if value is not None:
            flat[name] = value
    return flat


def _same(expected: object, got: object) -> bool:
    if isinstance(expected, Mapping):
        return (
            isinstance(got, Mapping)
            and set(expected) == set(got)
            and all(_same(value, got[key]) for key, value in expected.items())
        )
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        return (
            isinstance(got, int | float)
            and not isinstance(got, bool)
            and math.isclose(expected, got, abs_tol=1e-9)
        )
    return bool(expected == got)


def run(case: Case) -> Outcome:
    """Extract the case's text and compare with what it expects."""
    got = said(extract(case.text, case.night))
    wrong = tuple(key for key, value in case.expected.items() if not _same(value, got.get(key)))
    return Outcome(case, got, wrong)


def measure(outcomes: Sequence[Outcome]) -> list[ClassScore]:
    """The score of each class, in the order classes first appear."""
    classes = list(dict.fromkeys(outcome.case.klass for outcome in outcomes))
    scores: list[ClassScore] = []
    for klass in classes:
        members = [outcome for outcome in outcomes if outcome.case.klass == klass]
        kinds = {outcome.case.expected.get("kind") for outcome in members} - {None}
        right = sum(outcome.right for outcome in members)
        false_claims = sum(
            1
            for outcome in outcomes
            if outcome.got["kind"] in kinds
            and (
                (outcome.case.klass == klass and not outcome.right)
                or (outcome.case.klass != klass and outcome.case.expected.get("kind") not in kinds)
            )
        )
        scores.append(ClassScore(klass, len(members), right, false_claims))
    return scores


def _shown(value: object) -> str:
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{key}: {_shown(item)}" for key, item in value.items()) + "}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _table(outcomes: Sequence[Outcome]) -> list[str]:
    total = len(outcomes)
    right = sum(outcome.right for outcome in outcomes)
    lines = [
        f"{total} sentences, {right} right ({right / total:.0%})." if total else "No sentences.",
        "",
        "| class | sentences | right | recall | precision |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    lines.extend(
        f"| `{score.klass}` | {score.cases} | {score.right} | {score.recall:.2f}"
        f" | {score.precision:.2f} |"
        for score in measure(outcomes)
    )
    return lines


def render(outcomes: Sequence[Outcome]) -> str:
    """The tables (every file, then each file) and the failures, as Markdown: the generated
    part of docs/extraction.md."""
    lines = ["All files:", "", *_table(outcomes)]
    for file in dict.fromkeys(outcome.case.file for outcome in outcomes):
        lines += ["", f"`{file}`:", "", *_table([o for o in outcomes if o.case.file == file])]
    failures = [outcome for outcome in outcomes if not outcome.right]
    lines += ["", f"Failures ({len(failures)}):", ""]
    for outcome in failures:
        case = outcome.case
        expected = ", ".join(f"{key} {_shown(case.expected[key])}" for key in outcome.wrong)
        got = ", ".join(f"{key} {_shown(outcome.got.get(key, '—'))}" for key in outcome.wrong)
        text = case.text.replace("|", "\\|")
        lines.append(f"- `{case.label}` ({case.klass}): {text} — expected {expected}; got {got}")
    if not failures:
        lines.append("- none")
    return "\n".join(lines)


def documented_failures(doc: Path = DOC) -> set[str]:
    """The labels of the cases the document lists as failures (``phrasing.toml#12``)."""
    return set(re.findall(r"^- `([^`]+#\d+)`", documented(doc), flags=re.MULTILINE))


def documented(doc: Path = DOC) -> str:
    """The generated part of the document, as it stands."""
    text = doc.read_text(encoding="utf-8")
    start = text.index(BEGIN) + len(BEGIN)
    return text[start : text.index(END)].strip("\n")


def write(rendered: str, doc: Path = DOC) -> None:
    """Replace the generated part of the document with ``rendered``."""
    text = doc.read_text(encoding="utf-8")
    start = text.index(BEGIN) + len(BEGIN)
    end = text.index(END)
    doc.write_text(f"{text[:start]}\n{rendered}\n{text[end:]}", encoding="utf-8")


def main(argv: Sequence[str]) -> int:
    rendered = render([run(case) for case in load_corpus()])
    if "--write" in argv:
        write(rendered)
    else:
        print(rendered)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
