"""Hand mutations of the extraction vocabularies, made by program (test_vocabulary_coverage.py).

A *vocabulary* is a regex alternation or a word table that extraction reads (the cues of
``ingest/extraction/document.py``, ``figure_items.py``, ``share_owners.py``,
``percent_figures.py``, ``count_figures.py``, ``figures.py``, ``scopes.py``, ``rates.py``,
``territories.py``, ``rounds.py``, ``extract.py``, ``rallies.py``, ``institutes.py``,
``leads.py``, ``speakers.py``, ``results.py`` and ``local_places.py``, the number
words of ``french_numbers.py``, the ambiguous names and locative words of ``departements.py``, the
names of the régions, collectivités and cities of ``territories.py``). A
*word* is a run of two letters or more in a vocabulary's regex source, outside character classes,
escapes and group syntax, or a string (a key, and separately its value) of a word table. Its
*mutant* is the module's source with that one word dropped: ``(?!)`` written before a regex word
(that branch can never match), a table string renamed to one no text contains, a table value
multiplied by ten. The mutated module, and every module that imports it directly or not, are then
loaded from their sources under private names, each importing the others' loaded copies, and run.

Mutation testing tools such as mutmut do not mutate regex text or table strings: this is the
complement that pins each word to a sentence that needs it.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import tokenize
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any, Final

from ingest.extraction import (
    count_figures,
    departements,
    document,
    extract,
    figure_items,
    figures,
    french_numbers,
    institutes,
    leads,
    local_places,
    percent_figures,
    rallies,
    rates,
    results,
    rounds,
    scopes,
    share_owners,
    speakers,
    territories,
)

#: Per module: the constants that are vocabularies, and how their strings are read.
REGEX: Final = "regex"
TABLE: Final = "table"
#: A table of places: its names are words, its codes (digits: INSEE codes the ticker's export
#: reads, not extraction) are not.
PLACES: Final = "places"
VOCABULARIES: Final[dict[str, dict[str, str]]] = {
    "local_places": {"_COMMUNE_CUE": REGEX},
    "results": {
        "_GIVEN_GAP": REGEX,
        "_VOTES_AFTER": REGEX,
        "_SEATS_AFTER": REGEX,
        "_SEATS_TOTAL_AFTER": REGEX,
        "_TO_FILL_AFTER": REGEX,
        "_REGISTERED_AFTER": REGEX,
        "_CAST_AFTER": REGEX,
        "_BLANK_AFTER": REGEX,
        "_NULL_AFTER": REGEX,
        "_TABLE_LABEL": REGEX,
        "_UNIT": REGEX,
        "_THEN_SHARE": REGEX,
    },
    "document": {
        "_ABBREVIATION": REGEX,
        "_PARTICIPATION_CONTEXT": REGEX,
        "_NATIONAL_MARKER": REGEX,
    },
    "territories": {
        "REGIONS": PLACES,
        "COLLECTIVITES": PLACES,
        "CITIES": PLACES,
        "_TAKE_A": PLACES,
        "_LOCATIVE": REGEX,
        "_ABROAD": REGEX,
    },
    "scopes": {
        "_GAP_WORDS": REGEX,
        "PLACE_GAP": REGEX,
        "_MARKER_GAP": REGEX,
        "_LOCAL_MARKERS": REGEX,
        "_A_PLACE": REGEX,
        "_OTHER_YEAR_OPENING": REGEX,
    },
    "rates": {
        "_GAP": REGEX,
        "_BEFORE_CUES": REGEX,
        "_AFTER_CUES": REGEX,
        "_YEAR": REGEX,
        "_ROUND": REGEX,
    },
    "rounds": {
        "_ROUND_MARKER": REGEX,
        "_BEFORE_SECOND_ROUND": REGEX,
        "_COMPARISON": REGEX,
        "_TOWARDS_SECOND_ROUND": REGEX,
        "_TOWARDS_AFTER": REGEX,
    },
    "figure_items": {
        "APPROX": REGEX,
        "_APPROX_BEFORE": REGEX,
        "CONTRE": REGEX,
        "CONTRE_BEFORE": REGEX,
    },
    "share_owners": {
        "_SHARE_CUE_BEFORE": REGEX,
        "_SHARE_CUE_AFTER": REGEX,
        "_NAME_AFTER_SHARE": REGEX,
        "_PRONOUN_SUBJECT": REGEX,
    },
    "percent_figures": {
        "ESTIMATE_CUE": REGEX,
        "_COUNTED_AFTER": REGEX,
        "_COUNTED_BEFORE": REGEX,
        "_STATIONS_PCT_AFTER": REGEX,
        "_STATIONS_PCT_BEFORE": REGEX,
        "_MENTIONS_STATIONS": REGEX,
        "_CHANGE_BEFORE": REGEX,
        "_FALLING": TABLE,
    },
    "count_figures": {
        "_AT_LEAST_BEFORE": REGEX,
        "_VOTERS_AFTER": REGEX,
        "_PEOPLE_AFTER": REGEX,
        "_NOT_VOTED_AFTER": REGEX,
        "_STATIONS_AFTER": REGEX,
        "_EARLIER_ROUND_AFTER": REGEX,
    },
    "figures": {
        "_AS_OF": REGEX,
    },
    "extract": {
        "_NAME": REGEX,
        "_TURNOUT_CUE": REGEX,
        "_MILESTONE_CUE": REGEX,
        "_CANDIDATE_VOTED": REGEX,
    },
    "rallies": {
        "_SUPPORT": REGEX,
        "_TO_VOTE": REGEX,
        "_CALL": REGEX,
        "_DENIAL_BEFORE": REGEX,
    },
    "leads": {
        "_RANKS": REGEX,
        "_STATED": REGEX,
    },
    "institutes": {
        "INSTITUTES": REGEX,
    },
    "speakers": {
        "SAYING_VERBS": REGEX,
        "_ADVERB": REGEX,
        "_AUXILIARY": REGEX,
        "_PRONOUN": REGEX,
        "_AFTER": REGEX,
        "_BEFORE": REGEX,
        "_ACCORDING_BEFORE": REGEX,
        "_PRONOUN_SUBJECT": REGEX,
        "_NAME": REGEX,
        "_NOT_DESCRIPTION": TABLE,
        "_NOT_A_NAME": TABLE,
    },
    "french_numbers": {
        "_WORD_VALUES": TABLE,
        "_MULTIPLIERS": TABLE,
        "_QUANTITY": REGEX,
        "_RANGE_OPENING": REGEX,
        "_RANGE_LINK": REGEX,
    },
    "departements": {
        "AMBIGUOUS_NAMES": TABLE,
        "_TAKES_A": TABLE,
        "_LOCATIVE_BEFORE": REGEX,
        "_A_BEFORE": REGEX,
    },
}

#: Mutations the word rule does not make, named by what they drop: (module, old, new).
EXTRA_MUTATIONS: Final[dict[str, tuple[str, str, str]]] = {
    "U+2212 minus sign of a change": ("percent_figures", r"[+\-\u2212]", r"[+\-]"),
    "hyphen-minus sign of a change": ("percent_figures", r"[+\-\u2212]", r"[+\u2212]"),
    "plus sign of a change": ("percent_figures", r"[+\-\u2212]", r"[\-\u2212]"),
    "the guard before a number": ("french_numbers", r'r"(?<![\w.,])"', 'r""'),
    "dot and comma in the guard before a number": (
        "french_numbers",
        r'r"(?<![\w.,])"',
        r'r"(?<!\w)"',
    ),
    "the year guard before a département": (
        "count_figures",
        "and not _is_year(number)\n",
        "\n",
    ),
}

_GROUP_SYNTAX: Final = re.compile(r"\(\?(?:P<\w+>|P=\w+\)|[aiLmsux]+[:)]|[:=!]|<[=!])")
_F_FIELD: Final = re.compile(r"\{[^{}]*\}")


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a vocabulary, where it is written in its module's source."""

    module: str
    vocabulary: str
    text: str
    offset: int  # in the module's source
    kind: str  # "regex", "key" or "value"
    occurrence: int = 1  # of the same text in the same vocabulary

    @property
    def label(self) -> str:
        """How the word is named in reports and exclusions: ``module.VOCABULARY:word#n``."""
        suffix = f"#{self.occurrence}" if self.occurrence > 1 else ""
        return f"{self.module}.{self.vocabulary}:{self.text}{suffix}"

    def mutate(self, source: str) -> str:
        """The module's source with this word dropped."""
        end = self.offset + len(self.text)
        assert source[self.offset : end] == self.text
        if self.kind == REGEX:
            replacement = "(?!)" + self.text
        elif self.kind == "key":
            replacement = "\\x00" + self.text  # a NUL first: a string no text holds
        else:
            replacement = str(int(self.text.replace("_", "")) * 10)
        return source[: self.offset] + replacement + source[end:]


