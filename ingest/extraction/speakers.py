"""Who a text quotes: speech attribution before and after the quote. Pure.

A quote is text between « », “ ” or " " of at least :data:`MIN_QUOTE_WORDS` words (a quoted word,
"se dit « pleinement » derrière", is no speech). Only the quotes of the text's lead count: its
first paragraph, or the one after a heading; a long text quoting people further down is news
about them. A quote is attributed when a verb of saying (:data:`SAYING_VERBS`: déclarer,
affirmer, lancer, estimer, ajouter, reconnaître, marteler, insister, souligner, assurer,
expliquer, dire...) stands next to it ("se dit « content »" describes, it does not quote):

* after it, the subject after the verb: ``« … », a déclaré X``, ``« … », lance X``,
  ``« …, a estimé X. … »`` (inside the quote, after a comma), ``« … », selon X``;
* after it, inverted with a pronoun: ``« … », a-t-il reconnu``, ``« … », lance-t-elle``;
* before it, the subject before the verb: ``X a estimé que « … »``, ``X a déclaré : « … »``,
  ``X, ému, a lancé à ses partisans : « … »``, ``Selon X, « … »``, ``Pour X, « … »``.

The subject is, in this order: a candidate of the night named there (its full name); a role the
night says who holds (``[roles]`` of the night file: "le président réélu", "la candidate du
FN"); a name of two words or more as written. A pronoun (``a-t-il``, ``elle a ajouté``) stands
for the first candidate (or role holder, or name) of the last sentence before it that names one.
A role the night does not list names nobody: the quote is left unattributed, never guessed.
"""

from __future__ import annotations

import itertools
import re
from typing import Final

from ingest.extraction.document import Document, Mention, is_heading
from ingest.model.night import Night, fold, role_key

__all__ = ["MIN_QUOTE_WORDS", "SAYING_VERBS", "attributed_speaker"]

MIN_QUOTE_WORDS: Final = 4
_LOOK_BACK: Final = 600  # characters a pronoun's antecedent is looked for in
_MAX_QUOTES: Final = 20  # quotes of a lead tried (hostile text may hold thousands)
_MAX_COMMAS: Final = 10  # commas of one quote tried

#: Verbs of saying: (past participle, present third person) of each.
SAYING_VERBS: Final[tuple[tuple[str, str], ...]] = (
    ("déclaré", "déclare"),
    ("affirmé", "affirme"),
    ("lancé", "lance"),
    ("estimé", "estime"),
    ("ajouté", "ajoute"),
    ("reconnu", "reconna[iî]t"),
    ("martelé", "martèle"),
    ("insisté", "insiste"),
    ("souligné", "souligne"),
    ("assuré", "assure"),
    ("expliqué", "explique"),
    ("dit", "dit"),
    ("indiqué", "indique"),
    ("poursuivi", "poursuit"),
    ("répondu", "répond"),
    ("confié", "confie"),
    ("prévenu", "prévient"),
    ("promis", "promet"),
    ("réagi", "réagit"),
    ("déploré", "déplore"),
    ("regretté", "regrette"),
    ("lâché", "lâche"),
    ("commenté", "commente"),
    ("tweeté", "tweete"),
    ("écrit", "écrit"),
    ("ironisé", "ironise"),
    ("dénoncé", "dénonce"),
    ("averti", "avertit"),
    ("jugé", "juge"),
    ("rappelé", "rappelle"),
    ("conclu", "conclut"),
    ("résumé", "résume"),
    ("proclamé", "proclame"),
    ("clamé", "clame"),
    ("répété", "répète"),
    ("précisé", "précise"),
    ("fustigé", "fustige"),
    ("tonné", "tonne"),
    ("glissé", "glisse"),
    ("concédé", "concède"),
    ("admis", "admet"),
    ("exclamé", "exclame"),
    ("félicité", "félicite"),
)

