"""Extraction of kinds, speakers, figures and rounds from the French seed texts.

Every entry of the liveblog seed (004) and its intro is listed below with the text copied
verbatim and the expected extraction; ``test_table_is_the_seed`` checks the table against the
byte-for-byte copy of the seed in ``tests/data/seeds/``. The articles (000-003) are read from
the same copies.
"""

from __future__ import annotations

import time as wallclock
from datetime import time
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.extraction.document import MAX_INPUT_LENGTH, split_time_prefix
from ingest.extraction.extract import Extraction, extract
from ingest.extraction.figures import extract_figures, extract_scoped_figures
from ingest.model.night_file import load_night
from ingest.model.text_cleaning import clean_text
from ingest.model.update import Figures, Kind
from tests.conftest import BUNDLED_NIGHT_DIR, TIMEOUT_FACTOR

ROOT = Path(__file__).resolve().parents[1]
SEEDS = Path(__file__).resolve().parent / "data" / "seeds"
NIGHT = load_night(BUNDLED_NIGHT_DIR / "night.toml")


def seed(prefix: str) -> str:
    """The text of the seed copy whose name starts with ``prefix``."""
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


class Case(NamedTuple):
    """One liveblog entry: its time, its text (verbatim) and the expected extraction."""

    clock: str
    text: str
    kind: Kind
    speaker: str | None = None
    figures: dict[str, Any] | None = None
    round: int | None = None


