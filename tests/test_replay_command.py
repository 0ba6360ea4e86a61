"""End-to-end tests of `soiree replay`, `soiree dump` and `soiree redis`, as a user runs them.

Each test runs the real `soiree` command in subprocesses against an embedded Redis server of
its own data directory (no REDIS_URL), and stops that server when it is done.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

SOIREE = str(Path(sys.executable).with_name("soiree"))


def soiree_env(data_dir: Path) -> dict[str, str]:
    """The environment of a user with no REDIS_URL and a data directory of their own."""
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env["SOIREE_DATA_DIR"] = str(data_dir)
    env["NO_COLOR"] = "1"
    return env


def run_soiree(data_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `soiree ARGS` and return what it printed."""
    return subprocess.run(
        [SOIREE, *args],
        env=soiree_env(data_dir),
        capture_output=True,
        text=True,
        timeout=90,
        check=check,
    )


def dump(data_dir: Path, stream: str) -> list[dict[str, Any]]:
    """The stream as parsed JSON lines."""
    output = run_soiree(data_dir, "dump", "--stream", stream).stdout
    return [json.loads(line) for line in output.splitlines()]


@pytest.fixture
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh data directory whose embedded server is stopped at the end."""
    directory = tmp_path_factory.mktemp("data")
    yield directory
    run_soiree(directory, "redis", "--stop", check=False)


@pytest.fixture(scope="module")
def replayed(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, list[dict[str, Any]]]]:
    """One `soiree replay --speed max --stream night` and its dump, shared by the checks."""
    directory = tmp_path_factory.mktemp("replayed")
    try:
        run_soiree(directory, "replay", "--speed", "max", "--stream", "night")
        yield directory, dump(directory, "night")
    finally:
        run_soiree(directory, "redis", "--stop", check=False)


def by_uid(updates: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Updates keyed by uid."""
    return {update["uid"]: update for update in updates}


def test_every_update_once_in_at_order(replayed: tuple[Path, list[dict[str, Any]]]) -> None:
    """The dump holds the whole night once, ordered by `at`, each with its stream id."""
    _, updates = replayed
    uids = [update["uid"] for update in updates]
    assert len(uids) == len(set(uids))
    assert len([uid for uid in uids if uid.startswith("liveblog:")]) == 45
    assert len([uid for uid in uids if uid.startswith("articles:")]) == 4
    instants = [update["at"] for update in updates]
    from datetime import datetime  # noqa: PLC0415

    assert [datetime.fromisoformat(at) for at in instants] == sorted(
        datetime.fromisoformat(at) for at in instants
    )
    assert all(update["op"] == "add" and "id" in update for update in updates)


def test_replaying_again_appends_nothing(replayed: tuple[Path, list[dict[str, Any]]]) -> None:
    """A second replay into the same stream finds every update already there."""
    directory, updates = replayed
    result = run_soiree(directory, "replay", "--speed", "max", "--stream", "night")
    assert f"0 appended, {len(updates)} already in the stream" in result.stderr
    assert dump(directory, "night") == updates


def test_the_night_s_figures(replayed: tuple[Path, list[dict[str, Any]]]) -> None:
    """20h41 is a count, 17h59 and 13h05 turnout, 19h00 a milestone, 19h24 an estimate."""
    _, updates = replayed
    night = by_uid(updates)
    assert night["liveblog:2041"]["kind"] == "count"
    assert night["liveblog:2041"]["figures"] == {
        "scope": "national",
        "shares": {"Benoît Hamon": 58.65, "Manuel Valls": 41.35},
        "counted_pct": 60,
    }
    turnout_17 = night["liveblog:1759"]
    assert turnout_17["kind"] == "turnout"
    assert turnout_17["figures"]["voters"] == 1306852
    assert turnout_17["figures"]["stations_pct"] == 75
    assert turnout_17["figures"]["previous"]["voters"] == 1_000_000
    assert turnout_17["figures"]["previous"]["stations_pct"] == 70
    assert night["liveblog:1305"]["kind"] == "turnout"
    assert night["liveblog:1305"]["figures"]["voters"] == 567563
    assert night["liveblog:1900"]["kind"] == "milestone"
    assert night["liveblog:1924"]["kind"] == "estimate"


def test_every_scope_an_article_states_is_in_the_stream(
    replayed: tuple[Path, list[dict[str, Any]]],
) -> None:
    """The first-round article's Vienne (seed 003) and the Occitanie article's départements."""
    _, updates = replayed
    night = by_uid(updates)
    poitou = night["articles:439f4ac286a5338c"]
    assert poitou["figures"]["scope"] == "Deux-Sèvres"
    assert poitou["more_figures"] == [
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
        }
    ]
    occitanie = night["articles:e4f46512611fd0ca"]
    assert occitanie["figures"]["shares"] == {"Benoît Hamon": 58.72, "Manuel Valls": 41.28}
    assert [(f["scope"], f["shares"]) for f in occitanie["more_figures"]] == [
        ("Aveyron", {"Benoît Hamon": 54.7}),
        ("Lot", {"Benoît Hamon": 55.6}),
    ]
    loire = night["articles:effb7a1a62648635"]["more_figures"]
    assert [f["scope"] for f in loire] == ["Loire"]


