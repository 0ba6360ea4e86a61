"""The export of a local night: vote and seat columns in the results table (CSV and JSON), the
council's seats as rows of their own, cantons and communes with their votes and codes.

The fictional municipal night (``fixtures/2020-06-28-fictional``): the tables (pure), then
``/export/results.csv`` and ``.json`` of a real broadcaster on a real Redis stream.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import aiohttp

from ingest.store.stream_store import StreamStore
from replay.fixtures import find_night
from replay.timeline import night_updates
from tests.plugins.broadcaster import BroadcasterStarter
from ticker.commands.serve import night_info
from ticker.export.tables import NightExport, Value

NIGHT = "2020-06-28-fictional"
_SEEN = datetime(2020, 6, 28, 22, 0, tzinfo=UTC)
EN_COMMUN, REUSSIR = "Montlaur en commun", "Réussir Montlaur"


def results() -> list[dict[str, Value]]:
    export = NightExport(round=2)
    export.apply_all(night_updates(find_night(NIGHT), seen=_SEEN))
    return export.results().records()


def test_seats_have_rows_with_the_seats_and_their_total() -> None:
    rows = [r for r in results() if r["scope"] == "national" and r["seats"] is not None]
    assert [(r["candidate"], r["seats"], r["seats_total"], r["pct"]) for r in rows] == [
        (EN_COMMUN, 24, 35, None),
        (REUSSIR, 6, 35, None),
        ("Montlaur écologie", 3, 35, None),
        ("Montlaur d'abord", 2, 35, None),
    ]
    assert {r["level"] for r in rows} == {"national"}
    assert all(r["final"] is None and r["kind"] == "count" for r in rows)


def test_the_current_result_keeps_its_shares_and_has_no_seats() -> None:
    rows = [r for r in results() if r["scope"] == "national" and r["pct"] is not None]
    assert [(r["candidate"], r["pct"], r["seats"]) for r in rows] == [
        (EN_COMMUN, 41.3, None),
        (REUSSIR, 28.4, None),
        ("Montlaur écologie", 17.6, None),
        ("Montlaur d'abord", 12.7, None),
    ]
    assert all(r["final"] is True for r in rows)


def test_a_canton_has_its_votes_beside_its_shares_and_its_code() -> None:
    rows = [r for r in results() if r["scope"] == "canton de Montlaur-1"]
    assert [(r["candidate"], r["pct"], r["votes"]) for r in rows] == [
        (EN_COMMUN, 44.2, 3912),
        (REUSSIR, 26.0, 2301),
    ]
    assert {(r["level"], r["scope_code"], r["code_system"]) for r in rows} == {
        ("canton", "8690", "insee-canton")
    }


async def test_the_broadcaster_s_export_has_the_vote_and_seat_columns(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    night = find_night(NIGHT)
    await store.append_many(night_updates(night, seen=_SEEN))
    running = await start_broadcaster(night=night_info(night.night))
    async with aiohttp.ClientSession() as session:
        async with session.get(running.http_url("/export/results.csv")) as response:
            assert response.status == 200, await response.text()
            text = await response.text()
        async with session.get(running.http_url("/export/results.json")) as response:
            assert response.status == 200, await response.text()
            data = json.loads(await response.text())
    table = list(csv.DictReader(io.StringIO(text)))
    header = text.splitlines()[0].split(",")
    assert header[header.index("pct") + 1 : header.index("pct") + 4] == [
        "votes",
        "seats",
        "seats_total",
    ]
    seats = {r["candidate"]: (r["seats"], r["seats_total"]) for r in table if r["seats"]}
    assert seats[EN_COMMUN] == ("24", "35")
    canton = {r["candidate"]: r["votes"] for r in table if r["scope"] == "canton de Montlaur-1"}
    assert canton == {EN_COMMUN: "3912", REUSSIR: "2301"}
    json_seats = {
        r["candidate"]: (r["seats"], r["seats_total"]) for r in data["results"] if r["seats"]
    }
    assert json_seats[EN_COMMUN] == (24, 35)
    assert len(json_seats) == 4