# The 44 timestamped entries of 004, newest first as in the seed. Decisions on the ambiguous
# ones: 20:22 (Anne Hidalgo "devrait se rendre à la Mutualité") is news, a plan to travel, not a
# declared support; 10:26 (7 000 bureaux "installés") is a milestone carrying its station count;
# 12:05 (turnout of the French abroad) is turnout without figures, since its scope is neither
# national nor a département; 10:24 (ministers who voted) is news, only candidates voting is a
# milestone.
LIVEBLOG: list[Case] = [
    Case(
        "21:15",
        (
            "Benoît Hamon va proposer à Jean-Luc Mélenchon et Yannick Jadot de "
            "construire une majorité gouvernementale"
        ),
        Kind.NEWS,
    ),
    Case(
        "21:09",
        "Benoît Hamon vient de terminer son discours sous les cris de joie de ses supporters",
        Kind.NEWS,
    ),
    Case(
        "21:08",
        'Benoît Hamon: "C\'est à vous de décider quel peuple vous voulez être"',
        Kind.SPEECH,
        speaker="Benoît Hamon",
        round=2,
    ),
    Case(
        "21:05",
        (
            "Benoît Hamon: \"Je veux vous restituer le pouvoir qui n'aurait jamais du "
            'cesser être le vôtre"'
        ),
        Kind.SPEECH,
        speaker="Benoît Hamon",
        round=2,
    ),
    Case(
        "21:02",
        'Benoit Hamon: "Je mesure votre confiance, elle est un élan"',
        Kind.SPEECH,
        speaker="Benoît Hamon",
        round=2,
    ),
    Case(
        "21:01",
        (
            'Benoît Hamon: "Votre mobilisation me donne une force considérable pour '
            'vous vous représenter"'
        ),
        Kind.SPEECH,
        speaker="Benoît Hamon",
        round=2,
    ),
    Case(
        "21:01",
        "Benoît Hamon démarre son discours alors que Manuel Valls n'a pas terminé le sien",
        Kind.NEWS,
    ),
    Case(
        "21:00",
        'Manuel Valls: "Je reste convaincue que la gauche est forte quand elle se dépasse"',
        Kind.SPEECH,
        speaker="Manuel Valls",
        round=2,
    ),
    Case(
        "20:59",
        (
            'Manuel Valls: "Nous refusons que le visage de Marine le Pen soit demain '
            'celui de la France"'
        ),
        Kind.SPEECH,
        speaker="Manuel Valls",
        round=2,
    ),
    Case(
        "20:56",
        'Manuel Valls: "Nous devons rester mobilisés et vigilants"',
        Kind.SPEECH,
        speaker="Manuel Valls",
        round=2,
    ),
    Case(
        "20:55",
        'Manuel Valls: "Les défaites font partie de la vie politique"',
        Kind.SPEECH,
        speaker="Manuel Valls",
        round=2,
    ),
    Case(
        "20:54",
        'Manuel Valls: "Je veux remercier tous ceux qui m\'ont apporté leur suffrage"',
        Kind.SPEECH,
        speaker="Manuel Valls",
        round=2,
    ),
    Case(
        "20:53",
        'Manuel Valls: "Je veux lui souhaiter bonne chance pour le combat qui est devant lui"',
        Kind.SPEECH,
        speaker="Manuel Valls",
        round=2,
    ),
    Case(
        "20:52",
        'Manuel Valls: "Je tiens chaleureusement à féliciter Benoît Hamon, je l\'ai appelé"',
        Kind.SPEECH,
        speaker="Manuel Valls",
        round=2,
    ),
    Case(
        "20:41",
        (
            "Benoît Hamon vainqueur avec 58.65% des voix , annonce la Haute Autorité, "
            "Valls 41.35% , à 60% du dépouillement"
        ),
        Kind.COUNT,
        figures={
            "scope": "national",
            "shares": {"Benoît Hamon": 58.65, "Manuel Valls": 41.35},
            "counted_pct": 60,
        },
        round=2,
    ),
    Case(
        "20:30",
        (
            "Benoît Hamon large vainqueur de la primaire élargie du PS face à Manuel "
            "Valls (sources PS à l'AFP)"
        ),
        Kind.ESTIMATE,
        round=2,
    ),
    Case(
        "20:22",
        (
            "La maire de Paris, Anne Hidalgo, qui avait soutenu Vincent Peillon au "
            "premier tour de la primaire, devrait se rendre à la Mutualité où est "
            "Benoît Hamon"
        ),
        Kind.NEWS,
    ),
    Case(
        "20:02",
        (
            'Jean-Luc Bennahmias se dit "pleinement" derrière Benoît Hamon. Au Point, '
            "il confie: \"L'électorat de cette primaire était très conscient que cette "
            "élection ne donnerait pas le gagnant de la présidentielle, donc ils se "
            "sont dit : Perdu pour perdu, autant voter pour celui qui défend les "
            "valeurs de gauche ! Manuel pouvait faire ce qu'il voulait, ça ne pouvait "
            'pas marcher"'
        ),
        Kind.RALLY,
        round=2,
    ),
    Case("19:58", "Manuel Valls sera le premier à s'exprimer vers 20h30", Kind.NEWS),
    Case("19:56", 'L\'équipe de campagne de Benoît Hamon se dit "sereine"', Kind.NEWS),
    Case(
        "19:48",
        (
            "Manuel Valls vient d'arriver à la maison de l'Amérique latine, d'où il "
            "s'exprimera dans la soirée"
        ),
        Kind.NEWS,
    ),
    Case(
        "19:24",
        "L'institut de sondage OpinionWay donne Benoît Hamon vainqueur à 58%, selon Le Soir",
        Kind.ESTIMATE,
        figures={"scope": "national", "shares": {"Benoît Hamon": 58}},
        round=2,
    ),
    Case(
        "19:06",
        (
            "Selon un sondage sortie des urnes relayé par le site belge Le Soir, "
            "Benoît Hamon serait largement en tête avec un score proche de 60% des "
            "voix."
        ),
        Kind.ESTIMATE,
        figures={"scope": "national", "shares": {"Benoît Hamon": 60}},
        round=2,
    ),
    Case("19:00", "Les bureaux de vote ferment", Kind.MILESTONE, round=2),
    Case(
        "18:46",
        (
            "Le candidat gagnant et le perdant se serreront la main à Solférino pour "
            "la traditionnelle photo de famille. Les résultats définitifs sont "
            "attendus vers 20h30."
        ),
        Kind.NEWS,
    ),
    Case(
        "18:39",
        (
            "Benoît Hamon vainqueur de la primaire, selon des estimations relayées "
            "par le site belge La Libre"
        ),
        Kind.ESTIMATE,
        round=2,
    ),
    Case(
        "18:35",
        (
            "Le président de la LICRA s'indigne d'\"attaques antisémites\" contre "
            "Manuel Valls à Bordeaux:"
        ),
        Kind.NEWS,
    ),
    Case(
        "18:30",
        (
            "Benoît Hamon ne s'attend pas à autre chose que la victoire. Il n'a "
            "d'ailleurs pas rédigé de discours de défaite, assure son entourage, "
            "selon le site belge Le Soir"
        ),
        Kind.NEWS,
    ),
    Case(
        "18:26",
        "Entre 1,7 et 2 millions de votants au final aujourd'hui, selon une estimation du PS",
        Kind.TURNOUT,
        figures={"scope": "national", "voters_low": 1700000, "voters_high": 2000000},
        round=2,
    ),
    Case(
        "18:01",
        "Le PS évoque une hausse de la participation de 23%",
        Kind.TURNOUT,
        figures={"scope": "national", "change_pct": 23},
        round=2,
    ),
    Case(
        "17:59",
        (
            "Participation en hausse à 17h: Sur 75% des bureaux de vote, 1.306.852 "
            "votants contre 1 million la semaine dernière sur 70% des bureaux."
        ),
        Kind.TURNOUT,
        figures={
            "scope": "national",
            "stations_pct": 75,
            "voters": 1306852,
            "as_of": "17:00",
            "previous": {"voters": 1000000, "stations_pct": 70},
        },
        round=2,
    ),
    Case(
        "13:05",
        (
            "Participation en hausse à midi: Sur 75% des bureaux de vote, 567.563 "
            "votants contre 400.000 la semaine dernière sur 63%."
        ),
        Kind.TURNOUT,
        figures={
            "scope": "national",
            "stations_pct": 75,
            "voters": 567563,
            "as_of": "12:00",
            "previous": {"voters": 400000, "stations_pct": 63},
        },
        round=2,
    ),
    Case(
        "12:05",
        (
            "Selon le Lab d'Europe 1, la participation des Français de l'étranger, "
            "qui votent avant ceux de métropole, a doublé par rapport au premier "
            "tour. Près de 12.000 Français avaient participé au premier tour."
        ),
        Kind.TURNOUT,
        figures={"scope": "Français de l'étranger", "previous": {"voters": 12000, "round": 1}},
        round=2,
    ),
    Case(
        "11:22",
        "Arnaud Montebourg se dit «disponible» pour aider Benoît Hamon s'il l'emporte",
        Kind.RALLY,
        round=2,
    ),
    Case("11:21", 'Benoît Hamon se dit "content de la qualité de la campagne"', Kind.NEWS),
    Case("11:12", "Manuel Valls vient de voter à Evry", Kind.MILESTONE, round=2),
    Case(
        "11:09",
        "Benoît Hamon vient de voter à Trappes dans les Yvelines, où il est député",
        Kind.MILESTONE,
        round=2,
    ),
    Case(
        "10:37",
        (
            "Selon France TV Info, François Hollande est à Paris aujourd'hui mais ne "
            'souhaite pas participer à ce scrutin interne. "Il a dit depuis longtemps '
            "que s'il avait voulu participer à la primaire, il aurait été candidat\", "
            "a indiqué l'un de ses proches."
        ),
        Kind.NEWS,
    ),
    Case(
        "10:26",
        "Un peu plus de 7 000 bureaux de vote sont installés partout en France",
        Kind.MILESTONE,
        figures={"scope": "national", "stations": 7000},
        round=2,
    ),
    Case(
        "10:24",
        (
            "Bernard Cazeneuve et Jean-Marc Ayrault ont voté ce dimanche matin. Mais "
            "rappelons que certains membres du gouvernement souhaitent rester "
            "neutres."
        ),
        Kind.NEWS,
    ),
    Case(
        "08:52",
        (
            "Christophe Borgel, l'organisateur de la primaire de la gauche, a reçu "
            'les caméras de France 3 dans sa permanence de Haute-Garonne. "Les '
            "journalistes présents au siège du PS auront sur des ordinateurs mis à "
            'leur disposition les résultats en temps réel", a-t-il annoncé.'
        ),
        Kind.NEWS,
    ),
    Case("08:00", "Ouverture des bureaux de vote pour le second tour", Kind.MILESTONE, round=2),
    Case(
        "07:45",
        (
            "Après les résultats du premier tour, Benoît Hamon fait figure de favori. "
            "Avec 36,03% des voix, il a devancé de près de cinq points Manuel Valls "
            "(31,48%). Outre la dynamique liée à cette première place surprise, les "
            "reports de voix lui sont a priori plus favorables. Le troisième homme, "
            "Arnaud Montebourg (17,52%), a en effet appelé très rapidement à voter "
            "pour Benoît Hamon."
        ),
        Kind.COUNT,
        figures={
            "scope": "national",
            "shares": {"Benoît Hamon": 36.03, "Manuel Valls": 31.48, "Arnaud Montebourg": 17.52},
        },
        round=1,
    ),
    Case(
        "07:23",
        (
            "Après une semaine de campagne, ponctuée par des accrochages, des "
            "meetings et un débat télévisé mercredi soir, les électeurs sont appelés "
            "à départager Benoît Hamon et Manuel Valls, les deux derniers candidats "
            "en lice pour l\u2019investiture de la Belle alliance populaire \u2013 le Parti "
            "socialiste et ses alliés \u2013 à l\u2019élection présidentielle."
        ),
        Kind.NEWS,
    ),
]

