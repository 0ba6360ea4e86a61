"""``soiree night check`` / ``new``, and ``--night path/to/night.toml`` in serve and ticker.

Real processes, a real Redis server, the real broadcaster's websocket: a night file alone (no
replay fixture) is enough to serve and show a night.
"""

from __future__ import annotations

import asyncio
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from selenium import webdriver

from ingest.cli import build_parser
from ingest.commands.night_cli import NewOptions
from ingest.commands.night_new import Answers, parse_candidate, skeleton
from ingest.model.night_file import load_night, night_from_text
from tests.cli_process import MAIN, soiree, soiree_env
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.broadcaster import BroadcasterStarter
from tests.plugins.browser import run_js, wait_js
from ticker.commands.serve import night_info

NIGHT = """\
slug = "presidentielle-2017-t2"
title = "Présidentielle 2017, second tour"
date = 2017-05-07
round = 2

[[candidates]]
name = "Emmanuel Macron"
aliases = ["Macron"]

[[candidates]]
name = "Marine Le Pen"
aliases = ["Le Pen"]
"""


@pytest.fixture
def night_file(tmp_path: Path) -> Path:
    """A night file alone in its folder: no liveblog.json, no sources.toml."""
    folder = tmp_path / "my-night"
    folder.mkdir()
    path = folder / "night.toml"
    path.write_text(NIGHT, encoding="utf-8")
    return path


def test_check_says_ok_with_a_one_line_summary(night_file: Path) -> None:
    """A valid file: exit 0, one line naming the file, the title, date, round, candidates."""
    result = soiree("night", "check", str(night_file))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{night_file}: OK: Présidentielle 2017, second tour (presidentielle-2017-t2):"
        " 2017-05-07, round 2, Europe/Paris, 2 candidates (Emmanuel Macron, Marine Le Pen),"
        " stream soiree:night:presidentielle-2017-t2"
    ]


def test_check_takes_the_folder_and_a_bundled_slug(night_file: Path) -> None:
    """`check FOLDER` reads its night.toml; `check 2017-01-29` the bundled night."""
    assert soiree("night", "check", str(night_file.parent)).returncode == 0
    bundled = soiree("night", "check", "2017-01-29")
    assert bundled.returncode == 0, bundled.stderr
    assert ": OK: Primaire de la gauche" in bundled.stdout


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('aliases = ["Macron"]', 'alias = ["Macron"]', ":8: candidates[1].alias: unknown key"),
        ('aliases = ["Le Pen"]', 'aliases = ["Le Pen", "Le Pen"]', ":12: candidates[2].aliases:"),
        ("date = 2017-05-07\n", "", ": date: missing"),
    ],
)
def test_check_names_file_key_and_line(night_file: Path, old: str, new: str, expected: str) -> None:
    """A misspelt key, a duplicate alias, a missing date: one line each, exit 1."""
    night_file.write_text(NIGHT.replace(old, new), encoding="utf-8")
    result = soiree("night", "check", str(night_file))
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{night_file}{expected}"), lines
    assert "Traceback" not in result.stderr


def test_check_of_no_file_is_one_line(tmp_path: Path) -> None:
    """A path to nothing: one line, exit 1."""
    result = soiree("night", "check", str(tmp_path / "nothing.toml"))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        f"soiree night: error: {tmp_path / 'nothing.toml'}: no such night file or folder"
    )


def test_new_writes_a_commented_valid_skeleton_and_never_overwrites(tmp_path: Path) -> None:
    """From flags (no terminal): a file `night check` accepts; run again: refused, untouched."""
    output = tmp_path / "night.toml"
    args = (
        "night", "new", "-o", str(output), "--date", "2017-05-07", "--round", "2",
        "--candidate", "Emmanuel Macron=Macron", "--candidate", "Marine Le Pen=Le Pen,Mme Le Pen",
        "--timezone", "Europe/Paris", "--title", "Présidentielle, second tour",
        "--slug", "presidentielle-t2",
    )  # fmt: skip
    result = soiree(*args)
    assert result.returncode == 0, result.stderr
    night = load_night(output)
    assert (night.slug, night.title, night.round, night.date.isoformat()) == (
        "presidentielle-t2",
        "Présidentielle, second tour",
        2,
        "2017-05-07",
    )
    assert [(c.name, c.aliases) for c in night.candidates] == [
        ("Emmanuel Macron", ("Macron",)),
        ("Marine Le Pen", ("Le Pen", "Mme Le Pen")),
    ]
    text = output.read_text(encoding="utf-8")
    assert "# stream = " in text
    assert "docs/night.md" in text
    again = soiree(*args[:-2], "--slug", "other")
    assert again.returncode == 1
    assert "already exists; not overwritten" in again.stderr
    assert output.read_text(encoding="utf-8") == text


