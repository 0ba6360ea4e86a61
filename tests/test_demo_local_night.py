"""`soiree demo --night 2020-06-28-fictional` end to end, as a user runs it: the emulated sources,
the pollers, the broadcaster and the ticker in a real terminal (tmux). The ticker's screen shows
the council's seats and the cantons and communes; a websocket client of the page's server gets
the same board (seats, commune and canton results) and the lists' heads; q stops every part.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import connect as ws_connect

from tests.conftest import TIMEOUT_FACTOR
from tests.test_demo import SOIREE, Tmux, processes_of, wait_for

NIGHT = "2020-06-28-fictional"


@pytest.fixture
def terminal() -> Iterator[Tmux]:
    """A private tmux server (``tests/test_demo.py``'s)."""
    server = Tmux()
    yield server
    server.kill()


async def board_over_ws(url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """``hello``'s night and the board once it has seats and a commune (the newest board)."""
    night: dict[str, Any] = {}
    async with ws_connect(url, open_timeout=10 * TIMEOUT_FACTOR) as socket:
        async with asyncio.timeout(30 * TIMEOUT_FACTOR):
            while True:
                message = json.loads(await socket.recv())
                if message["type"] == "hello":
                    night = message["night"]
                board = message.get("board") if message["type"] in ("snapshot", "board") else None
                levels = {scope["level"] for scope in (board or {}).get("scopes", [])}
                if board and board.get("seats") and {"commune", "canton"} <= levels:
                    return night, board


@pytest.mark.slow
def test_demo_plays_the_fictional_local_night(
    terminal: Tmux, tmp_path_factory: pytest.TempPathFactory
) -> None:
    data_dir: Path = tmp_path_factory.mktemp("demo-local")
    # COLUMNS and LINES as the window's: rich prefers them to the terminal's size, and a test
    # runner may have set them narrower.
    env = " ".join(
        [
            f"SOIREE_DATA_DIR={data_dir}",
            "REDIS_URL=",
            f"PATH={os.environ.get('PATH', '')}",
            "COLUMNS=160",
            "LINES=60",
        ]
    )
    command = f"env {env} {SOIREE} demo --night {NIGHT} --speed max --port 0"
    terminal("new-session", "-d", "-s", "demo", "-x", "160", "-y", "60", command)
    wanted = (
        "Montlaur-sur-Vienne (fictif)",
        "Sièges · 35 · majorité 18",
        "24 / 35",
        "Claire Vasseur · DVG",
        "Territoires",
        "Saint-Ardoin commune",
        "http://127.0.0.1:",
    )

    def shows_the_local_night() -> bool:
        screen = terminal.screen()
        return all(text in screen for text in wanted)

    try:
        assert wait_for(shows_the_local_night, 60 * TIMEOUT_FACTOR), terminal.screen()
        address = re.search(r"http://127\.0\.0\.1:(\d+)", terminal.screen())
        assert address is not None, terminal.screen()
        url = f"ws://127.0.0.1:{address.group(1)}/ws"
        night, board = asyncio.run(board_over_ws(url))
        assert night["slug"] == NIGHT
        assert {"name": "Montlaur en commun", "head": "Claire Vasseur", "label": "DVG"} in night[
            "lists"
        ]
        assert board["seats"]["figures"]["seats"]["Montlaur en commun"] == 24
        assert board["seats"]["figures"]["seats_total"] == 35
        scopes = {scope["scope"]: scope for scope in board["scopes"]}
        assert scopes["Saint-Ardoin"]["level"] == "commune"
        assert scopes["canton de Montlaur-1"]["count"]["figures"]["votes"] == {
            "Montlaur en commun": 3912,
            "Réussir Montlaur": 2301,
        }
        terminal("send-keys", "-t", "demo", "q")
        assert wait_for(lambda: not terminal.alive(), 20), terminal.screen()
        assert wait_for(lambda: not processes_of(data_dir), 10), processes_of(data_dir)
    finally:
        subprocess.run(
            [SOIREE, "redis", "--stop", "--data-dir", str(data_dir)],
            capture_output=True,
            check=False,
            timeout=30,
        )