INTRO_HEADER = " date 2017-01 29/01 21:16"
INTRO = "\n\n".join(
    [
        (
            "Benoît Hamon remporte largement le second tour de la primaire de la gauche, "
            "devant son adversaire Manuel Valls."
        ),
        (
            "Ce résultat n'est pas une surprise. Arrivé en tête au soir du premier tour, "
            "Benoît Hamon disposait du plus large réservoir de voix, ayant obtenu dès la "
            "semaine dernière le ralliement d'Arnaud Montebourg."
        ),
        (
            "Très rapidement, les premiers ralliements se sont exprimés. Arrivé dernier "
            "dimanche dernier, Jean-Luc Bennahmias, soutien de Manuel Valls mais lui aussi "
            "défenseur du revenu universel, s'est empressé de soutenir le vainqueur de la "
            "soirée."
        ),
        (
            "Dans son discours de victoire, Benoît Hamon a salué une gauche qui « relève la "
            "tête, se tourne vers le futur et veut gagner »."
        ),
        (
            "Il a surtout appelé au rassemblement, non seulement de « tous les socialistes » "
            "mais aussi des candidats d\u2019Europe écologie-Les Verts et de La France insoumise, "
            "Yannick Jadot et Jean-Luc Mélenchon."
        ),
        (
            "« Dès lundi, je proposerai (…) à tous les candidats à cette primaire mais aussi "
            "à tous ceux qui se reconnaissent dans la gauche et l\u2019écologie politique, en "
            "particulier Yannick Jadot et Jean-Luc Mélenchon, de ne penser "
            "qu\u2019à l\u2019intérêt des Français au-delà de nos personnes."
        ),
        (
            "Je leur proposerai de construire ensemble une majorité gouvernementale cohérente "
            "et durable pour le progrès social, écologique et démocratique. »"
        ),
        "Manuel Valls s'est exprimé depuis la Maison de l'Amérique latine .",
        (
            "Il a reconnu sa défaite et «chaleureusement félicité» son adversaire, qui l'a "
            "«emporté nettement»"
        ),
        (
            "«J'ai toujours eu le sens de l'action collective et de la loyauté. Je suis "
            "profondément attaché aux engagements pris."
        ),
        (
            "Benoît Hamon est désormais le candidat de notre famille politique et il lui "
            "appartient de mener à bien la belle mission du rassemblement."
        ),
        (
            "Je veux lui souhaiter bonne chance pour le combat qui est devant lui», a-t-il "
            "lancé devant quelques dizaines de militants. Ce qui sonne comme un "
            "avertissement, tant la réconciliation des deux gauches «irréconciliables» paraît "
            "mal embarquée."
        ),
    ]
)


