"""The figures corpus (tests/data/extraction_corpus/figures.toml), case by case and by class.

Each case's sentence must extract to exactly the figures it lists, unless it says it ``fails``
(a known failure, with its reason, printed in docs/extraction.md): such a case must still fail,
so that a fix is noticed and the case promoted. The corpus is written for classes of sentences
(several styles each), never for one fixture sentence.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.corpus_scores import Case, facts, found_figures, load_corpus, scores

CORPUS_FILE = Path(__file__).parent / "data" / "extraction_corpus" / "figures.toml"
NIGHT, CASES = load_corpus(CORPUS_FILE)
CLASSES = (
    "turnout_rate",
    "abstention",
    "blank_null",
    "several_scopes",
    "places",
    "counted",
    "not_results",
)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.klass}-{i}" for i, c in enumerate(CASES)])
def test_case(case: Case) -> None:
    """The sentence's figures are the ones listed (a known failure still differs)."""
    got = facts(found_figures(case, NIGHT))
    if case.fails:
        assert got != facts(case.figures), f"fixed? promote it: {case.text!r}"
    else:
        assert got == facts(case.figures)


def test_every_class_has_several_styles_and_cases() -> None:
    """Each class holds at least five cases in at least three styles."""
    for klass in CLASSES:
        of_class = [case for case in CASES if case.klass == klass]
        assert len(of_class) >= 5, klass
        assert len({case.style for case in of_class}) >= 3, klass
    assert {case.klass for case in CASES} == set(CLASSES)


def test_numbers_that_are_not_results_never_become_results() -> None:
    """Registered voters, police counts, times, ages, years: no share, no voters, no rate."""
    for case in CASES:
        if case.klass != "not_results":
            continue
        for figures in found_figures(case, NIGHT):
            assert not {"shares", "voters", "rate_pct", "voters_low"} & figures.keys(), case.text


def test_precision_stays_high() -> None:
    """Per class, at least 0.9 of what extraction finds is expected (it may miss, not invent)."""
    for score in scores(NIGHT, CASES):
        assert score.precision >= 0.9, score