_PARTICIPLE: Final = "(?:" + "|".join(past for past, _ in SAYING_VERBS) + ")"
_PRESENT: Final = "(?:" + "|".join(present for _, present in SAYING_VERBS) + ")"
_ADVERB: Final = r"(?:encore|ensuite|aussi|alors|enfin|également)"
_AUXILIARY: Final = r"(?:a|avait|s['\u2019](?:est|était))"
_PRONOUN: Final = r"(?:il|elle)"
_DASH: Final = r"[-\u2011]"

# After the quote (or after a comma inside it): the verb, then its subject.
_AFTER: Final = re.compile(
    rf"[^\S\n]*,?[^\S\n]*(?:"
    rf"(?P<pronoun>{_AUXILIARY}{_DASH}t{_DASH}{_PRONOUN}(?:\s+{_ADVERB})?\s+{_PARTICIPLE}\b"
    rf"|(?:s['\u2019])?{_PRESENT}{_DASH}(?:t{_DASH})?{_PRONOUN}\b)"
    rf"|(?:{_AUXILIARY}(?:\s+{_ADVERB})?\s+{_PARTICIPLE}|(?:s['\u2019])?{_PRESENT}"
    rf"|selon|d['\u2019]après)(?:\s+{_ADVERB})?[^\S\n]+(?P<subject>[^\n]{{1,120}})"
    rf")",
    re.IGNORECASE,
)
# Before the quote: the verb (and what it is said to), then "que", a colon or a comma.
_BEFORE: Final = re.compile(
    rf"(?:\b{_AUXILIARY}(?:\s+{_ADVERB})?\s+{_PARTICIPLE}|(?<!\bse\s)\b{_PRESENT})"
    r"(?:(?:\s+[^«\"“:.!?\n]{1,60})?\s*:"
    r"|(?:\s+(?:à|au|aux|devant|sur|dans|lors|en|face)\b[^«\"“:.!?\n]{0,60})?"
    r"(?:\s+qu(?:e\s+|['\u2019]\s*)(?:[^\W\d_]+['\u2019]?\s*){0,3}|\s*,)?)[^\S\n]*$",
    re.IGNORECASE,
)
_ACCORDING_BEFORE: Final = re.compile(
    r"\b(?:selon|pour|d['\u2019]après)\s+(?P<subject>[^\n,«\"“]{1,80}?)\s*[,:]\s*$", re.IGNORECASE
)
_PRONOUN_SUBJECT: Final = re.compile(r"\b(?:il|elle)(?:\s*,[^,\n]{1,60},)?\s*$", re.IGNORECASE)
_QUOTE: Final = re.compile(
    r"«(?P<a>[^»]{1,2000})»|“(?P<b>[^”]{1,2000})”|\"(?P<c>[^\"\n]{1,2000})\""
)
_SENTENCE_BREAK: Final = re.compile(r"[.!?…]+[^\S\n]+|\n+")
_SLOT_END: Final = re.compile(r"[.,;:!?«»\"“”()\n]")
_NAME_WORD: Final = r"[A-ZÀ-ÖØ-Þ][^\W\d_]{0,30}(?:[-'\u2019][A-Za-zÀ-ÖØ-öø-ÿ][^\W\d_]{0,30}){0,3}"
_NAME: Final = re.compile(
    rf"\b{_NAME_WORD}(?:(?:[^\S\n]+(?:(?:de|du|des|le|la|van|von|di|da|el|ben)[^\S\n]+"
    rf"|d['\u2019])?){_NAME_WORD}){{0,3}}"
)
# Words that end a description before a name: a name after them is someone else.
_NOT_DESCRIPTION: Final = frozenset(
    (
        *("à", "au", "aux", "sur", "dans", "pour", "après", "avant", "lors", "face", "en"),
        *("avec", "contre", "chez", "depuis", "par", "devant", "entre", "vers", "sans"),
        *("selon", "et", "ou", "mais", "puis", "qui", "que", "dont"),
        # someone of X's, not X: "un proche de François Fillon", "l'entourage de"
        *("proche", "proches", "entourage", "soutien", "soutiens", "partisan", "partisans"),
        *("camp", "équipe", "conseiller", "conseillère", "directeur", "directrice"),
        # "porte" ends "porte-parole" (and "porte-voix"): "parole" alone is never a description
        *("porte", "avocat", "avocate", "fille", "fils", "épouse", "mari"),
    )
)
_MAX_DESCRIPTION_WORDS: Final = 8
# Capitalised at a sentence's start, but no name: "Le Premier ministre", "Ce Conseil". (No
# elided "L'": a name's first word never ends in an apostrophe. No "Elle": the pronoun is never
# followed by a capitalised word, the first name is, as in "Elle Macpherson".)
_NOT_A_NAME: Final = frozenset(
    (
        *("le", "la", "les", "un", "une", "ce", "cet", "cette", "ces"),
        *("son", "sa", "ses", "leur", "notre", "votre", "mon", "ma", "au", "aux", "du", "des"),
        *("de", "en", "dans", "pour", "selon", "sur", "par", "avec", "et", "mais", "il"),
    )
)


