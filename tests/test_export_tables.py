"""The export's pure core: tables from updates, official scope codes, CSV and JSON forms."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ingest.model.update import Figures, Kind, Op, Previous, Update
from tests.test_board_local import UPDATES
from ticker.export.formats import csv_text, json_text
from ticker.export.scope_codes import scope_code
from ticker.export.tables import AsOf, NightExport, Table

_PARIS = timezone(timedelta(hours=1))
HAMON, VALLS = "Benoît Hamon", "Manuel Valls"


def count(
    n: int,
    *,
    scope: str = "national",
    round: int | None = 2,
    shares: dict[str, float] | None = None,
    hour: int = 21,
    op: Op = Op.ADD,
    uid: str | None = None,
    text: str = "résultats partiels",
) -> Update:
    """A count update with stream id ``1-n``."""
    return Update(
        uid=uid or f"results:{n}",
        at=datetime(2017, 1, 29, hour, n % 60, tzinfo=_PARIS),
        source="results",
        kind=Kind.COUNT,
        text=text,
        seen=datetime(2017, 1, 29, 20, 0, tzinfo=UTC),
        op=op,
        figures=Figures(scope=scope, shares=shares or {HAMON: 58.0, VALLS: 42.0}),
        round=round,
        id=f"1-{n}",
    )


def national(table: Table, round: int) -> dict[str, object]:
    """Candidate -> pct of the national rows of ``round``."""
    return {
        str(row["candidate"]): row["pct"]
        for row in table.records()
        if row["round"] == round and row["scope"] == "national"
    }


@pytest.mark.parametrize(
    ("scope", "code", "system"),
    [
        ("national", "FR", "iso-3166-1"),
        ("Deux-Sèvres", "79", "insee-departement"),
        ("Corse-du-Sud", "2A", "insee-departement"),
        ("La Réunion", "974", "insee-departement"),
        ("Auvergne Rhone Alpes", "84", "insee-region"),
        ("Provence-Alpes-Côte d\u2019Azur", "93", "insee-region"),
        ("Belgique", "BE", "iso-3166-1"),
        ("Paris", "75", "insee-departement"),
        ("Polynésie française", "987", "insee-collectivite"),
        ("Français de l'étranger", "ZZ", "interieur-resultats"),
    ],
)
def test_scopes_carry_their_official_code(scope: str, code: str, system: str) -> None:
    """Départements by INSEE code, régions by INSEE région code, countries by ISO 3166-1."""
    found = scope_code(scope)
    assert found is not None
    assert (found.code, found.system) == (code, system)


def test_a_scope_without_an_official_code_has_none() -> None:
    """A name no code list holds (a city, a made-up place) gets no code, not a guess."""
    assert scope_code("Poitiers") is None
    assert scope_code("") is None


def test_the_results_follow_the_board_and_other_rounds_are_kept_apart() -> None:
    """The round's latest count is the national result; round 1 stays as its own rows."""
    export = NightExport(round=2)
    export.apply_all(
        [
            count(1, round=1, shares={HAMON: 36.03, VALLS: 31.48}, hour=20),
            count(2, shares={HAMON: 58.65, VALLS: 41.35}),
            count(3, shares={HAMON: 58.72, VALLS: 41.28}),
            count(4, scope="Loire", shares={HAMON: 60.8, VALLS: 39.2}),
        ]
    )
    results = export.results()
    assert national(results, 2) == {HAMON: 58.72, VALLS: 41.28}
    assert national(results, 1) == {HAMON: 36.03, VALLS: 31.48}
    loire = [row for row in results.records() if row["scope"] == "Loire"]
    assert [(r["candidate"], r["scope_code"], r["stream_id"]) for r in loire] == [
        (HAMON, "42", "1-4"),
        (VALLS, "42", "1-4"),
    ]


def test_every_scope_of_an_update_is_a_row_and_an_edit_drops_a_scope_no_longer_stated() -> None:
    """``more_figures``: each scope is its own result (and turnout); an edit without it drops it."""
    vienne = Figures(scope="Vienne", shares={HAMON: 35.65, VALLS: 30.24}, voters=11234)
    article = replace(
        count(5, scope="Deux-Sèvres", round=1, uid="articles:poitou"), more_figures=(vienne,)
    )
    export = NightExport(round=2)
    export.apply(article)
    rows = export.tables()["results"].records()
    by_scope = {(r["scope"], r["candidate"]): (r["pct"], r["scope_code"]) for r in rows}
    assert by_scope[("Vienne", HAMON)] == (35.65, "86")
    assert by_scope[("Deux-Sèvres", HAMON)] == (58.0, "79")
    turnout = export.tables()["turnout"].records()
    assert [(r["scope"], r["voters"]) for r in turnout] == [("Vienne", 11234)]
    export.apply(replace(article, op=Op.EDIT, more_figures=(), id="1-6"))
    assert {r["scope"] for r in export.results().records()} == {"Deux-Sèvres"}