def test_new_without_a_terminal_needs_the_flags(tmp_path: Path) -> None:
    """Nothing to ask on a pipe: the missing flags are named; nothing is written."""
    result = soiree("night", "new", "-o", str(tmp_path / "n.toml"), "--round", "1")
    assert result.returncode == 1
    assert "missing --date, --candidate" in result.stderr
    assert not (tmp_path / "n.toml").exists()


def test_new_refuses_what_check_would_refuse(tmp_path: Path) -> None:
    """A bad date or a candidate twice: the check's problem, nothing written."""
    result = soiree(
        "night", "new", "-o", str(tmp_path / "n.toml"), "--date", "2017-13-01", "--round", "1",
        "--candidate", "A B",
    )  # fmt: skip
    assert result.returncode == 1
    assert "date: must be a date" in result.stderr
    assert not (tmp_path / "n.toml").exists()


def test_the_skeleton_reads_back_as_its_answers() -> None:
    """skeleton() is pure: its text is a night with the answers, odd characters included."""
    answers = Answers(
        date="2022-04-24",
        round=2,
        candidates=(parse_candidate('Jean "Le Grand" Dupont=Dupont'), ("Zoé Martin", ())),
        timezone="America/Martinique",
    )
    night = night_from_text(skeleton(answers))
    assert night.timezone.key == "America/Martinique"
    assert [c.name for c in night.candidates] == ['Jean "Le Grand" Dupont', "Zoé Martin"]
    assert night.stream == "soiree:night:2022-04-24"


def test_new_parses_into_its_options() -> None:
    """`soiree night new` with no flag: the defaults NewOptions declares."""
    args = build_parser().parse_args(["night", "new"])
    options = args.soiree_command.options(args).command.options(args)
    assert options == NewOptions(output=Path("night.toml"))


def test_ticker_shows_a_night_from_its_file_alone(redis_url: str, night_file: Path) -> None:
    """`soiree ticker --night FILE --once`: that night's title, round and candidates."""
    env = {**soiree_env(), "REDIS_URL": redis_url, "COLUMNS": "100"}
    result = soiree("ticker", "--night", str(night_file), "--once", env=env)
    assert result.returncode == 0, result.stderr
    assert "Présidentielle 2017, second tour" in result.stdout
    assert "second tour" in result.stdout.split("Résultats", 1)[1].splitlines()[0]
    assert re.search(r"Candidats : Emmanuel Macron · Marine Le Pen", result.stdout)
    assert "soiree:night:presidentielle-2017-t2 holds no update yet" in result.stderr


def test_a_night_file_without_replay_fixtures_cannot_be_replayed(night_file: Path) -> None:
    """replay needs fixtures: one line saying a night file alone is not enough."""
    result = soiree("replay", "--night", str(night_file), "--redis-url", "redis://127.0.0.1:1")
    assert result.returncode == 1
    assert "has no replay fixtures" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
async def test_serve_announces_a_night_from_its_file_alone(
    redis_url: str, night_file: Path
) -> None:
    """`soiree serve --night FILE`: hello names that night's title, date, round, candidates."""
    env = {**soiree_env(), "REDIS_URL": redis_url, "SOIREE_READ_TOKEN": ""}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import sys; from ingest.cli import main; sys.exit(main())",
        "serve", "--port", "0", "--night", str(night_file),
        stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    assert process.stderr is not None
    try:
        line = (await asyncio.wait_for(process.stderr.readline(), 20 * TIMEOUT_FACTOR)).decode()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line
        assert "soiree:night:presidentielle-2017-t2" in line
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(f"http://127.0.0.1:{match[1]}/ws") as ws,
        ):
            hello = json.loads(await asyncio.wait_for(ws.receive_str(), 10 * TIMEOUT_FACTOR))
        assert hello["type"] == "hello"
        assert hello["night"] == {
            "slug": "presidentielle-2017-t2",
            "title": "Présidentielle 2017, second tour",
            "date": "2017-05-07",
            "round": 2,
            "timezone": "Europe/Paris",
            "candidates": ["Emmanuel Macron", "Marine Le Pen"],
            "lists": [
                {"name": "Emmanuel Macron", "head": None, "label": None},
                {"name": "Marine Le Pen", "head": None, "label": None},
            ],
            "seats": None,
        }
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 10 * TIMEOUT_FACTOR) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.mark.browser
@pytest.mark.slow
async def test_the_page_titles_itself_with_a_night_file_and_lists_its_candidates(
    night_file: Path, start_broadcaster: BroadcasterStarter, browser: webdriver.Chrome
) -> None:
    """Before any result, the page shows the night file's title and candidates (real Chromium)."""
    running = await start_broadcaster(night=night_info(load_night(night_file)))
    await asyncio.to_thread(browser.get, running.http_url("/"))
    await wait_js(browser, "document.documentElement.dataset.connection === 'live'")
    title = await run_js(browser, "return document.getElementById('night-title').textContent")
    assert title == "Présidentielle 2017, second tour"
    meta = await run_js(browser, "return document.getElementById('scoreboard-meta').textContent")
    assert meta == (
        "En attente des premiers résultats… Candidats : Emmanuel Macron · Marine Le Pen"
    )