def attributed_speaker(document: Document, night: Night) -> str | None:
    """The speaker of the first attributed quote of the text's lead, or None (module doc)."""
    text = document.text
    if not document.paragraphs:
        return None
    lead = document.paragraphs[0]
    if is_heading(text, lead) and len(document.paragraphs) > 1:
        lead = document.paragraphs[1]
    for number, quote in enumerate(_QUOTE.finditer(text, 0, lead.end)):
        if number >= _MAX_QUOTES:
            break
        inside = quote["a"] or quote["b"] or quote["c"] or ""
        if len(inside.split()) < MIN_QUOTE_WORDS:
            continue
        speaker = _after(document, night, quote.end(), before=quote.start())
        if speaker is None:
            commas = re.finditer(",", text[quote.start() : quote.end()])
            for comma in itertools.islice(commas, _MAX_COMMAS):
                speaker = _after(document, night, quote.start() + comma.end(), before=quote.start())
                if speaker is not None:
                    break
        if speaker is None:
            speaker = _before(document, night, quote.start())
        if speaker is not None:
            return speaker
    return None


def _after(document: Document, night: Night, start: int, *, before: int) -> str | None:
    match = _AFTER.match(document.text, start)
    if match is None:
        return None
    if match["pronoun"] is not None:
        return _antecedent(document, night, before) or _named_after(document, night, match.end())
    return _subject(document, night, match.start("subject"))


def _before(document: Document, night: Night, quote_start: int) -> str | None:
    text = document.text
    sentence_start = max(0, quote_start - 300)
    for breaker in _SENTENCE_BREAK.finditer(text, sentence_start, quote_start):
        sentence_start = breaker.end()
    lead = text[sentence_start:quote_start]
    according = _ACCORDING_BEFORE.search(lead)
    if according is not None:
        return _subject(document, night, sentence_start + according.start("subject"))
    verb = _BEFORE.search(lead)
    if verb is None:
        return None
    subject_part = lead[: verb.start()]
    if _PRONOUN_SUBJECT.search(subject_part):
        return _antecedent(document, night, sentence_start)
    return _last_named(document, night, sentence_start, sentence_start + verb.start())


def _subject(document: Document, night: Night, start: int) -> str | None:
    """Who the words from ``start`` name: a candidate, a known role, or a name as written."""
    text = document.text
    slot_end = _SLOT_END.search(text, start, start + 120)
    end = slot_end.start() if slot_end else min(len(text), start + 120)
    slot = text[start:end]
    for mention in _mentions(document):
        if start <= mention.start < end:
            if _describes(text[start : mention.start]):
                return mention.name
            break
    holder = _role_at_start(slot, night)
    if holder is not None:
        return holder
    for name in _NAME.finditer(slot):
        if not _describes(slot[: name.start()]):
            return None
        resolved = _resolved(name.group(), night)
        if resolved is not None:
            return resolved
    return None