def test_turnout_rates_and_their_comparison_are_columns() -> None:
    """rate_pct at as_of, against a rate of an earlier year."""
    rate = Update(
        uid="liveblog:1700",
        at=datetime(2017, 5, 7, 17, 5, tzinfo=_PARIS),
        source="liveblog",
        kind=Kind.TURNOUT,
        text="participation",
        seen=datetime(2017, 5, 7, 15, 5, tzinfo=UTC),
        figures=Figures(rate_pct=65.3, as_of="17:00", previous=Previous(rate_pct=71.96, year=2012)),
        round=2,
        id="1-1",
    )
    export = NightExport(round=2)
    export.apply(rate)
    (row,) = export.tables()["turnout"].records()
    assert (row["rate_pct"], row["as_of"], row["previous_rate_pct"], row["previous_year"]) == (
        65.3,
        "17:00",
        71.96,
        2012,
    )


def test_an_edit_that_changes_the_round_moves_the_figures() -> None:
    """A count edited from round 1 to round 2 leaves round 1's rows (no stale copy)."""
    export = NightExport(round=2)
    export.apply(count(1, round=1, uid="liveblog:7", shares={HAMON: 40.0, VALLS: 30.0}))
    assert national(export.results(), 1) == {HAMON: 40.0, VALLS: 30.0}
    export.apply(count(2, round=2, uid="liveblog:7", op=Op.EDIT, shares={HAMON: 59.0, VALLS: 41.0}))
    assert national(export.results(), 1) == {}
    assert national(export.results(), 2) == {HAMON: 59.0, VALLS: 41.0}


def test_as_of_keeps_the_state_at_a_moment() -> None:
    """As of a time: later updates are left out; as of an id: the stream stops there."""
    updates = [count(1, hour=20), count(2, hour=22, shares={HAMON: 58.72, VALLS: 41.28})]
    at_time = NightExport(round=2, as_of=AsOf(at=datetime(2017, 1, 29, 21, 0, tzinfo=_PARIS)))
    at_time.apply_all(updates)
    assert national(at_time.results(), 2) == {HAMON: 58.0, VALLS: 42.0}
    at_id = NightExport(round=2, as_of=AsOf(stream_id="1-1"))
    at_id.apply_all(updates)
    assert at_id.last_id == "1-1"
    assert national(at_id.results(), 2) == {HAMON: 58.0, VALLS: 42.0}


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"stream_id": "1-1", "at": datetime(2017, 1, 29, tzinfo=UTC)}, {"stream_id": "x"}],
)
def test_as_of_refuses_what_is_not_one_moment(kwargs: dict[str, object]) -> None:
    """Neither or both of id and time, or an id that is not one: a ValueError saying so."""
    with pytest.raises(ValueError, match=r"as of|stream entry id"):
        AsOf(**kwargs)  # type: ignore[arg-type]


def test_csv_never_hands_a_spreadsheet_a_formula_and_agrees_with_json() -> None:
    """Hostile text starting with = is written as text in CSV; JSON keeps it as it is."""
    hostile = '=HYPERLINK("http://example.invalid","clic")'
    export = NightExport(round=2)
    export.apply(count(1, text=hostile))
    table = export.tables()["updates"]
    rows = list(csv.DictReader(io.StringIO(csv_text(table))))
    assert rows[0]["text"] == "'" + hostile
    document = json.loads(json_text({"updates": table}, {"stream": "s"}))
    assert document["updates"][0]["text"] == hostile
    assert document["meta"] == {"stream": "s"}
    assert [r["stream_id"] for r in rows] == [r["stream_id"] for r in document["updates"]]


def test_a_deleted_speech_leaves_the_speeches_table() -> None:
    """Speeches: live ones only, in their latest version, oldest first."""

    def speech(n: int, text: str, op: Op = Op.ADD) -> Update:
        return Update(
            uid=f"liveblog:s{n % 2}",
            at=datetime(2017, 1, 29, 21, n, tzinfo=_PARIS),
            source="liveblog",
            kind=Kind.SPEECH,
            text=text,
            seen=datetime(2017, 1, 29, 20, 0, tzinfo=UTC),
            op=op,
            speaker="Benoît Hamon",
            round=2,
            id=f"2-{n}",
        )

    export = NightExport(round=2)
    export.apply_all([speech(1, "Merci"), speech(2, "Ce soir"), speech(3, "Merci à tous", Op.EDIT)])
    assert [r["text"] for r in export.tables()["speeches"].records()] == ["Ce soir", "Merci à tous"]
    export.apply(speech(4, "Ce soir", Op.DELETE))
    assert [r["text"] for r in export.tables()["speeches"].records()] == ["Merci à tous"]


def test_a_commune_and_a_canton_of_the_night_carry_the_night_file_s_codes() -> None:
    """Schema 3 scopes: the level and the code come from the figures, not from a name list."""
    export = NightExport(round=2)
    export.apply_all(UPDATES)
    rows = export.tables()["results"].records()
    where = {r["scope"]: (r["level"], r["scope_code"], r["code_system"]) for r in rows}
    assert where["canton de Poitiers"] == ("canton", "8611", "insee-canton")
    assert where["national"] == ("national", "FR", "iso-3166-1")
