"""Tests for ticker.commands.serve: the options, and ``soiree serve`` run for real."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from ingest.model.errors import CommandError
from ingest.store.stream_store import StreamStore
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.broadcaster import make_update
from ticker.commands.serve import (
    DEFAULT_PORT,
    EVENT_LOOP_ENV,
    event_loop_runner,
    parse_size,
    read_token,
    resolve_port,
)


@pytest.mark.parametrize(
    ("raw", "size"),
    [("262144", 262144), ("512k", 512 * 1024), ("1M", 1 << 20), ("2MiB", 2 << 20), ("1g", 1 << 30)],
)
def test_sizes_parse_with_binary_units(raw: str, size: int) -> None:
    """--max-pending-bytes takes bytes, k, M, G."""
    assert parse_size(raw) == size


@pytest.mark.parametrize("raw", ["", "0", "-1", "1T", "lots"])
def test_bad_sizes_are_refused(raw: str) -> None:
    """A size that is not a positive number of bytes is a clear error."""
    with pytest.raises(CommandError, match="max-pending-bytes"):
        parse_size(raw)


def test_the_port_comes_from_the_option_then_port_then_8765(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """--port wins over $PORT, which wins over 8765; nonsense is refused."""
    monkeypatch.delenv("PORT", raising=False)
    assert resolve_port(None) == DEFAULT_PORT
    monkeypatch.setenv("PORT", "9001")
    assert resolve_port(None) == 9001
    assert resolve_port(0) == 0
    monkeypatch.setenv("PORT", "http")
    with pytest.raises(CommandError, match="PORT"):
        resolve_port(None)
    with pytest.raises(CommandError, match="65535"):
        resolve_port(70000)


def test_the_token_comes_from_the_file_then_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--token-file's first line, else $SOIREE_READ_TOKEN, else no token."""
    monkeypatch.delenv("SOIREE_READ_TOKEN", raising=False)
    assert read_token(None) is None
    monkeypatch.setenv("SOIREE_READ_TOKEN", " env-token ")
    assert read_token(None) == "env-token"
    token_file = tmp_path / "token"
    token_file.write_text("file-token\nignored\n")
    assert read_token(str(token_file)) == "file-token"
    (tmp_path / "empty").write_text("\n")
    with pytest.raises(CommandError, match="no token"):
        read_token(str(tmp_path / "empty"))
    with pytest.raises(CommandError, match="cannot read"):
        read_token(str(tmp_path / "missing"))


def test_the_event_loop_is_asyncio_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """$SOIREE_EVENT_LOOP: asyncio by default; auto without uvloop is asyncio; nonsense refused."""
    monkeypatch.delenv(EVENT_LOOP_ENV, raising=False)
    assert event_loop_runner() == ("asyncio", asyncio.run)
    monkeypatch.setenv(EVENT_LOOP_ENV, "fast")
    with pytest.raises(CommandError, match=EVENT_LOOP_ENV):
        event_loop_runner()
    monkeypatch.setitem(sys.modules, "uvloop", None)  # as if not installed
    monkeypatch.setenv(EVENT_LOOP_ENV, "auto")
    assert event_loop_runner()[0] == "asyncio"
    monkeypatch.setenv(EVENT_LOOP_ENV, "uvloop")
    with pytest.raises(CommandError, match="not installed"):
        event_loop_runner()


def test_uvloop_is_used_when_asked_and_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the speed extra installed, SOIREE_EVENT_LOOP=uvloop (or auto) runs on uvloop."""
    import uvloop  # noqa: PLC0415 - the speed extra, installed by `.ci/setup --test`

    for wanted in ("uvloop", "auto", " UVLOOP "):
        monkeypatch.setenv(EVENT_LOOP_ENV, wanted)
        assert event_loop_runner() == ("uvloop", uvloop.run)


@pytest.mark.slow
async def test_soiree_serve_serves_until_sigterm(redis_url: str, store: StreamStore) -> None:
    """`soiree serve --port 0` prints its address, answers /healthz, and stops on SIGTERM."""
    await store.append(make_update(1))
    env = {**os.environ, "SOIREE_READ_TOKEN": ""}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "import sys; from ingest.cli import main; sys.exit(main())",
        "serve",
        "--port",
        "0",
        "--redis-url",
        redis_url,
        "--stream",
        store.stream,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    assert process.stderr is not None
    try:
        line = (await asyncio.wait_for(process.stderr.readline(), 20 * TIMEOUT_FACTOR)).decode()
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert match, line
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{match[1]}/healthz"
            async with session.get(url) as response:
                body = json.loads(await response.text())
        assert body["status"] == "ok"
        assert body["stream"] == store.stream
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 10 * TIMEOUT_FACTOR) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_soiree_serve_says_when_the_port_is_taken(redis_url: str, store: StreamStore) -> None:
    """A port in use: one line on stderr, exit status 1, no traceback."""
    blocker = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = blocker.sockets[0].getsockname()[1]
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "import sys; from ingest.cli import main; sys.exit(main())",
            "serve",
            "--port",
            str(port),
            "--redis-url",
            redis_url,
            "--stream",
            store.stream,
            stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await asyncio.wait_for(process.communicate(), 20 * TIMEOUT_FACTOR)
    finally:
        blocker.close()
        await blocker.wait_closed()
    assert process.returncode == 1
    text = stderr.decode()
    assert f"cannot listen on 127.0.0.1:{port}" in text
    assert "Traceback" not in text


async def test_soiree_serve_names_an_address_not_on_the_machine_once(
    redis_url: str, store: StreamStore
) -> None:
    """``--host`` an address no interface has: one line giving the address once and the
    reason (before: asyncio's message repeated the address)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import sys; from ingest.cli import main; sys.exit(main())",
        "serve", "--host", "10.255.255.1", "--port", "0", "--redis-url", redis_url,
        "--stream", store.stream,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await asyncio.wait_for(process.communicate(), 20 * TIMEOUT_FACTOR)
    assert process.returncode == 1
    text = stderr.decode()
    assert "cannot listen on 10.255.255.1:0: cannot assign requested address" in text.lower()
    assert text.count("10.255.255.1") == 1
    assert "Traceback" not in text
