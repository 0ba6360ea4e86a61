"""The fictional local night (fixtures/2020-06-28-fictional): what extraction and the board make
of a municipal second round with four lists, votes, seats, cantons and communes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from ingest.model.update import Kind, Update
from replay.fixtures import find_night
from replay.night_fixture import WRITTEN
from replay.timeline import night_updates
from tests.cli_process import soiree, soiree_env
from ticker.board.night_board import NightBoard

_SEEN = datetime(2020, 6, 28, 22, 0, tzinfo=UTC)
EN_COMMUN, REUSSIR, ECOLOGIE, ABORD = (
    "Montlaur en commun",
    "Réussir Montlaur",
    "Montlaur écologie",
    "Montlaur d'abord",
)


def updates() -> list[Update]:
    return list(night_updates(find_night("2020-06-28-fictional"), seen=_SEEN))


def test_the_night_says_it_is_fictional_and_every_record_is_written() -> None:
    night = find_night("2020-06-28-fictional")
    readme = (night.directory / "README.md").read_text(encoding="utf-8")
    assert "**This night is fictional.**" in readme
    assert all(entry.seed == WRITTEN for entry in night.liveblog)
    assert night.night.election == "municipal"
    assert night.night.seats is not None
    assert night.night.seats.total == 35


def test_four_shares_of_the_second_round_stay_round_2() -> None:
    final = next(u for u in updates() if u.uid == "liveblog:2015")
    assert final.kind is Kind.COUNT
    assert final.round == 2
    assert final.figures is not None
    assert dict(final.figures.shares) == {
        EN_COMMUN: 41.3,
        REUSSIR: 28.4,
        ECOLOGIE: 17.6,
        ABORD: 12.7,
    }


def test_the_board_has_the_seats_and_the_results_by_canton_and_commune() -> None:
    rule = NightBoard(round=2)
    for update in updates():
        rule.apply(update)
    board = rule.board()
    assert board.current is not None
    assert [row.name for row in board.current.rows] == [EN_COMMUN, REUSSIR, ECOLOGIE, ABORD]
    assert board.seats is not None
    assert dict(board.seats.figures.seats) == {EN_COMMUN: 24, REUSSIR: 6, ECOLOGIE: 3, ABORD: 2}
    assert board.seats.figures.seats_total == 35
    scopes = {scope.scope: scope for scope in board.scopes}
    assert {name: scope.level for name, scope in scopes.items()} == {
        "canton de Montlaur-1": "canton",
        "canton de Montlaur-2": "canton",
        "Saint-Ardoin": "commune",
    }
    canton = scopes["canton de Montlaur-1"].count
    assert canton is not None
    assert dict(canton.figures.votes) == {EN_COMMUN: 3912, REUSSIR: 2301}
    assert canton.figures.scope_code == "8690"
    assert scopes["Saint-Ardoin"].leader == ABORD


def test_totals_and_speakers_by_name_and_by_role() -> None:
    by_uid = {update.uid: update for update in updates()}
    table = by_uid["liveblog:2020"].figures
    assert table is not None
    assert (table.registered, table.voters, table.cast, table.blank, table.null) == (
        21480,
        11902,
        11410,
        318,
        174,
    )
    assert by_uid["liveblog:2040"].speaker == "Claire Vasseur"
    assert by_uid["liveblog:2050"].speaker == "Hélène Marchand"


def test_soiree_replay_plays_the_fictional_night(tmp_path: Path) -> None:
    """`soiree replay --night 2020-06-28-fictional` writes the night's stream: seats, cantons."""
    env = soiree_env(tmp_path, NO_COLOR="1")
    try:
        args = ("replay", "--night", "2020-06-28-fictional", "--speed", "max", "--stream", "local")
        played = soiree(*args, env=env, timeout=120)
        assert played.returncode == 0, played.stderr
        dumped = soiree("dump", "--stream", "local", env=env, timeout=120)
        assert dumped.returncode == 0, dumped.stderr
    finally:
        soiree("redis", "--stop", env=soiree_env(tmp_path))
    rule = NightBoard(round=2)
    for line in dumped.stdout.splitlines():
        if line.startswith("{"):
            data = json.loads(line)
            rule.apply(Update.from_json({k: v for k, v in data.items() if k != "id"}))
    board = rule.board()
    assert board.seats is not None
    assert board.seats.figures.seats_total == 35
    assert {scope.scope for scope in board.scopes} >= {"canton de Montlaur-1", "Saint-Ardoin"}