def entries_of_seed() -> tuple[str, list[tuple[str, str]]]:
    """The intro and the (HH:MM, text) entries of the liveblog seed, parsed line by line."""
    text = seed("004")
    header, _, body = text.partition("\n")
    assert header == INTRO_HEADER
    entries: list[tuple[str, str]] = []
    intro_lines: list[str] = []
    for line in body.split("\n"):
        split = split_time_prefix(line)
        if split is not None:
            entries.append((split[0].strftime("%H:%M"), split[1]))
        elif not entries:
            intro_lines.append(line)
        else:
            assert not line.strip(), f"an entry runs over several lines: {line!r}"
    return "\n".join(intro_lines).strip(), entries


# -- the liveblog, entry by entry -------------------------------------------------------------


def test_table_is_the_seed() -> None:
    """The table holds every entry of the liveblog seed, verbatim and in order, and its intro."""
    intro, entries = entries_of_seed()
    assert len(entries) == 44
    assert [(case.clock, case.text) for case in LIVEBLOG] == entries
    assert intro == INTRO


@pytest.mark.parametrize("case", LIVEBLOG, ids=[f"{c.clock}-{i}" for i, c in enumerate(LIVEBLOG)])
def test_liveblog_entry(case: Case) -> None:
    """Each liveblog entry gets its expected kind, speaker, figures and round."""
    result = extract(case.text, NIGHT)
    assert result.kind is case.kind
    assert result.speaker == case.speaker
    assert (None if result.figures is None else result.figures.to_json()) == case.figures
    assert result.round == case.round


def test_intro_is_news() -> None:
    """The 21:16 intro (headline, recap, quoted speeches) is news about the second round."""
    assert extract(INTRO, NIGHT) == Extraction(Kind.NEWS, round=2)


def test_intro_with_its_header_is_news() -> None:
    """The intro with its "date ... 21:16" header line is news too, with no figures."""
    assert extract(f"{INTRO_HEADER}\n\n{INTRO}", NIGHT) == Extraction(Kind.NEWS, round=2)


def test_kinds_of_the_night_cover_every_kind() -> None:
    """The liveblog exercises every kind a text can be read as (``alert`` is written by the
    alert engine, never read from a source)."""
    assert {case.kind for case in LIVEBLOG} == set(Kind) - {Kind.ALERT}


