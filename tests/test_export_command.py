"""`soiree export` end to end: a replayed night into real Redis, exported as SQLite, CSV, JSON.

Each check runs the real `soiree` command in a subprocess against the session's Redis server;
the SQLite file is also opened in a real Datasette (`datasette serve`, on a Unix socket) and read
through its JSON API with `curl`.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from ingest.store.stream_store import StreamStore
from replay.commands.export import PROGRESS_FROM
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.broadcaster import make_update
from ticker.export.formats import write_atomically, write_sqlite

SOIREE = str(Path(sys.executable).with_name("soiree"))


def soiree(redis_url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `soiree ARGS` on the session's Redis and return what it printed."""
    env = {**os.environ, "REDIS_URL": redis_url, "NO_COLOR": "1"}
    return subprocess.run(
        [SOIREE, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60 * TIMEOUT_FACTOR,
        check=check,
    )


@pytest.fixture(scope="module")
def night_stream(redis_url: str) -> str:
    """One `soiree replay --speed max` of the whole night into a stream of its own."""
    stream = f"export:{uuid4().hex}"
    soiree(redis_url, "replay", "--speed", "max", "--no-progress", "--stream", stream)
    return stream


def sqlite_rows(path: Path, query: str) -> list[dict[str, Any]]:
    """The rows of ``query`` on the SQLite file, as dicts."""
    connection = sqlite3.connect(path)
    connection.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in connection.execute(query)]
    finally:
        connection.close()


def shares(rows: list[dict[str, Any]], round: int, scope: str) -> dict[str, float]:
    """Candidate -> pct of one scope and round in the results rows."""
    return {
        row["candidate"]: float(row["pct"])
        for row in rows
        if int(row["round"]) == round and row["scope"] == scope
    }


def test_sqlite_holds_the_final_result_and_the_scopes_with_insee_codes(
    redis_url: str, night_stream: str, tmp_path: Path
) -> None:
    """The SQLite export's results table: 58.72 / 41.28 national, the départements coded."""
    path = tmp_path / "night.sqlite"
    soiree(redis_url, "export", "--stream", night_stream, "--format", "sqlite", "-o", str(path))
    rows = sqlite_rows(path, "SELECT * FROM results")
    assert shares(rows, 2, "national") == {"Benoît Hamon": 58.72, "Manuel Valls": 41.28}
    national = [r for r in rows if r["round"] == 2 and r["scope"] == "national"]
    assert {r["final"] for r in national} == {1}
    assert {r["scope_code"] for r in national} == {"FR"}
    codes = {(r["round"], r["scope"]): (r["scope_code"], r["code_system"]) for r in rows}
    assert codes[(2, "Loire")] == ("42", "insee-departement")
    assert codes[(2, "Lot")] == ("46", "insee-departement")
    assert codes[(2, "Aveyron")] == ("12", "insee-departement")
    assert codes[(1, "Deux-Sèvres")] == ("79", "insee-departement")
    # The same article states the Vienne too (update.more_figures): every scope is a row.
    assert codes[(1, "Vienne")] == ("86", "insee-departement")
    assert shares(rows, 1, "Vienne") == {
        "Benoît Hamon": 35.65,
        "Manuel Valls": 30.24,
        "Arnaud Montebourg": 18.84,
        "Vincent Peillon": 7.53,
        "François de Rugy": 4.84,
    }
    assert shares(rows, 2, "Loire") == {"Benoît Hamon": 60.8, "Manuel Valls": 39.2}
    assert all(r["stream_id"] and r["at"] and r["sources"] for r in rows)
    # The other tables are there, and the meta says which stream and where it stopped.
    meta = {r["key"]: r["value"] for r in sqlite_rows(path, "SELECT * FROM meta")}
    assert meta["stream"] == night_stream
    assert meta["state"] == "over"
    updates = sqlite_rows(path, "SELECT stream_id FROM updates ORDER BY rowid")
    assert meta["last_id"] == updates[-1]["stream_id"]
    turnout = sqlite_rows(path, "SELECT * FROM turnout WHERE scope = 'national' AND round = 2")
    assert [r["voters"] for r in turnout][:2] == [567563, 1306852]
    speeches = sqlite_rows(path, "SELECT * FROM speeches")
    assert speeches
    assert all(r["text"] for r in speeches)


DATASETTE = str(Path(sys.executable).with_name("datasette"))


