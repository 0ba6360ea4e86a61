"""Every word of every extraction vocabulary is needed by at least one test sentence.

``tests/vocabulary_mutants.py`` lists the words (regex alternations and word tables of
``ingest/extraction/extract.py``, ``ingest/extraction/french_numbers.py`` and
``ingest/extraction/departements.py``) and drops each in turn from the source. A word is *reached*
when some sentence of :data:`CORPUS` (the liveblog entries of ``tests/test_extract.py`` and the
sentences of ``tests/test_extract_boundaries.py``; the long seed articles would make the test slow)
extracts differently without it: another kind, speaker,
figure or round, other numbers or ranges, other départements. A word no sentence needs is
either dead (remove it) or lacks a sentence (write one, from how newsrooms write, not tuned to
one fixture). The few words that cannot change anything are listed in :data:`EQUIVALENT` with
the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import pytest

from ingest.extraction.departements import fold_text
from tests import test_extract, test_extract_boundaries
from tests.conftest import TIMEOUT_FACTOR
from tests.vocabulary_mutants import (
    EXTRA_MUTATIONS,
    Extractor,
    Word,
    all_words,
    extractor,
    source_of,
    words_of,
)

NIGHT = test_extract.NIGHT

#: Words whose removal cannot change any extraction, each with the reason.
_CONTRACTED = "never written: French contracts 'à le' / 'à les' to 'au' / 'aux'"
EQUIVALENT: dict[str, str] = {
    "extract._AT_LEAST_BEFORE:un": "'un peu plus de' ends with 'plus de', a lower bound anyway",
    "extract._AT_LEAST_BEFORE:peu": "'un peu plus de' ends with 'plus de', a lower bound anyway",
    "extract._AT_LEAST_BEFORE:les": "never written: French contracts 'de les' to 'des'",
    "extract._LOCAL_MARKERS:le": _CONTRACTED,
    "extract._LOCAL_MARKERS:les": _CONTRACTED,
    "extract._A_PLACE:le": _CONTRACTED,
    "extract._A_PLACE:les": _CONTRACTED,
    "french_numbers._WORD_VALUES:une": "no multiplier is feminine: 'une' never precedes one",
    "french_numbers._WORD_VALUES:1#2": "the value of 'une', which never precedes a multiplier",
}


def _corpus() -> list[str]:
    texts = [case.text for case in test_extract.LIVEBLOG]
    texts += test_extract_boundaries.corpus()
    return texts


CORPUS = _corpus()


def _behaviour(functions: Extractor, text: str) -> str:
    """Everything extraction says of ``text``, as text (mutants' classes are their own)."""
    try:
        return repr(
            (
                functions.extract(text, NIGHT),
                functions.extract_scoped_figures(text, NIGHT),
                functions.find_numbers(text),
                functions.find_ranges(text),
                functions.find_departements(text),
            )
        )
    except Exception as error:  # a mutant may crash: that too is a difference
        return f"raised {type(error).__name__}"


@cache
def _folded(text: str) -> str:
    return fold_text(text)[0]


@cache
def _original(text: str) -> str:
    return _behaviour(_reference(), text)


@cache
def _reference() -> Extractor:
    return extractor()


def _killed(mutated: dict[str, str], could_differ: Callable[[str], bool]) -> bool:
    functions = extractor(mutated)
    return any(
        _behaviour(functions, text) != _original(text) for text in CORPUS if could_differ(text)
    )


def _needle(word: Word) -> str:
    """Text a sentence must hold for the word to matter (its folded letters, less a plural)."""
    folded = _folded(word.text)
    return folded[:-1] if word.kind == "regex" and len(folded) > 3 else folded


def _word_killed(word: Word) -> bool:
    mutated = {word.module: word.mutate(source_of(word.module))}
    if word.kind == "value":
        return _killed(mutated, lambda text: True)
    needle = _needle(word)
    return _killed(mutated, lambda text: needle in _folded(text))


@pytest.mark.slow
@pytest.mark.timeout(600 * TIMEOUT_FACTOR)  # about 20 s of CPU: 500 mutants, 400 sentences
def test_every_vocabulary_word_is_needed_by_a_sentence() -> None:
    """Dropping any word of a vocabulary changes the extraction of at least one sentence."""
    survivors = [
        word.label
        for word in all_words()
        if word.label not in EQUIVALENT and not _word_killed(word)
    ]
    assert survivors == []


def test_every_extra_mutation_is_caught_by_a_sentence() -> None:
    """The U+2212 minus, the number guard and the year guard each change some extraction."""
    survivors = []
    for name, (module, old, new) in EXTRA_MUTATIONS.items():
        source = source_of(module)
        assert source.count(old) == 1, name
        if not _killed({module: source.replace(old, new)}, lambda text: True):
            survivors.append(name)
    assert survivors == []


def test_the_words_listed_are_the_vocabularies() -> None:
    """The listing reads the real vocabularies (a few words each one must hold)."""
    labels = {word.label for word in all_words()}
    for expected in (
        "extract._ESTIMATE_CUE:Ipsos",
        "extract._TURNOUT_CUE:abstention",
        "extract._ROUND_MARKER:eme",
        "extract._APPROX:moins",
        "french_numbers._WORD_VALUES:cent",
        "french_numbers._WORD_VALUES:100",
        "departements.AMBIGUOUS_NAMES:Lot",
    ):
        assert expected in labels
    assert set(EQUIVALENT) <= labels
    assert len(words_of("extract")) > 300