# -- speeches ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ('Benoit Hamon: "Je mesure votre confiance, elle est un élan"', "Benoît Hamon"),
        ("Manuel Valls : « Les défaites font partie de la vie politique »", "Manuel Valls"),
        ("Valls: “Nous devons rester mobilisés”", "Manuel Valls"),
        (
            'Régis Juanico: "Nous faisons le pari que cette dynamique va se poursuivre"',
            "Régis Juanico",
        ),
        (
            '"Nous faisons le pari que cette dynamique va se poursuivre" - Régis Juanico',
            "Régis Juanico",
        ),
        (
            '"Le choix de Benoît Hamon est une impasse politique" - Maurice Vincent',
            "Maurice Vincent",
        ),
        ("François De Rugy : « Je me prononcerai après les avoir rencontrés »", "François de Rugy"),
    ],
)
def test_speech_speaker(text: str, speaker: str) -> None:
    """A quoted line names its speaker: a candidate's full name, or the name as written."""
    result = extract(text, NIGHT)
    assert result.kind is Kind.SPEECH
    assert result.speaker == speaker
    assert result.figures is None
    assert result.round == 2


@pytest.mark.parametrize(
    "text",
    [
        'Jean-Luc Bennahmias se dit "pleinement" derrière Benoît Hamon.',
        "Benoît Hamon démarre son discours alors que Manuel Valls n'a pas terminé le sien",
        "Participation en hausse à 17h: Sur 75% des bureaux de vote, 567.563 votants.",
        'Au Point, il confie: "Perdu pour perdu"',
        'Attention: "un seul mot n\'est pas un orateur"',
    ],
)
def test_not_a_speech(text: str) -> None:
    """A quote inside a sentence, or a colon after something that is no name, is no speech."""
    assert extract(text, NIGHT).kind is not Kind.SPEECH


# -- time prefixes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "clock", "rest"),
    [
        ("21h15: Benoît Hamon va proposer", time(21, 15), "Benoît Hamon va proposer"),
        ("12H05: Selon le Lab d'Europe 1", time(12, 5), "Selon le Lab d'Europe 1"),
        ("21h15 : Benoît Hamon", time(21, 15), "Benoît Hamon"),
        ("9h05: Les bureaux", time(9, 5), "Les bureaux"),
        ("21h15 - Benoît Hamon", time(21, 15), "Benoît Hamon"),
        ("19h00 Les bureaux de vote ferment", time(19, 0), "Les bureaux de vote ferment"),
        ("  08h00:Ouverture", time(8, 0), "Ouverture"),
        ("00h30: Fin de soirée", time(0, 30), "Fin de soirée"),
    ],
)
def test_split_time_prefix(line: str, clock: time, rest: str) -> None:
    """A leading HHhMM (h or H, with ':', '-' or a space after) splits off as a clock time."""
    assert split_time_prefix(line) == (clock, rest)


@pytest.mark.parametrize(
    "line",
    ["", "Benoît Hamon: 21h15", "25h10: trop tard", "21h75: non", "21h150: non", "2017-01 29/01"],
)
def test_split_time_prefix_rejects(line: str) -> None:
    """Lines that do not open with a valid HHhMM have no time prefix."""
    assert split_time_prefix(line) is None


# -- the articles -----------------------------------------------------------------------------


def figures_json(text: str) -> list[dict[str, Any]]:
    """extract_figures as JSON objects, for exact comparisons."""
    return [figures.to_json() for figures in extract_figures(text, NIGHT)]


def test_article_002_national_and_loire() -> None:
    """002: the national result, then the Loire's, scoped by the paragraphs about the Loire."""
    assert figures_json(seed("002")) == [
        {
            "scope": "national",
            "shares": {"Benoît Hamon": 58.72, "Manuel Valls": 41.28},
            "voters_low": 2_000_000,
        },
        {
            "scope": "Loire",
            "shares": {"Benoît Hamon": 60.8, "Manuel Valls": 39.2},
            "voters": 18501,
            "stations": 65,
            "change_pct": 25.9,
        },
    ]


def test_article_002_leaves_saint_etienne_out() -> None:
    """002: Saint-Étienne's 4503 voters and 64%, and "plusieurs bureaux" at 70%, stay out."""
    (loire,) = [f for f in extract_figures(seed("002"), NIGHT) if f.scope == "Loire"]
    assert loire.voters == 18501
    assert loire.shares["Benoît Hamon"] == 60.8


def test_article_003_first_round_by_departement() -> None:
    """003: Deux-Sèvres and Vienne, every candidate's share and the voters, first round."""
    scoped = extract_scoped_figures(seed("003"), NIGHT)
    assert [item.figures.to_json() for item in scoped] == [
        {
            "scope": "Deux-Sèvres",
            "shares": {"Benoît Hamon": 38.18, "Manuel Valls": 32.3, "Arnaud Montebourg": 17.03},
            "voters": 9046,
        },
        {
            "scope": "Vienne",
            "shares": {
                "Benoît Hamon": 35.65,
                "Manuel Valls": 30.24,
                "Arnaud Montebourg": 18.84,
                "Vincent Peillon": 7.53,
                "François de Rugy": 4.84,
            },
            "voters": 11234,
        },
    ]
    assert [item.round for item in scoped] == [1, 1]


