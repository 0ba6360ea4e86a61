"""The extraction corpus (``tests/data/extraction_corpus``): each sentence extracts as the
documentation says, and ``docs/extraction.md`` prints what the measuring tool computes now."""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from ingest.extraction.extract import extract
from ingest.extraction.institutes import institute_of
from ingest.model.night import NightError, night_from_mapping
from ingest.model.update import Kind
from tests.extraction_corpus import (
    CORPUS_DIR,
    Case,
    CorpusError,
    Outcome,
    documented,
    documented_failures,
    load_corpus,
    render,
    run,
)

CASES = load_corpus()


@cache
def _outcomes() -> list[Outcome]:
    return [run(case) for case in CASES]


@pytest.mark.parametrize("case", CASES, ids=[case.label for case in CASES])
def test_corpus_case(case: Case) -> None:
    """Each case is right, but for the failures docs/extraction.md lists (and those are wrong)."""
    outcome = run(case)
    assert outcome.right == (case.label not in documented_failures()), (outcome.wrong, outcome.got)


def test_the_document_prints_what_the_tool_measures_now() -> None:
    """The table and failures of docs/extraction.md are the tool's output on today's rules."""
    assert documented() == render(_outcomes())


def test_every_class_has_fifteen_sentences_in_several_styles() -> None:
    """At least 15 sentences per class of the phrasing corpus, written in every style."""
    phrasing = [case for case in CASES if case.file.startswith("phrasing")]
    per_class = Counter(case.klass for case in phrasing)
    assert len(per_class) >= 8
    assert min(per_class.values()) >= 15, per_class
    assert {case.style for case in phrasing} == {"wire", "regional", "site", "tv"}


def test_a_broken_corpus_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('[[cases]]\ntext = "x"\nclass = "c"\nnight = "nope"\n')
    with pytest.raises(CorpusError, match=r"bad.toml: cases\[0\]: unknown night 'nope'"):
        load_corpus(tmp_path)
    assert CORPUS_DIR.is_dir()


_NIGHT = {
    "slug": "t",
    "date": "2022-04-24",
    "round": 2,
    "timezone": "Europe/Paris",
    "candidates": [{"name": "Emmanuel Macron", "aliases": ["Macron"]}, {"name": "Marine Le Pen"}],
}


def test_a_role_resolves_only_when_the_night_lists_it() -> None:
    """ "le président réélu" names Emmanuel Macron with a [roles] entry, and nobody without."""
    text = "« Je suis désormais le président de tous », a déclaré le président réélu."
    with_roles = night_from_mapping({**_NIGHT, "roles": {"Le président réélu": "Macron"}})
    assert with_roles.holder_of("président réélu") == "Emmanuel Macron"
    assert extract(text, with_roles).speaker == "Emmanuel Macron"
    without = night_from_mapping(_NIGHT)
    assert extract(text, without).kind is Kind.NEWS
    assert extract(text, without).speaker is None


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        (["président"], "roles must be a table"),
        ({"président élu": ""}, "roles.'président élu' must name its holder"),
        ({"président élu": 3}, "roles.'président élu' must name its holder"),
        ({"le président élu": "A", "Président élu": "B"}, "is given twice"),
    ],
)
def test_bad_roles_are_errors(roles: object, message: str) -> None:
    with pytest.raises(NightError, match=message):
        night_from_mapping({**_NIGHT, "roles": roles})


@pytest.mark.parametrize(
    ("text", "institute"),
    [
        ("selon l'estimation Ipsos-Sopra Steria", "Ipsos"),
        ("L'IFOP donne", "Ifop"),
        ("Kantar Sofres-OnePoint", "Kantar"),
        ("d'après Elabe pour BFMTV", "Elabe"),
        ("selon un sondage", None),
        ("une csa de quartier", None),
    ],
)
def test_institute_names(text: str, institute: str | None) -> None:
    assert institute_of(text) == institute


@pytest.mark.parametrize(
    "text",
    [
        "appelle " + "a" * 5000 + " voter",
        "« " * 10000,
        "« un deux trois quatre, cinq, a-t-il dit. " * 800,
        "Emmanuel Macron. " * 3000 + "« un deux trois quatre », a-t-il dit.",
        "Il. " * 5000 + "« un deux trois quatre », a-t-elle dit.",
        "a déclaré " * 3000 + "« un deux trois quatre »",
        "« " + "mot, " * 5000 + "»",
        "Emmanuel Macron devance Marine Le Pen " * 1000 + " avec 58 %",
        "le président sortant " * 3000 + ": « un deux trois quatre »",
    ],
    ids=[
        "long-word",
        "quotes",
        "many-quotes",
        "names",
        "pronouns",
        "verbs",
        "commas",
        "ranks",
        "roles",
    ],
)
def test_repetitive_text_ends(text: str) -> None:
    """Texts built to make the speaker, call and leader rules backtrack still extract."""
    night = CASES[0].night
    found = extract(text, night)
    assert found.kind in set(Kind)
    assert found.speaker is None or len(found.speaker) <= 200
