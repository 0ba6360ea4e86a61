"""extract() at the joints of its rules: where an estimate's cue is, when a quote makes a speech,
which institute is kept, and the figures of the other scopes.

The sentences are written by us, the way wire agencies, regional dailies and TV liveblogs write
an election night (several styles for each rule); ``tests/test_vocabulary_coverage.py`` reads
them too (:func:`corpus`).
"""

from __future__ import annotations

from typing import Any

import pytest

from ingest.extraction.extract import extract
from ingest.model.update import Kind
from tests.test_extract import NIGHT

# -- an estimate's cue in the headline, the shares in the next sentence -----------------------

HEADLINE_CUES = [
    # A cue word, no institute named anywhere.
    (
        "Benoît Hamon largement en tête, selon les premières estimations. Il recueillerait 58 %"
        " des voix contre 42 % pour Manuel Valls.",
        None,
    ),
    (
        "Primaire de la gauche : d'après un sondage sortie des urnes, Benoît Hamon s'impose. Il"
        " obtiendrait 59 % face à Manuel Valls (41 %).",
        None,
    ),
    (
        "Benoît Hamon vainqueur selon des sources PS. Il obtiendrait 60 % contre 40 % pour"
        " Manuel Valls.",
        None,
    ),
    # An institute that is no cue word of its own (case matters for CSA), in the headline only.
    (
        "Primaire : Benoît Hamon nettement devant d'après YouGov. Il obtiendrait 58 % contre 42 %"
        " pour Manuel Valls.",
        "YouGov",
    ),
    (
        "Benoît Hamon l'emporterait selon CSA pour CNews. Il est crédité de 57 % face à Manuel"
        " Valls (43 %).",
        "CSA",
    ),
]


@pytest.mark.parametrize(("text", "institute"), HEADLINE_CUES)
def test_a_cue_in_the_headline_alone_makes_the_next_sentence_an_estimate(
    text: str, institute: str | None
) -> None:
    """The shares' own sentence cites nothing: the headline's cue or institute decides."""
    found = extract(text, NIGHT)
    assert found.kind is Kind.ESTIMATE
    assert found.institute == institute
    assert found.figures is not None
    assert len(found.figures.shares) == 2


def test_without_a_cue_anywhere_the_same_shares_are_a_count() -> None:
    """The headline says only who leads: a count, and no institute is kept."""
    for text in (
        "Benoît Hamon en tête. Il obtient 58 % contre 42 % pour Manuel Valls.",
        "Benoît Hamon largement en tête. Il recueillerait 58 % des voix contre 42 % pour"
        " Manuel Valls.",
    ):
        found = extract(text, NIGHT)
        assert (found.kind, found.institute) == (Kind.COUNT, None)


def test_an_institute_is_kept_for_an_estimate_only() -> None:
    """An institute named beside a count or a turnout is not the update's institute."""
    estimate = extract("Selon l'estimation Ipsos, Benoît Hamon obtient 58 %.", NIGHT)
    assert (estimate.kind, estimate.institute) == (Kind.ESTIMATE, "Ipsos")
    for text in (
        "À 60 % du dépouillement, Benoît Hamon obtient 58 %, bien au-delà des sondages Ifop.",
        "1,2 million de votants à midi, un chiffre que l'Ifop jugeait hors d'atteinte.",
    ):
        assert extract(text, NIGHT).institute is None, text


# -- an attributed quote: a speech, unless figures are what the text reports ------------------


@pytest.mark.parametrize(
    ("text", "round_"),
    [
        (
            "« Nous attendons les premières estimations avec sérénité », a indiqué Christophe"
            " Borgel.",
            2,
        ),
        (
            "« La participation sera notre meilleure alliée », a estimé Christophe Borgel devant"
            " les militants.",
            2,
        ),
        (
            "« Au premier tour, la gauche s'est mobilisée comme jamais », a souligné Christophe"
            " Borgel.",
            1,
        ),
    ],
)
def test_a_quote_attributed_after_it_is_a_speech(text: str, round_: int) -> None:
    """A cue word alone (estimates, participation) does not outweigh the quote; the round is
    the one the quote states, else the night's."""
    found = extract(text, NIGHT)
    assert (found.kind, found.speaker, found.round) == (Kind.SPEECH, "Christophe Borgel", round_)
    assert NIGHT.round == 2


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (
            "« La mobilisation est au rendez-vous », a déclaré Christophe Borgel. À midi, 400.000"
            " votants avaient été recensés.",
            Kind.TURNOUT,
        ),
        (
            "« C'est une belle soirée », s'est réjoui Christophe Borgel, alors que Benoît Hamon"
            " obtient 58 %.",
            Kind.COUNT,
        ),
    ],
)
def test_a_quote_next_to_figures_leaves_them_the_kind(text: str, kind: Kind) -> None:
    """Turnout or shares stated beside the quote: the figures are what the text reports."""
    found = extract(text, NIGHT)
    assert (found.kind, found.speaker) == (kind, None)
    assert found.figures is not None


# -- the figures of the other scopes ----------------------------------------------------------


def _more(text: str) -> list[dict[str, Any]]:
    return [figures.to_json() for figures in extract(text, NIGHT).more_figures]


def test_the_other_scopes_follow_the_primary_figures_in_text_order() -> None:
    """National figures are primary; each département's come after, in the text's order."""
    text = (
        "Au niveau national, 1,2 million de votants à midi. Dans le Lot, 8.000 votants. En"
        " Haute-Garonne, la participation est en hausse de 3 %."
    )
    assert extract(text, NIGHT).figures is not None
    assert _more(text) == [
        {"scope": "Lot", "voters": 8000},
        {"scope": "Haute-Garonne", "change_pct": 3},
    ]
    shares = "Benoît Hamon obtient 58 % au niveau national. Dans l'Hérault, il obtient 61 %."
    assert _more(shares) == [{"scope": "Hérault", "shares": {"Benoît Hamon": 61}}]


def test_no_other_scope_without_figures_or_with_one_scope() -> None:
    """One scope, or none, leaves more_figures empty."""
    assert _more("Benoît Hamon obtient 58 % contre 42 % pour Manuel Valls.") == []
    assert _more("Les bureaux de vote ont ouvert à 9h.") == []
    assert _more("Dans le Lot, 8.000 votants à midi.") == []
    assert extract("Dans le Lot, 8.000 votants à midi.", NIGHT).figures is not None


def corpus() -> list[str]:
    """Every sentence of this module (for the vocabulary coverage test)."""
    texts = [text for text, _ in HEADLINE_CUES]
    for test in (
        test_a_quote_attributed_after_it_is_a_speech,
        test_a_quote_next_to_figures_leaves_them_the_kind,
    ):
        for mark in getattr(test, "pytestmark", []):
            if mark.name == "parametrize":
                texts += [row if isinstance(row, str) else row[0] for row in mark.args[1]]
    return texts