def test_article_001_national_aveyron_lot() -> None:
    """001: the national result, Aveyron and Lot shares, and their approximate voters."""
    assert figures_json(seed("001")) == [
        {"scope": "national", "shares": {"Benoît Hamon": 58.72, "Manuel Valls": 41.28}},
        {"scope": "Aveyron", "shares": {"Benoît Hamon": 54.7}, "voters_low": 10000},
        {"scope": "Lot", "shares": {"Benoît Hamon": 55.6}, "voters_low": 8000},
    ]


def test_article_000_var_first_round() -> None:
    """000: the Var's shares and voters, first round."""
    scoped = extract_scoped_figures(seed("000"), NIGHT)
    assert [item.figures.to_json() for item in scoped] == [
        {"scope": "Var", "shares": {"Manuel Valls": 35, "Benoît Hamon": 32}, "voters": 15000}
    ]
    assert [item.round for item in scoped] == [1]


def test_article_000_commune_figure_is_not_the_departement() -> None:
    """000: La Roque d'Antéron's 55% is not given to the Bouches-du-Rhône (nor nationally)."""
    for figures in extract_figures(seed("000"), NIGHT):
        assert 55 not in figures.shares.values()
        assert figures.scope != "Bouches-du-Rhône" or not figures.shares


@pytest.mark.parametrize(
    ("prefix", "scope", "round_"),
    [("000", "Var", 1), ("001", "national", 2), ("002", "national", 2), ("003", "Deux-Sèvres", 1)],
)
def test_article_primary_figures(prefix: str, scope: str, round_: int) -> None:
    """A whole article is a count; its primary figures are national if any, else the first."""
    result = extract(seed(prefix), NIGHT)
    assert result.kind is Kind.COUNT
    assert result.figures is not None
    assert result.figures.scope == scope
    assert result.round == round_


@pytest.mark.parametrize("prefix", ["000", "001", "002", "003", "004"])
def test_cleaned_text_gives_the_same_extraction(prefix: str) -> None:
    """Updates carry clean_text output (no-break spaces made plain): extraction is unchanged."""
    text = seed(prefix)
    assert extract(clean_text(text), NIGHT) == extract(text, NIGHT)
    assert extract_figures(clean_text(text), NIGHT) == extract_figures(text, NIGHT)


# -- attribution and scope rules --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shares"),
    [
        (
            "Benoît Hamon a recueilli 58,72% des suffrages contre 41,28% pour Manuel Valls",
            {"Benoît Hamon": 58.72, "Manuel Valls": 41.28},
        ),
        (
            "Benoît Hamon vainqueur avec 58.65% des voix , annonce la Haute Autorité, "
            "Valls 41.35% , à 60% du dépouillement",
            {"Benoît Hamon": 58.65, "Manuel Valls": 41.35},
        ),
        (
            "Benoît Hamon est arrivé en tête avec 38,18 % contre 32,3 % à Manuel Valls. "
            "Arnaud Montebourg arrive loin derrière avec 17,03%",
            {"Benoît Hamon": 38.18, "Manuel Valls": 32.3, "Arnaud Montebourg": 17.03},
        ),
        (
            "Suivent Vincent Peillon (7,53%) François de Rugy (4,84%)",
            {"Vincent Peillon": 7.53, "François de Rugy": 4.84},
        ),
        (
            "Après le premier tour, Benoît Hamon fait figure de favori. Avec 36,03% des voix, "
            "il a devancé Manuel Valls (31,48%).",
            {"Benoît Hamon": 36.03, "Manuel Valls": 31.48},
        ),
    ],
)
def test_shares_go_to_the_right_candidate(text: str, shares: dict[str, float]) -> None:
    """A share goes to the name next to it, before or after, as French writes it."""
    (figures,) = extract_figures(text, NIGHT)
    assert dict(figures.shares) == shares


@pytest.mark.parametrize(
    ("text", "name", "value"),
    [
        ("Sur 75% des bureaux de vote, 567.563 votants", "stations_pct", 75),
        ("Benoît Hamon 58.65%, Valls 41.35% , à 60% du dépouillement", "counted_pct", 60),
        (
            "soit une participation en hausse de 25,9 % par rapport au premier tour",
            "change_pct",
            25.9,
        ),
        ("Le PS évoque une baisse de la participation de 4%", "change_pct", -4),
        ("La participation de Benoît Hamon atteint 45% dans le Var", None, 45),
        ("Benoît Hamon obtiendrait 150% des voix", None, 150),
    ],
)
def test_percentages_that_are_not_shares(text: str, name: str | None, value: float) -> None:
    """Stations, counted share, changes and rates are never vote shares; >100% is ignored."""
    data = [figures.to_json() for figures in extract_figures(text, NIGHT)]
    assert all(value not in item.get("shares", {}).values() for item in data)
    if name is None:
        assert all(value not in item.values() for item in data)
    else:
        assert [item[name] for item in data if name in item] == [value]