def test_every_quoted_line_is_a_speech(replayed: tuple[Path, list[dict[str, Any]]]) -> None:
    """Each `Name: "..."` line of the two speeches is a speech with its speaker."""
    _, updates = replayed
    night = by_uid(updates)
    valls = ["2052", "2053", "2054", "2055", "2056", "2059", "2100"]
    hamon = ["2101-2", "2102", "2105", "2108"]
    for key in valls:
        assert night[f"liveblog:{key}"]["kind"] == "speech", key
        assert night[f"liveblog:{key}"]["speaker"] == "Manuel Valls", key
    for key in hamon:
        assert night[f"liveblog:{key}"]["kind"] == "speech", key
        assert night[f"liveblog:{key}"]["speaker"] == "Benoît Hamon", key


def test_dump_since_prints_only_what_follows(replayed: tuple[Path, list[dict[str, Any]]]) -> None:
    """`dump --since ID` starts right after ID."""
    directory, updates = replayed
    middle = updates[len(updates) // 2]["id"]
    output = run_soiree(directory, "dump", "--stream", "night", "--since", middle).stdout
    assert [json.loads(line) for line in output.splitlines()] == updates[len(updates) // 2 + 1 :]


def test_dump_refuses_a_bad_since(replayed: tuple[Path, list[dict[str, Any]]]) -> None:
    """A `--since` that is not a stream id is a one-line error, not a traceback."""
    directory, _ = replayed
    result = run_soiree(directory, "dump", "--stream", "night", "--since", "yesterday", check=False)
    assert result.returncode == 1
    assert "since" in result.stderr
    assert "Traceback" not in result.stderr


def test_replay_without_stream_writes_a_new_run(data_dir: Path) -> None:
    """Without --stream each run gets its own stream, reachable as ...:replay:latest."""
    first = run_soiree(data_dir, "replay", "--speed", "max", "--to", "08:00")
    second = run_soiree(data_dir, "replay", "--speed", "max", "--to", "08:00")
    assert "soiree:night:2017-01-29:replay:1" in first.stderr
    assert "soiree:night:2017-01-29:replay:2" in second.stderr
    latest = dump(data_dir, "soiree:night:2017-01-29:replay:latest")
    assert latest
    assert latest == dump(data_dir, "soiree:night:2017-01-29:replay:2")


def test_from_and_to_window(data_dir: Path) -> None:
    """--from catches up what came before at once; --to leaves out what comes after."""
    run_soiree(
        data_dir, "replay", "--speed", "max", "--from", "20:00", "--to", "20h41", "--stream", "w"
    )
    updates = dump(data_dir, "w")
    assert updates[-1]["uid"] in {"liveblog:2041", "results:count-2041"}
    assert "liveblog:0723" in by_uid(updates)
    assert "liveblog:2052" not in by_uid(updates)


def test_bad_options_are_clear_errors(data_dir: Path) -> None:
    """Bad --speed, --from and --max-gap values are one-line errors."""
    for args in (["--speed", "0"], ["--from", "25:99"], ["--max-gap", "-3"]):
        result = run_soiree(data_dir, "replay", *args, "--stream", "x", check=False)
        assert result.returncode == 1, args
        assert "error" in result.stderr
        assert "Traceback" not in result.stderr


def test_two_processes_share_one_embedded_server(data_dir: Path) -> None:
    """Two soiree commands started at once without REDIS_URL start one server between them."""
    env = soiree_env(data_dir)
    processes = [
        subprocess.Popen(
            [SOIREE, "replay", "--speed", "max", "--stream", name],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    for process in processes:
        _, err = process.communicate(timeout=90)
        assert process.returncode == 0, err
    url = run_soiree(data_dir, "redis", "--url").stdout.strip()
    assert url.startswith("unix://")
    servers = subprocess.run(
        ["pgrep", "-f", f"redis-server unixsocket:{url.removeprefix('unix://')}"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    assert len(servers) == 1
    assert len(dump(data_dir, "a")) == len(dump(data_dir, "b")) > 50


def test_replay_survives_a_server_restart(data_dir: Path) -> None:
    """Stop the embedded server between two runs: AOF brings everything back."""
    run_soiree(data_dir, "replay", "--speed", "max", "--stream", "kept", "--to", "18:00")
    before = dump(data_dir, "kept")
    assert run_soiree(data_dir, "redis", "--stop").returncode == 0
    run_soiree(data_dir, "replay", "--speed", "max", "--stream", "kept")
    after = dump(data_dir, "kept")
    assert after[: len(before)] == before
    assert len({update["uid"] for update in after}) == len(after) > len(before)
