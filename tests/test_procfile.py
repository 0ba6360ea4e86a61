"""The Procfile under honcho: redis, sources, ingest and web come up, and a client gets updates."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from tests.conftest import TIMEOUT_FACTOR

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (the system picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_procfile_names_the_four_processes() -> None:
    """One line per process: redis, sources, ingest, web, each a soiree subcommand."""
    lines = [line for line in (ROOT / "Procfile").read_text().splitlines() if line.strip()]
    names = [line.split(":", 1)[0] for line in lines]
    assert names == ["redis", "sources", "ingest", "web"]
    assert all(line.split(":", 1)[1].strip().startswith("soiree ") for line in lines)
    assert "$PORT" in lines[3]


async def first_update(port: int, deadline: float) -> dict[str, object]:
    """Connect to the web process's websocket (retrying while it starts) until an update comes."""
    while True:
        try:
            async with connect(f"ws://127.0.0.1:{port}/ws", open_timeout=2) as client:
                async for raw in client:
                    message = json.loads(raw)
                    if message.get("type") == "update":
                        return dict(message)
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.3)


@pytest.mark.slow
def test_honcho_brings_up_the_pipeline(tmp_path_factory: pytest.TempPathFactory) -> None:
    """`honcho start` runs the Procfile; a websocket client receives updates of the night."""
    data_dir = tmp_path_factory.mktemp("procfile")
    web_port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update(
        {
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
            "SOIREE_DATA_DIR": str(data_dir),
            "SOURCES_PORT": str(free_port()),
            "WEB_PORT": str(web_port),
            "SOIREE_SPEED": "3000",
            "PYTHONUNBUFFERED": "1",
        }
    )
    honcho = subprocess.Popen(
        [str(BIN / "honcho"), "start", "-f", str(ROOT / "Procfile"), "-d", str(ROOT)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        update = asyncio.run(first_update(web_port, time.monotonic() + 60 * TIMEOUT_FACTOR))
        assert update["source"] in {"liveblog", "articles", "results"}
        assert str(update["uid"]).startswith(f"{update['source']}:")
    finally:
        honcho.send_signal(signal.SIGTERM)
        try:
            output, _ = honcho.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(honcho.pid, signal.SIGKILL)
            output, _ = honcho.communicate()
        subprocess.run(
            [str(BIN / "soiree"), "redis", "--stop", "--data-dir", str(data_dir)],
            capture_output=True,
            check=False,
        )
    assert "ingest" in output, output
    assert "web" in output, output