def test_partial_results_give_the_counted_share() -> None:
    """Partial results "portant sur 60 % des bureaux" give the counted share, not stations."""
    text = (
        "Benoît Hamon arrive en tête avec 36,35 % des voix devant Manuel Valls (31,11 %), "
        "selon des résultats partiels portant sur 60 % des bureaux."
    )
    assert extract(text, NIGHT) == Extraction(
        Kind.COUNT,
        figures=Figures(shares={"Benoît Hamon": 36.35, "Manuel Valls": 31.11}, counted_pct=60),
        round=2,
    )


def test_pollster_makes_an_estimate() -> None:
    """Shares attributed to a named pollster are an estimate, not a count."""
    text = "Selon l'Ifop, Benoît Hamon obtiendrait 55% contre 45% pour Manuel Valls"
    result = extract(text, NIGHT)
    assert result.kind is Kind.ESTIMATE
    assert result.figures is not None
    assert dict(result.figures.shares) == {"Benoît Hamon": 55, "Manuel Valls": 45}


def test_turnout_against_the_first_round() -> None:
    """Voters "contre ... au premier tour" are the comparison point, marked as round 1."""
    text = "Dans le Nord, 45 000 électeurs se sont déplacés, contre 38 000 au premier tour."
    result = extract(text, NIGHT)
    assert result.kind is Kind.TURNOUT
    assert result.figures is not None
    assert result.figures.to_json() == {
        "scope": "Nord",
        "voters": 45000,
        "previous": {"voters": 38000, "round": 1},
    }


def test_paragraph_sets_the_scope_of_later_sentences() -> None:
    """A paragraph that places itself in a département scopes its later figures, not earlier."""
    text = (
        "Plus de deux millions d'électeurs ont voté. Un regain que l'on retrouve dans la Loire. "
        "Au total ce sont 18 501 électeurs qui ont voté dans les 65 bureaux du département.\n\n"
        "Benoît Hamon obtient 58,72% des suffrages."
    )
    assert figures_json(text) == [
        {"scope": "national", "voters_low": 2_000_000, "shares": {"Benoît Hamon": 58.72}},
        {"scope": "Loire", "voters": 18501, "stations": 65},
    ]


def test_heading_sets_the_scope_of_the_next_paragraph() -> None:
    """A heading such as "Vienne : ..." scopes the paragraph right below it, and no further."""
    text = (
        "Vienne : Benoit Hamon devance Manuel Valls\n\n"
        "Benoit Hamon arrive en tête avec 35,65% des voix.\n\n"
        "Manuel Valls obtient 41% des voix."
    )
    assert figures_json(text) == [
        {"scope": "Vienne", "shares": {"Benoît Hamon": 35.65}},
        {"scope": "national", "shares": {"Manuel Valls": 41}},
    ]


def test_genitive_mention_does_not_scope() -> None:
    """A genitive ("le député des Yvelines") names a département without placing figures there."""
    text = "Benoit Hamon gagne. Le député des Yvelines remporte le deuxième tour avec 58,72%."
    assert figures_json(text) == [{"scope": "national", "shares": {"Benoît Hamon": 58.72}}]


def test_number_followed_by_a_departement_belongs_there() -> None:
    """In a paragraph about turnout, "un peu plus de 8.000 dans le Lot" is the Lot's voters."""
    text = (
        "La participation est en forte hausse : 10.000 en Aveyron. "
        "Un peu plus de 8.000 dans le Lot."
    )
    assert figures_json(text) == [
        {"scope": "Aveyron", "voters": 10000},
        {"scope": "Lot", "voters_low": 8000},
    ]


def test_exact_value_replaces_an_approximate_one() -> None:
    """An exact value replaces an approximate one: "plus de 38%" gives way to "38,18 %"."""
    text = (
        "Deux Sèvres : Hamon en tête avec plus de 38% des voix\n\n"
        "En Deux Sèvres, Benoit Hamon est arrivé en tête avec 38,18 %."
    )
    assert figures_json(text) == [{"scope": "Deux-Sèvres", "shares": {"Benoît Hamon": 38.18}}]


def test_french_abroad_are_a_scope_of_their_own() -> None:
    """Turnout of the French abroad is turnout, neither national nor a département's."""
    (entry,) = [case for case in LIVEBLOG if case.clock == "12:05"]
    assert [f.scope for f in extract_figures(entry.text, NIGHT)] == ["Français de l'étranger"]
    assert extract(entry.text, NIGHT).kind is Kind.TURNOUT


def test_first_round_comparison_does_not_set_the_round() -> None:
    """Comparisons ("par rapport au premier tour") do not set the round."""
    text = "Le PS évoque une hausse de la participation de 23% par rapport au premier tour"
    assert extract(text, NIGHT).round == 2