#: The extraction modules, each after the ones it imports (the order they are loaded in).
_MODULES: Final[dict[str, types.ModuleType]] = {
    "departements": departements,
    "french_numbers": french_numbers,
    "territories": territories,
    "rates": rates,
    "local_places": local_places,
    "document": document,
    "results": results,
    "scopes": scopes,
    "rounds": rounds,
    "figure_items": figure_items,
    "share_owners": share_owners,
    "percent_figures": percent_figures,
    "count_figures": count_figures,
    "figures": figures,
    "institutes": institutes,
    "rallies": rallies,
    "leads": leads,
    "speakers": speakers,
    "extract": extract,
}
_PACKAGE: Final = "ingest.extraction"


@cache
def source_of(module: str) -> str:
    """The source text of ``ingest.extraction.<module>``, wherever the file is."""
    path = _MODULES[module].__file__
    assert path is not None
    return Path(path).read_text(encoding="utf-8")


@cache
def imports_of(module: str) -> frozenset[str]:
    """The extraction modules ``module``'s source imports from (``from ingest.extraction.x``)."""
    imported = {
        node.module.removeprefix(f"{_PACKAGE}.")
        for node in ast.walk(ast.parse(source_of(module)))
        if isinstance(node, ast.ImportFrom)
        and node.module is not None
        and node.module.startswith(f"{_PACKAGE}.")
    }
    assert imported <= set(_MODULES), imported - set(_MODULES)
    return frozenset(imported)