def _mentions(document: Document) -> list[Mention]:
    """The candidate mentions that are no part of a longer name ("Maréchal-Le Pen")."""
    text = document.text
    return [
        mention
        for mention in document.mentions
        if mention.start == 0
        or not (text[mention.start - 1].isalpha() or text[mention.start - 1] in "-\u2011")
    ]


def _describes(words: str) -> bool:
    """Whether ``words`` can describe the name after them ("le député de Paris", "l'ancien")."""
    split = re.findall(r"[^\W\d_]+", words.lower())
    return len(split) <= _MAX_DESCRIPTION_WORDS and not _NOT_DESCRIPTION.intersection(split)


def _role_at_start(slot: str, night: Night) -> str | None:
    key = role_key(slot)
    for role, _ in night.roles:
        if key == role or key.startswith(role + " "):
            return night.holder_of(role)
    return None


def _resolved(written: str, night: Night) -> str | None:
    words = written.split()
    while words and fold(words[0]) in _NOT_A_NAME:
        words = words[1:]  # "Le Premier ministre": an article, then a title
    written = " ".join(words)
    candidate = night.candidate_named(written)
    if candidate is not None:
        return candidate
    return written if " " in written else None


def _last_named(document: Document, night: Night, start: int, end: int) -> str | None:
    """The candidate, role holder or name of ``text[start:end]`` nearest its end."""
    text = document.text
    mentions = [m for m in _mentions(document) if start <= m.start and m.end <= end]
    if mentions:
        return mentions[-1].name
    holder = _role_in(text[start:end], night)
    if holder is not None:
        return holder
    names = [
        resolved
        for name in _NAME.finditer(text, start, end)
        if (resolved := _resolved(name.group(), night)) is not None
    ]
    return names[-1] if names else None


def _role_in(words: str, night: Night) -> str | None:
    """The holder of the role named last in ``words``, if the night lists it."""
    folded = " ".join(fold(words).split())
    found = [(folded.rfind(role), role) for role, _ in night.roles]
    found = [(at, role) for at, role in found if at >= 0]
    return night.holder_of(max(found)[1]) if found else None


def _named_after(document: Document, night: Night, start: int) -> str | None:
    """Who the sentence after ``start`` names first ("« … », a-t-il dit. X parlait depuis…")."""
    text = document.text
    following = _SENTENCE_BREAK.search(text, start)
    if following is None:
        return None
    end = _SENTENCE_BREAK.search(text, following.end())
    return _first_named(document, night, following.end(), end.start() if end else len(text))


def _first_named(document: Document, night: Night, start: int, end: int) -> str | None:
    """The first candidate, else role holder, else name of ``text[start:end]``."""
    mentions = [m for m in _mentions(document) if start <= m.start and m.end <= end]
    if mentions:
        return mentions[0].name
    holder = _role_in(document.text[start:end], night)
    if holder is not None:
        return holder
    for name in _NAME.finditer(document.text, start, end):
        resolved = _resolved(name.group(), night)
        if resolved is not None:
            return resolved
    return None


def _antecedent(document: Document, night: Night, before: int) -> str | None:
    """Who a pronoun at ``before`` stands for: the first one named in the last sentence before
    it that names someone."""
    text = document.text
    window = max(0, before - _LOOK_BACK)
    breaks = [window] + [m.end() for m in _SENTENCE_BREAK.finditer(text, window, before)]
    for sentence_start, sentence_end in zip(
        reversed(breaks), [before, *reversed(breaks[1:])], strict=True
    ):
        named = _first_named(document, night, sentence_start, sentence_end)
        if named is not None:
            return named
    return None
