"""`soiree replay --night 2017-05-07` end to end, and the board the replayed stream gives.

A real replay into the embedded Redis of a data directory of the test's own, read back with
`soiree dump`; the board is :class:`ticker.board.night_board.NightBoard` fed that dump, as the
broadcaster and the ticker feed it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ingest.model.update import Update
from tests.cli_process import soiree, soiree_env
from ticker.board.board_values import Board, NightState
from ticker.board.night_board import NightBoard
from ticker.export.scope_codes import scope_code

MACRON, LE_PEN = "Emmanuel Macron", "Marine Le Pen"
STREAM = "may7"


def run(data_dir: Path, *args: str) -> str:
    """Run `soiree ARGS` on the data directory; fail with its stderr if it fails."""
    result = soiree(*args, env=soiree_env(data_dir, NO_COLOR="1"), timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[Any]]]:
    """One replay of the night at full speed: what it printed and the dumped stream."""
    data_dir = tmp_path_factory.mktemp("may7")
    try:
        printed = run(
            data_dir, "replay", "--night", "2017-05-07", "--speed", "max", "--stream", STREAM
        )
        dumped = run(data_dir, "dump", "--stream", STREAM)
        yield printed, [json.loads(line) for line in dumped.splitlines() if line.startswith("{")]
    finally:
        soiree("redis", "--stop", env=soiree_env(data_dir))


@pytest.fixture(scope="module")
def board(replayed: tuple[str, list[Any]]) -> Board:
    """The board after the whole night, as the ticker computes it for the night's round."""
    night_board = NightBoard(round=2, early_hour=5)
    for data in replayed[1]:
        night_board.apply(Update.from_json({k: v for k, v in data.items() if k != "id"}))
    return night_board.board()


def test_the_replay_plays_the_whole_night(replayed: tuple[str, list[Any]]) -> None:
    """Every entry, article and checkpoint once, in time order."""
    printed, updates = replayed
    assert "Présidentielle, second tour - 7 mai 2017" in printed
    uids = [update["uid"] for update in updates]
    assert len(uids) == len(set(uids)) == 34 + 3 + 4
    instants = [datetime.fromisoformat(update["at"]) for update in updates]
    assert instants == sorted(instants)


def test_entries_after_midnight_are_dated_8_may_in_summer_time(
    replayed: tuple[str, list[Any]],
) -> None:
    """00h20 to 01h10 are on Monday 8 May; every instant of the night is at +02:00."""
    updates = {update["uid"]: update for update in replayed[1]}
    for key in ("0020", "0025", "0050", "0110"):
        at = updates[f"liveblog:{key}"]["at"]
        assert at == f"2017-05-08T{key[:2]}:{key[2:]}:00+02:00"
    assert updates["liveblog:2340"]["at"] == "2017-05-07T23:40:00+02:00"
    assert all(update["at"].endswith("+02:00") for update in updates.values())


def test_the_board_ends_on_the_final_result(board: Board) -> None:
    """Round 2, final: Macron 66.10, Le Pen 33.90, stated by the liveblog and the results feed."""
    assert board.round == 2
    # The final count is on 8 May after midnight and the last update the same morning: the
    # night is final; it would be over only with an update of the morning after that day.
    assert board.state is NightState.FINAL
    current = board.current
    assert current is not None
    assert current.final
    assert [(row.name, row.pct) for row in current.rows] == [(MACRON, 66.1), (LE_PEN, 33.9)]
    assert board.history == ()


def test_the_turnout_series_is_the_three_official_rates(board: Board) -> None:
    """28.23 at 12:00, 65.30 at 17:00, then 74.56 final (with 25.44 abstention), in order."""
    rates = [point.figures.rate_pct for point in board.turnout]
    distinct = [rate for index, rate in enumerate(rates) if index == 0 or rates[index - 1] != rate]
    assert distinct == [28.23, 65.3, 74.56]
    assert [point.figures.as_of for point in board.turnout[:2]] == ["12:00", "17:00"]
    noon = board.turnout[0]
    assert sorted(noon.sources) == ["liveblog", "results"]
    final = next(point for point in board.turnout if point.figures.rate_pct == 74.56)
    assert final.figures.abstention_pct == 25.44
    assert final.at.isoformat() == "2017-05-08T00:25:00+02:00"


def test_a_quote_after_a_name_is_the_night_s_speech(
    replayed: tuple[str, list[Any]], board: Board
) -> None:
    """21h10 "Emmanuel Macron : « … »" is a speech of his, and the board lists it."""
    updates = {update["uid"]: update for update in replayed[1]}
    assert updates["liveblog:2110"]["kind"] == "speech"
    assert updates["liveblog:2110"]["speaker"] == MACRON
    assert "liveblog:2110" in [speech.uid for speech in board.speeches]


#: The six départements the night's liveblog gives, Macron then Le Pen (fixture README).
DEPARTEMENTS = {
    "Paris": (89.68, 10.32),
    "Aisne": (47.09, 52.91),
    "Pas-de-Calais": (47.95, 52.05),
    "Nord": (56.9, 43.1),
    "Val-de-Marne": (80.32, 19.68),
    "Seine-et-Marne": (63.86, 36.14),
}


def test_the_board_has_the_departement_table(board: Board) -> None:
    """The six départements of the liveblog, each its own row with its ministry figures."""
    rows = {
        scope.scope: scope
        for scope in board.scopes
        if scope.level == "département" and scope.count is not None
    }
    assert sorted(rows) == sorted(DEPARTEMENTS)
    for name, (macron, le_pen) in DEPARTEMENTS.items():
        count = rows[name].count
        assert count is not None
        assert dict(count.figures.shares) == {MACRON: macron, LE_PEN: le_pen}, name
    # Each row is a département, its INSEE code as the export writes it (scope_kind and
    # scope_code in the update are for places below the département only: docs/update.schema.json).
    codes = {name: scope_code(name) for name in rows}
    assert {name: (code.code, code.system) for name, code in codes.items() if code} == {
        "Paris": ("75", "insee-departement"),
        "Aisne": ("02", "insee-departement"),
        "Pas-de-Calais": ("62", "insee-departement"),
        "Nord": ("59", "insee-departement"),
        "Val-de-Marne": ("94", "insee-departement"),
        "Seine-et-Marne": ("77", "insee-departement"),
    }
    assert rows["Aisne"].leader == LE_PEN
    assert rows["Pas-de-Calais"].leader == LE_PEN
    assert rows["Paris"].leader == MACRON


def test_several_departements_in_one_entry_are_all_kept(replayed: tuple[str, list[Any]]) -> None:
    """22h35 gives Pas-de-Calais and Nord, 23h25 Val-de-Marne and Seine-et-Marne: both kept."""
    updates = {update["uid"]: update for update in replayed[1]}
    for key, scopes in (
        ("2235", ["Pas-de-Calais", "Nord"]),
        ("2325", ["Val-de-Marne", "Seine-et-Marne"]),
    ):
        update = updates[f"liveblog:{key}"]
        stated = [update["figures"]["scope"]] + [f["scope"] for f in update.get("more_figures", [])]
        assert stated == scopes