def datasette_json(socket_path: Path, path: str) -> Any:
    """GET ``path`` from the Datasette on ``socket_path`` with curl, parsed as JSON."""
    curl = shutil.which("curl")
    assert curl is not None, "curl is missing: bash .ci/setup --test installs it"
    result = subprocess.run(
        [curl, "-sS", "--fail", "--unix-socket", str(socket_path), f"http://localhost{path}"],
        capture_output=True,
        text=True,
        timeout=30 * TIMEOUT_FACTOR,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_sqlite_export_opens_as_it_is_in_datasette(
    redis_url: str, night_stream: str, tmp_path: Path
) -> None:
    """`datasette serve night.sqlite` (docs/export.md) serves the results table as it is."""
    path = tmp_path / "night.sqlite"
    soiree(redis_url, "export", "--stream", night_stream, "--format", "sqlite", "-o", str(path))
    socket_path = tmp_path / "datasette.sock"
    server = subprocess.Popen(
        [DATASETTE, "serve", str(path), "--uds", str(socket_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60 * TIMEOUT_FACTOR
        while not socket_path.exists():
            assert server.poll() is None, f"datasette exited: {server.communicate()[1]}"
            assert time.monotonic() < deadline, "datasette never listened"
            time.sleep(0.05)
        rows = datasette_json(
            socket_path, "/night/results.json?_shape=array&round=2&scope=national&_sort=candidate"
        )
        assert [(r["candidate"], r["pct"], r["scope_code"], r["final"]) for r in rows] == [
            ("Benoît Hamon", 58.72, "FR", 1),
            ("Manuel Valls", 41.28, "FR", 1),
        ]
        loire = datasette_json(
            socket_path, "/night/results.json?_shape=array&round=2&scope_code=42"
        )
        assert {r["candidate"]: r["pct"] for r in loire} == {
            "Benoît Hamon": 60.8,
            "Manuel Valls": 39.2,
        }
        tables = {t["name"] for t in datasette_json(socket_path, "/night.json")["tables"]}
        assert {"results", "turnout", "speeches", "updates", "meta"} <= tables
    finally:
        server.terminate()
        try:
            server.wait(timeout=10 * TIMEOUT_FACTOR)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        if server.stderr is not None:
            server.stderr.close()


def test_as_of_2045_gives_the_60_percent_count_in_every_format(
    redis_url: str, night_stream: str, tmp_path: Path
) -> None:
    """--as-of 20:45: the 60 % count, the same rows in SQLite, CSV and JSON."""
    path = tmp_path / "2045.sqlite"
    base = ("export", "--stream", night_stream, "--as-of", "20:45")
    soiree(redis_url, *base, "--format", "sqlite", "-o", str(path))
    from_sqlite = sqlite_rows(path, "SELECT * FROM results")
    national = [r for r in from_sqlite if r["round"] == 2 and r["scope"] == "national"]
    assert {r["counted_pct"] for r in national} == {60.0}
    assert shares(from_sqlite, 2, "national") == {"Benoît Hamon": 58.65, "Manuel Valls": 41.35}
    assert {r["final"] for r in national} == {0}
    assert not [r for r in from_sqlite if r["round"] == 2 and r["scope"] != "national"]

    from_csv = list(csv.DictReader(io.StringIO(soiree(redis_url, *base).stdout)))
    document = json.loads(soiree(redis_url, *base, "--format", "json", "--table", "results").stdout)
    from_json = document["results"]
    assert document["meta"]["as_of"].startswith("2017-01-29T20:45:00")

    def key(row: dict[str, Any]) -> tuple[str, str, str, float, str]:
        return (
            str(row["round"]),
            row["scope"],
            row["candidate"],
            float(row["pct"]),
            row["stream_id"],
        )

    assert (
        [key(r) for r in from_csv] == [key(r) for r in from_sqlite] == [key(r) for r in from_json]
    )
    assert [r["scope_code"] for r in from_csv] == [r["scope_code"] for r in from_json]


def test_as_of_a_stream_id_stops_there(redis_url: str, night_stream: str) -> None:
    """--as-of ID: the state just after that entry; its meta's last id is that entry."""
    everything = json.loads(
        soiree(redis_url, "export", "--stream", night_stream, "--format", "json").stdout
    )
    count = next(
        u
        for u in everything["updates"]
        if u["kind"] == "count" and '"counted_pct": 60' in (u["figures"] or "")
    )
    document = json.loads(
        soiree(
            redis_url,
            "export",
            "--stream",
            night_stream,
            "--format",
            "json",
            "--as-of",
            count["stream_id"],
        ).stdout
    )
    assert document["meta"]["last_id"] == count["stream_id"]
    assert document["updates"][-1]["stream_id"] == count["stream_id"]
    national = [r for r in document["results"] if r["round"] == 2 and r["scope"] == "national"]
    assert {r["counted_pct"] for r in national} == {60}


def test_follow_keeps_the_file_up_to_date_atomically(redis_url: str, tmp_path: Path) -> None:
    """--follow: the file is rewritten as the night goes on; every read of it is whole JSON."""
    stream = f"export:{uuid4().hex}"
    soiree(
        redis_url, "replay", "--speed", "max", "--no-progress", "--stream", stream, "--to", "20:00"
    )
    path = tmp_path / "live.json"
    env = {**os.environ, "REDIS_URL": redis_url, "NO_COLOR": "1"}
    follower = subprocess.Popen(
        [SOIREE, "export", "--stream", stream, "--format", "json", "-o", str(path), "--follow"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30 * TIMEOUT_FACTOR
        while not path.exists():
            assert time.monotonic() < deadline, "the first export never appeared"
            time.sleep(0.05)
        first = json.loads(path.read_text())
        assert shares(first["results"], 2, "national") == {"Benoît Hamon": 58.0}  # an estimate
        soiree(redis_url, "replay", "--speed", "max", "--no-progress", "--stream", stream)
        reads = 0
        while True:
            document = json.loads(path.read_text())  # never half a file
            reads += 1
            if shares(document["results"], 2, "national").get("Benoît Hamon") == 58.72:
                break
            assert time.monotonic() < deadline, "the followed file never reached the end"
            time.sleep(0.02)
        assert document["meta"]["state"] == "over"
    finally:
        follower.send_signal(signal.SIGINT)
        _, errors = follower.communicate(timeout=20 * TIMEOUT_FACTOR)
    assert follower.returncode == 0, errors
    assert [p.name for p in tmp_path.iterdir()] == ["live.json"]  # no temporary file left


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--format", "sqlite"), "--format sqlite needs a file"),
        (("--format", "csv", "--table", "all"), "--format csv holds one table"),
        (("--as-of", "quinze heures"), "--as-of must be a Paris time"),
        (("--follow",), "--follow keeps a file up to date"),
        (("--as-of", "20:45", "--follow", "-o", "x.json"), "exclude each other"),
    ],
)
def test_bad_options_get_one_clear_line(
    redis_url: str, night_stream: str, args: tuple[str, ...], message: str
) -> None:
    """A bad combination of options: exit 1 or 2 and a message saying what to do, no traceback."""
    result = soiree(redis_url, "export", "--stream", night_stream, *args, check=False)
    assert result.returncode in (1, 2)
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_no_temporary_file_is_left_when_the_write_fails(tmp_path: Path) -> None:
    """A write whose rename fails (the destination is a directory) leaves no temporary file."""
    destination = tmp_path / "results.csv"
    destination.mkdir()
    (destination / "kept").write_text("kept")
    with pytest.raises(IsADirectoryError):
        write_atomically(destination, b"new\n")
    with pytest.raises(IsADirectoryError):
        write_sqlite(destination, {}, {})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.csv"]
    assert (destination / "kept").read_text() == "kept"


async def test_a_large_export_shows_a_progress_bar_on_a_terminal_only(
    redis_url: str, store: StreamStore, tmp_path: Path
) -> None:
    """2,000 entries: a bar on a terminal (under `script`), nothing but the summary otherwise."""
    await store.append_many([make_update(n) for n in range(PROGRESS_FROM)])
    path = tmp_path / "big.csv"
    command = [SOIREE, "export", "--stream", store.stream, "--table", "updates", "-o", str(path)]
    env = {**os.environ, "REDIS_URL": redis_url, "TERM": "xterm", "COLUMNS": "100"}
    on_terminal = await asyncio.to_thread(
        subprocess.run,
        ["script", "-qec", shlex.join(command), "/dev/null"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60 * TIMEOUT_FACTOR,
        check=True,
    )
    assert f"{PROGRESS_FROM}/{PROGRESS_FROM}" in on_terminal.stdout
    assert "━" in on_terminal.stdout
    piped = await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, check=True
    )
    assert "━" not in piped.stderr
    assert piped.stderr.startswith(f"soiree export: {PROGRESS_FROM} rows")
    assert len(path.read_text().splitlines()) == PROGRESS_FROM + 1
