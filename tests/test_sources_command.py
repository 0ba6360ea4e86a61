"""Tests for replay.commands.sources: ``soiree sources`` run as a real process."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from ingest.cli import main
from ingest.model.recording import RecordedResponse, body_digest
from ingest.polling.recorder import Recorder
from tests.conftest import TIMEOUT_FACTOR

SOIREE = ("-c", "import sys; from ingest.cli import main; sys.exit(main(sys.argv[1:]))")


async def soiree(*args: str) -> asyncio.subprocess.Process:
    """Start ``soiree`` with this interpreter, stderr piped."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        *SOIREE,
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def base_url_of(process: asyncio.subprocess.Process) -> str:
    """The base URL the command prints first."""
    assert process.stderr is not None
    while True:
        line = await asyncio.wait_for(process.stderr.readline(), 10 * TIMEOUT_FACTOR)
        assert line, "soiree sources exited before printing its URL"
        found = re.search(r"http://127\.0\.0\.1:\d+", line.decode())
        if found:
            return found.group(0)


async def test_serves_then_stops_on_sigterm() -> None:
    """It prints its URL, serves the night, and exits 0 on SIGTERM saying it stopped."""
    process = await soiree("sources", "--port", "0", "--speed", "600", "--from", "20:40")
    try:
        base_url = await base_url_of(process)
        async with aiohttp.ClientSession() as http:
            async with http.get(base_url + "/healthz") as response:
                health = await response.json()
            assert health["virtual_time"].startswith("2017-01-29T20:4")
            async with http.get(base_url + "/liveblog") as response:
                assert response.status == 200
                assert 'id="2030"' in await response.text()
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 10 * TIMEOUT_FACTOR)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0
    assert "stopped" in stderr.decode()


async def test_bad_option_is_one_line_and_status_1() -> None:
    """A bad option value is reported in one line, without a traceback."""
    process = await soiree("sources", "--port", "0", "--page-size", "0")
    _, stderr = await asyncio.wait_for(process.communicate(), 10 * TIMEOUT_FACTOR)
    assert process.returncode == 1
    assert stderr.decode().strip() == (
        "soiree sources: error: --page-size must be at least 1, got 0"
    )


def test_a_taken_port_is_one_line_and_status_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Both ``soiree sources`` and ``soiree sources --recording`` (one serving shell) say in one
    line that they cannot listen, with their hint, and exit 1."""
    root = tmp_path / "rec"
    recorder = Recorder(root, night="2017-01-29", timezone="Europe/Paris")
    body = b"<html>a body</html>"
    recorder.record(
        RecordedResponse(
            source="s", url="http://h/", at=datetime(2017, 1, 29, 20, 0, tzinfo=UTC),
            outcome="ok", status=200, body=body_digest(body), size=len(body),
        ),
        body,
    )  # fmt: skip
    recorder.close()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        for extra, hint in [
            ((), "(is another `soiree sources` running? try another --port)"),
            (("--recording", str(root)), "(try another --port)"),
        ]:
            assert main(["sources", "--host", "127.0.0.1", "--port", port, *extra]) == 1
            err = capsys.readouterr().err
            lines = [line for line in err.splitlines() if "error" in line]
            assert len(lines) == 1, err
            assert f"cannot listen on 127.0.0.1:{port}" in lines[0]
            assert lines[0].count("127.0.0.1") == 1  # not again in asyncio's wrapping
            assert lines[0].endswith(hint)