def test_ingest_takes_the_sources_beside_a_night_file(redis_url: str, night_file: Path) -> None:
    """`ingest --night FILE`: the sources.toml beside it, else one line saying what to write."""
    env = {**soiree_env(), "REDIS_URL": redis_url}
    alone = soiree("ingest", "--night", str(night_file), "--status", env=env)
    assert alone.returncode == 1
    assert "no such sources file beside the night" in alone.stderr
    (night_file.parent / "sources.toml").write_text(
        'night = "night.toml"\n[[source]]\nname = "direct"\ntype = "feed"\n'
        'url = "http://127.0.0.1:9/feed.xml"\ninterval = 5\n',
        encoding="utf-8",
    )
    status = soiree("ingest", "--night", str(night_file), "--status", env=env)
    assert status.returncode == 0, status.stderr
    assert "sources of soiree:night:presidentielle-2017-t2" in status.stdout
    assert "direct" in status.stdout


def _until(fd: int, wanted: str, seen: list[str]) -> None:
    """Read the terminal ``fd`` until ``wanted`` has been shown (fails after the timeout)."""
    deadline = time.monotonic() + 30 * TIMEOUT_FACTOR
    while wanted not in "".join(seen):
        left = deadline - time.monotonic()
        assert left > 0, f"no {wanted!r} in {''.join(seen)!r}"
        ready, _, _ = select.select([fd], [], [], min(left, 0.2))
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the other end closed: the process is gone
                chunk = b""
            assert chunk, f"ended without {wanted!r}: {''.join(seen)!r}"
            seen.append(chunk.decode(errors="replace"))


def test_new_on_a_terminal_asks_what_the_flags_leave_out(tmp_path: Path) -> None:
    """On a terminal: the date, round, candidates and zone are asked; the file is valid."""
    output = tmp_path / "night.toml"
    main, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", MAIN, "night", "new", "-o", str(output), "--title", "Test"],
        stdin=secondary, stdout=secondary, stderr=secondary, env=soiree_env(),
        start_new_session=True,
    )  # fmt: skip
    os.close(secondary)
    seen: list[str] = []
    try:
        for prompt, answer in (
            ("Date of the night", "2022-04-24"),
            ("Round (1 or 2)", "2"),
            ("Candidate 1", "Emmanuel Macron=Macron"),
            ("Candidate 2", "Marine Le Pen=Le Pen"),
            ("Candidate 3", ""),
            ("Time zone [Europe/Paris]", ""),
        ):
            _until(main, prompt, seen)
            os.write(main, answer.encode() + b"\n")
        _until(main, "wrote", seen)
        assert process.wait(timeout=30 * TIMEOUT_FACTOR) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(main)
    night = load_night(output)
    assert (night.date.isoformat(), night.round, night.title) == ("2022-04-24", 2, "Test")
    assert [c.name for c in night.candidates] == ["Emmanuel Macron", "Marine Le Pen"]
    assert night.timezone.key == "Europe/Paris"


def test_dump_and_export_read_the_stream_of_a_night_file(redis_url: str, night_file: Path) -> None:
    """`dump` and `export --night FILE`: the night's own stream, named from its slug."""
    env = {**soiree_env(), "REDIS_URL": redis_url}
    dump = soiree("dump", "--night", str(night_file), env=env)
    assert "no stream soiree:night:presidentielle-2017-t2" in dump.stderr
    assert dump.returncode != 0
    export = soiree("export", "--night", str(night_file), "--format", "csv", env=env)
    assert export.returncode == 0, export.stderr
    assert export.stdout.startswith("round,scope,scope_code,")


def test_check_summarises_the_contest_of_a_local_night() -> None:
    """The bundled fictional night: its election, seats and places in the summary line."""
    result = soiree("night", "check", "2020-06-28-fictional")
    assert result.returncode == 0, result.stderr
    assert ": municipal election, 2020-06-28, round 2," in result.stdout
    assert "(Montlaur en commun, Montlaur écologie, Réussir Montlaur, Montlaur d'abord)," in (
        result.stdout
    )
    assert ", 35 seats (majority-bonus), 4 places, stream " in result.stdout