def test_before_the_second_round_means_first_round() -> None:
    """A text written "avant ce second tour" reports first-round figures."""
    text = "Benoît Hamon obtient 36% des voix. Alain Claeys le réaffirme avant ce second tour."
    assert extract(text, NIGHT).round == 1


# -- robustness -------------------------------------------------------------------------------

FRAGMENTS = [
    fragment
    for case in LIVEBLOG
    for fragment in case.text.replace(",", " ,").split(" ")
    if fragment
] + ["dans la Loire", "En Aveyron", "\n\n", "%", "Vienne :", "«", "»", ":", "\u00a0", "A la"]


def assert_valid(result: Extraction) -> None:
    """The extraction satisfies the update model: valid figures, round 1, 2 or None."""
    assert result.round in (None, 1, 2)
    if result.figures is not None:
        assert Figures.from_json(result.figures.to_json()) == result.figures
        assert all(0 <= share <= 100 for share in result.figures.shares.values())
        for count in (result.figures.voters, result.figures.voters_low, result.figures.stations):
            assert count is None or count >= 0
    if result.speaker is not None:
        assert result.speaker.strip()
        assert "\n" not in result.speaker


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_extract_never_raises_on_any_text(text: str) -> None:
    """Any unicode text gives a valid extraction, never an exception."""
    assert_valid(extract(text, NIGHT))
    for figures in extract_figures(text, NIGHT):
        assert Figures.from_json(figures.to_json()) == figures


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.sampled_from(FRAGMENTS),
            st.from_regex(r"[0-9]{1,4}(?:[ .,][0-9]{1,3})?\s?%?", fullmatch=True),
        ),
        max_size=60,
    )
)
def test_extract_never_raises_on_shuffled_seed_words(words: list[str]) -> None:
    """Seed words and numbers in any order give a valid extraction with shares in 0-100."""
    text = " ".join(words)
    assert_valid(extract(text, NIGHT))
    for figures in extract_figures(text, NIGHT):
        assert Figures.from_json(figures.to_json()) == figures


def test_extract_on_empty_and_blank_text() -> None:
    """Empty or blank text is news without anything else."""
    assert extract("", NIGHT) == Extraction(Kind.NEWS)
    assert extract(" \n\n\t ", NIGHT) == Extraction(Kind.NEWS)
    assert extract_figures("", NIGHT) == []


# A bound on a hang, not a speed (speed is `soiree bench`'s): a linear pass over the longest
# text read takes well under a second here; an unbounded or exponential path never ends.
EXTRACTION_DEADLINE = 30 * TIMEOUT_FACTOR


def test_extract_on_a_huge_text_reads_only_its_beginning() -> None:
    """A megabyte of seed text is cut at MAX_INPUT_LENGTH: the rest changes nothing."""
    text = (seed("002") + "\n") * 400
    started = wallclock.perf_counter()
    result = extract(text, NIGHT)
    assert wallclock.perf_counter() - started < EXTRACTION_DEADLINE
    assert result.kind is Kind.COUNT
    assert result == extract(text[:MAX_INPUT_LENGTH], NIGHT)
    assert result != extract(text[: MAX_INPUT_LENGTH // 400], NIGHT)
    tail = "\n21h00: Benoît Hamon 99 %, Manuel Valls 1 %, selon un sondage Ipsos."
    assert extract(text[:MAX_INPUT_LENGTH] + tail, NIGHT) == result


@pytest.mark.parametrize(
    "text",
    [
        "Hamon 1% " * 5000,
        "Hamon " * 4000 + "avec 1% " * 4000,
        "1% " * 14000,
        "Hamon. " * 6000,
        "Hamon 1%\n" * 5000,
        "dans le Lot 10.000 participation " * 1500,
        "à Hamon " * 5000,
    ],
    ids=["name-share", "names-then-shares", "shares", "sentences", "lines", "places", "a-names"],
)
def test_extract_on_repetitive_text_ends(text: str) -> None:
    """Thousands of names, shares, sentences or places in one text are extracted, no hang."""
    started = wallclock.perf_counter()
    assert_valid(extract(text, NIGHT))
    assert wallclock.perf_counter() - started < EXTRACTION_DEADLINE


def test_extract_on_hostile_numbers() -> None:
    """Enormous numbers, percentages over 100 and odd digits never make invalid figures."""
    text = (
        "9" * 500 + " votants, 1e309 %, 101% des voix pour Hamon, ١٢٣ votants, "
        "Entre 5 et 2 millions de votants, 99999999999 votants, à 29h: 12.000 votants"
    )
    result = extract(text, NIGHT)
    assert_valid(result)
    assert result.figures is not None
    # The inverted range is no range; its "2 millions de votants" is the first sound count.
    assert result.figures.to_json() == {"scope": "national", "voters": 2_000_000}