def _offsets(source: str) -> list[int]:
    starts = [0]
    for line in source.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def _regex_words(body: str, *, f_string: bool) -> Iterator[tuple[int, str]]:
    """Runs of two letters or more in a regex, outside classes, escapes and group syntax."""
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\":
            index += 6 if body.startswith("u", index + 1) else 2
        elif char == "[":
            index += 1
            while index < len(body) and body[index] != "]":
                index += 2 if body[index] == "\\" else 1
            index += 1
        elif f_string and char == "{" and (field := _F_FIELD.match(body, index)):
            index = field.end()
        elif char == "(" and (group := _GROUP_SYNTAX.match(body, index)):
            index = group.end()
        elif char.isalpha():
            end = index
            while end < len(body) and (body[end].isalnum()):
                end += 1
            if end - index >= 2 and not body[index:end].isdigit():
                yield index, body[index:end]
            index = end
        else:
            index += 1


def words_of(module: str) -> list[Word]:
    """Every word of every vocabulary of ``ingest/extraction/<module>.py``, in source order."""
    source = source_of(module)
    wanted = VOCABULARIES[module]
    starts = _offsets(source)
    spans: dict[str, tuple[int, int]] = {}
    for node in ast.parse(source).body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        if isinstance(target, ast.Name) and target.id in wanted:
            assert node.end_lineno is not None
            spans[target.id] = (node.lineno, node.end_lineno)
    assert set(spans) == set(wanted), set(wanted) - set(spans)
    words: list[Word] = []
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    for name, (first, last) in spans.items():
        in_span = [t for t in tokens if first <= t.start[0] <= last]
        for position, token in enumerate(in_span):
            offset = starts[token.start[0] - 1] + token.start[1]
            if token.type != tokenize.STRING:
                continue
            prefix = re.match(r"[A-Za-z]*", token.string)
            assert prefix is not None
            letters = prefix.group().lower()
            quote = token.string[len(letters)]
            triple = token.string[len(letters) :].startswith(quote * 3)
            body_start = len(letters) + (3 if triple else 1)
            body = token.string[body_start : len(token.string) - (body_start - len(letters))]
            if wanted[name] == REGEX:
                for at, text in _regex_words(body, f_string="f" in letters):
                    words.append(Word(module, name, text, offset + body_start + at, REGEX))
                continue
            if wanted[name] == PLACES and body.isdigit():
                continue
            if name in {"_WORD_VALUES", "_MULTIPLIERS"}:
                following = in_span[position + 2] if position + 2 < len(in_span) else None
                if following is not None and following.type == tokenize.NUMBER:
                    value_offset = starts[following.start[0] - 1] + following.start[1]
                    words.append(Word(module, name, following.string, value_offset, "value"))
            words.append(Word(module, name, body, offset + body_start, "key"))
    seen: dict[tuple[str, str], int] = {}
    numbered: list[Word] = []
    for word in words:
        count = seen[word.vocabulary, word.text] = seen.get((word.vocabulary, word.text), 0) + 1
        numbered.append(replace(word, occurrence=count))
    return numbered


