"""Every word of every extraction vocabulary is needed by at least one test sentence.

``tests/vocabulary_mutants.py`` lists the words (regex alternations and word tables of the
extraction modules, ``ingest/extraction/``; ``docs/mutation.md``) and drops each in turn from its
module's source, loading that module and every module that imports it afresh. A word is *reached*
when some sentence of :data:`CORPUS` (the liveblog entries of ``tests/test_extract.py``, the
sentences of ``tests/test_extract_boundaries.py``, ``tests/test_extract_kinds.py`` and
``tests/test_territories_named.py``, and those of the extraction corpus,
``tests/data/extraction_corpus`` (the figures corpus, ``figures.toml``, included), each read
against its own night; the long seed articles would make the test slow)
extracts differently without it: another kind, speaker,
figure or round, other numbers or ranges, other départements. A word no sentence needs is
either dead (remove it) or lacks a sentence (write one, from how newsrooms write, not tuned to
one fixture). The few words that cannot change anything are listed in :data:`EQUIVALENT` with
the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from types import FunctionType

import pytest

from ingest.extraction.departements import fold_text
from ingest.model.night import Night
from tests import (
    test_extract,
    test_extract_boundaries,
    test_extract_kinds,
    test_extraction_corpus_figures,
    test_territories_named,
)
from tests.conftest import TIMEOUT_FACTOR
from tests.extraction_corpus import load_corpus
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
_OVERSEAS = "an overseas région is found as its département; the ticker reads this name"
_LOWER_BOUND = "'un peu plus de' ends with 'plus de', a lower bound anyway"
EQUIVALENT: dict[str, str] = {
    "count_figures._AT_LEAST_BEFORE:un": _LOWER_BOUND,
    "count_figures._AT_LEAST_BEFORE:peu": _LOWER_BOUND,
    "count_figures._AT_LEAST_BEFORE:les": "never written: French contracts 'de les' to 'des'",
    "scopes._A_PLACE:le": _CONTRACTED,
    "scopes._A_PLACE:les": _CONTRACTED,
    **{
        f"territories.REGIONS:{name}": _OVERSEAS
        for name in ("Guadeloupe", "Martinique", "Guyane", "La Réunion", "Mayotte")
    },
    "french_numbers._WORD_VALUES:une": "no multiplier is feminine: 'une' never precedes one",
    "french_numbers._WORD_VALUES:1#2": "the value of 'une', which never precedes a multiplier",
}


def _corpus() -> list[str]:
    texts = [case.text for case in test_extract.LIVEBLOG]
    texts += test_extract_boundaries.corpus()
    texts += test_extract_kinds.corpus()
    texts += test_territories_named.corpus()
    texts += [case.text for case in _PHRASING]
    texts += [case.text for case in test_extraction_corpus_figures.CASES]
    return texts


# The extraction corpus (tests/data/extraction_corpus), each sentence read against its own night.
_PHRASING = load_corpus()
_NIGHT_OF: dict[str, Night] = {case.text: case.night for case in _PHRASING}
# The figures corpus (tests/data/extraction_corpus/figures.toml) names its own night too.
_NIGHT_OF.update(
    {
        case.text: test_extraction_corpus_figures.NIGHT
        for case in test_extraction_corpus_figures.CASES
    }
)
CORPUS = _corpus()


def _behaviour(functions: Extractor, text: str) -> str:
    """Everything extraction says of ``text``, as text (mutants' classes are their own)."""
    try:
        return repr(
            (
                functions.extract(text, _NIGHT_OF.get(text, NIGHT)),
                functions.extract_scoped_figures(text, _NIGHT_OF.get(text, NIGHT)),
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
@pytest.mark.timeout(600 * TIMEOUT_FACTOR)  # about 20 s of CPU: 900 mutants, 980 sentences
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
        "percent_figures.ESTIMATE_CUE:Ipsos",
        "extract._TURNOUT_CUE:abstention",
        "rounds._ROUND_MARKER:eme",
        "figure_items.APPROX:moins",
        "french_numbers._WORD_VALUES:cent",
        "french_numbers._WORD_VALUES:100",
        "departements.AMBIGUOUS_NAMES:Lot",
        "document._NATIONAL_MARKER:France",
        "territories.REGIONS:Normandie",
        "territories._TAKE_A:Wallis-et-Futuna",
        "speakers._NOT_DESCRIPTION:proche",
        "speakers._NOT_A_NAME:ce",
        "speakers._NAME:ben",
    ):
        assert expected in labels
    assert "territories.REGIONS:28" not in labels  # a code is read by the export, not extraction
    assert set(EQUIVALENT) <= labels
    figures = ("figure_items", "share_owners", "percent_figures", "count_figures", "figures")
    assert (
        sum(len(words_of(module)) for module in ("document", *figures, "rounds", "extract")) > 300
    )


def _reached_modules(functions: Extractor) -> set[str]:
    """The names of the modules whose functions ``functions.extract`` can call, at any depth."""
    seen: set[str] = set()
    pending = [functions.extract.__globals__]
    while pending:
        namespace = pending.pop()
        if namespace["__name__"] in seen:
            continue
        seen.add(namespace["__name__"])
        pending += [
            value.__globals__ for value in namespace.values() if isinstance(value, FunctionType)
        ]
    return seen


def test_a_mutated_module_is_what_every_module_importing_it_calls() -> None:
    """A module loaded afresh, not the real one, is what extract.py calls, at any depth."""
    assert not any(
        name.startswith("_vocabulary_mutant_") for name in _reached_modules(_reference())
    )
    modules = ("departements", "french_numbers", "territories", "rates", "document", "scopes")
    figures = ("figure_items", "share_owners", "percent_figures", "count_figures", "figures")
    for module in (*modules, "rounds", *figures, "extract"):
        reached = _reached_modules(extractor({module: source_of(module)}))
        assert any(name.startswith(f"_vocabulary_mutant_{module}_") for name in reached), module
        assert f"ingest.extraction.{module}" not in reached, module  # the real one is left out