def all_words() -> list[Word]:
    """Every word of every vocabulary."""
    return [word for module in VOCABULARIES for word in words_of(module)]


_loaded = 0


@cache
def _original_code(name: str) -> types.CodeType:
    """An unmutated module's code, compiled once (it is loaded again for every mutant below it)."""
    return compile(source_of(name), f"<{name}>", "exec")


def _load(name: str, source: str | None, loaded: dict[str, types.ModuleType]) -> types.ModuleType:
    """Run ``source`` (None: the module's own) as a fresh module named after ``name``, importing
    the ``loaded`` ones.

    While it runs, ``ingest.extraction.<x>`` names the loaded copy of each module in ``loaded``
    in ``sys.modules``, so its ``from ingest.extraction.<x> import ...`` lines bind the loaded
    copies' objects; the real entries are put back afterwards.
    """
    global _loaded  # noqa: PLW0603 - a counter of private module names
    _loaded += 1
    module = types.ModuleType(f"_vocabulary_mutant_{name}_{_loaded}")
    replaced = {f"{_PACKAGE}.{other}": copy for other, copy in loaded.items()}
    saved = {key: sys.modules[key] for key in replaced}
    sys.modules.update(replaced)
    sys.modules[module.__name__] = module
    try:
        code = (
            _original_code(name) if source is None else compile(source, f"<{name} mutant>", "exec")
        )
        exec(code, module.__dict__)
    finally:
        del sys.modules[module.__name__]
        sys.modules.update(saved)
    return module


@dataclass(frozen=True, slots=True)
class Extractor:
    """The extraction functions of one (possibly mutated) set of modules."""

    extract: Callable[..., Any]
    extract_scoped_figures: Callable[..., Any]
    find_numbers: Callable[[str], Any]
    find_ranges: Callable[[str], Any]
    find_departements: Callable[[str], Any]


def extractor(mutated: dict[str, str] | None = None) -> Extractor:
    """The modules, ``mutated`` ones (module -> source) and all that import them loaded afresh.

    Modules are loaded in import order from their sources, mutated or not: a module is loaded
    when it is mutated or imports a loaded one, and then imports the loaded copies; the others
    are the real modules.
    """
    mutated = mutated or {}
    assert set(mutated) <= set(_MODULES), set(mutated) - set(_MODULES)
    loaded: dict[str, types.ModuleType] = {}
    for name in _MODULES:
        imported = imports_of(name)
        assert all(list(_MODULES).index(other) < list(_MODULES).index(name) for other in imported)
        if name in mutated or imported & loaded.keys():
            loaded[name] = _load(name, mutated.get(name), loaded)
    modules: dict[str, Any] = {**_MODULES, **loaded}
    return Extractor(
        extract=modules["extract"].extract,
        extract_scoped_figures=modules["figures"].extract_scoped_figures,
        find_numbers=modules["french_numbers"].find_numbers,
        find_ranges=modules["french_numbers"].find_ranges,
        find_departements=modules["departements"].find_departements,
    )
