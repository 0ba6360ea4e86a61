"""Tests for ``soiree ticker`` and its Redis feed: the real command, a real Redis server."""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from redis.asyncio import Redis

from ingest.sources.source_health import SourceHealth
from ingest.store import keys
from ingest.store.health import record_poll
from ingest.store.stream_store import StreamStore
from tests.conftest import TIMEOUT_FACTOR
from ticker.board.board_state import BoardState
from ticker.terminal.redis_feed import RedisFeed
from ticker.terminal.ticker_view import ConnectionState, TickerView

if TYPE_CHECKING:  # imported by pytest_plugins at run time, so that pytest rewrites its asserts
    from tests.plugins.ticker import TickerKit


SOIREE = str(Path(sys.executable).with_name("soiree"))
# Colour codes (SGR 30-37, 38;..., 90-97, 40-47...): what NO_COLOR must remove.
_COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m")


def run_ticker(
    redis_url: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``soiree ticker ARGS --redis-url URL`` to completion."""
    base = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "COLUMNS")}
    return subprocess.run(
        [SOIREE, "ticker", *args, "--redis-url", redis_url],
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def append_until(store: StreamStore, ticker: TickerKit, hhmm: str) -> int:
    """Append the night's updates up to ``hhmm`` to the store; return how many."""
    updates = [replace(update, id=None) for update in ticker.updates_until(hhmm)]
    outcomes = await store.append_many(updates)
    assert all(outcome.appended for outcome in outcomes)
    return len(updates)


async def test_once_prints_a_frame_with_the_scoreboard(
    redis_url: str, store: StreamStore, stream_key: str, ticker: TickerKit
) -> None:
    """``soiree ticker --once --stream S`` prints the night so far: scoreboard, turnout, feed."""
    await append_until(store, ticker, "20:56")
    result = run_ticker(redis_url, "--once", "--stream", stream_key)
    assert result.returncode == 0, result.stderr
    frame = result.stdout
    assert "\x1b" not in frame  # not a terminal: plain text
    assert "◆ instantané" in frame
    assert f"redis · {stream_key}" in frame
    assert re.search(r"Benoît Hamon .*58,65 %", frame)
    assert re.search(r"Manuel Valls .*41,35 %", frame)
    assert re.search(r"Dépouillement .* 60 %", frame)
    assert "1 306 852" in frame
    assert "Je tiens" in frame
    assert max(len(line) for line in frame.splitlines()) <= 80


async def test_once_respects_width_filters_and_items(
    redis_url: str, store: StreamStore, stream_key: str, ticker: TickerKit
) -> None:
    """COLUMNS sets the width; --kinds and --items narrow the feed."""
    await append_until(store, ticker, "21:10")
    result = run_ticker(
        redis_url,
        "--once",
        "--stream",
        stream_key,
        "--kinds",
        "speech,count",
        "--items",
        "3",
        env={"COLUMNS": "120"},
    )
    assert result.returncode == 0, result.stderr
    frame = result.stdout
    assert max(len(line) for line in frame.splitlines()) <= 120
    assert "Le fil · count, speech" in line_with(frame, "Résultats")
    assert frame.count("DISCOURS") == 3
    assert "Pas encore de chiffre de participation" in frame  # turnout is filtered out


async def test_no_color_is_respected(
    redis_url: str, store: StreamStore, stream_key: str, ticker: TickerKit
) -> None:
    """On a (forced) terminal the frame has colours, unless NO_COLOR is set."""
    await append_until(store, ticker, "20:45")
    coloured = run_ticker(redis_url, "--once", "--stream", stream_key, env={"FORCE_COLOR": "1"})
    assert coloured.returncode == 0, coloured.stderr
    assert _COLOUR.search(coloured.stdout)
    plain = run_ticker(
        redis_url, "--once", "--stream", stream_key, env={"FORCE_COLOR": "1", "NO_COLOR": "1"}
    )
    assert plain.returncode == 0, plain.stderr
    assert "\x1b[" in plain.stdout  # still a terminal: bold, reverse...
    assert not _COLOUR.search(plain.stdout)


async def test_empty_stream_says_so(redis_url: str, stream_key: str) -> None:
    """A stream with nothing on it still gives a frame, and a word on stderr."""
    result = run_ticker(redis_url, "--once", "--stream", stream_key)
    assert result.returncode == 0
    assert "En attente des premiers résultats" in result.stdout
    assert f"{stream_key} holds no update yet" in result.stderr


async def test_a_stream_of_its_own_needs_no_fixtures(
    redis_url: str, store: StreamStore, stream_key: str, ticker: TickerKit, tmp_path: Path
) -> None:
    """With --stream and no fixtures, the frame goes without the night's title, figures intact."""
    await append_until(store, ticker, "20:45")
    missing = str(tmp_path / "no-fixtures")
    result = run_ticker(
        redis_url, "--once", "--stream", stream_key, env={"SOIREE_FIXTURES": missing}
    )
    assert result.returncode == 0, result.stderr
    assert "Soirée électorale" in result.stdout
    assert "Résultats · second tour" in result.stdout
    assert "58,65 %" in result.stdout
    without_stream = run_ticker(redis_url, "--once", env={"SOIREE_FIXTURES": missing})
    assert without_stream.returncode == 1
    assert "no such directory" in without_stream.stderr


def test_bad_options_are_reported_in_one_line(redis_url: str) -> None:
    """An unknown kind, --stream with --ws, or a bad URL: one clear line, status 1."""
    cases = [
        (["--kinds", "speech,gossip"], "unknown kind 'gossip'"),
        (["--ws", "ws://127.0.0.1:9/ws", "--stream", "s"], "--stream has no effect with --ws"),
        (["--ws", "http://127.0.0.1:9/ws"], "--ws: not a websocket URL"),
        (["--items", "0"], "--items must be at least 1"),
    ]
    for args, message in cases:
        result = run_ticker(redis_url, "--once", *args)
        assert result.returncode == 1, (args, result.stderr)
        assert message in result.stderr
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def line_with(text: str, needle: str) -> str:
    """The first line of ``text`` containing ``needle``."""
    return next(line for line in text.splitlines() if needle in line)


async def test_redis_feed_follows_the_stream(
    redis_client: Redis, store: StreamStore, stream_key: str, ticker: TickerKit
) -> None:
    """The feed reads the history, then new updates (highlighted), health and replay clock."""
    appended = await append_until(store, ticker, "20:45")
    view = TickerView(board=BoardState(round=2))
    changes = ticker.changes()
    feed = RedisFeed(
        store, view, notify=changes, block_ms=200, health_interval=0.05, clock_interval=0.05
    )
    following = changes.watch(asyncio.create_task(feed.follow()))
    try:
        await changes.until(lambda: view.connection.state is ConnectionState.LIVE)
        assert view.board.applied == appended
        assert all(item.arrived is None for item in view.board.feed())
        assert view.clock is None

        speech = next(u for u in ticker.updates_until("20:52") if u.uid == "liveblog:2052")
        await store.append(replace(speech, id=None))
        await changes.until(lambda: view.board.applied == appended + 1)
        (newest,) = view.board.feed(limit=1)
        assert newest.update.uid == "liveblog:2052"
        assert newest.arrived is not None

        now = datetime.now(UTC)
        health = SourceHealth(source="liveblog", type="liveblog").succeeded(
            now=now, outcome="ok", status=200, poll_seconds=0.01, entries=43
        )
        await record_poll(redis_client, stream_key, health)
        await changes.until(lambda: "liveblog" in view.board.health)
        assert view.board.health["liveblog"]["entries_seen"] == 43

        await redis_client.hset(
            keys.replay_clock_key(stream_key),
            mapping={
                "virtual": "2017-01-29T20:52:00+01:00",
                "wall": "1000",
                "speed": "60",
                "paused": "0",
            },
        )
        await changes.until(lambda: view.clock is not None)
        assert view.clock is not None
        assert view.clock.speed == 60
    finally:
        await changes.stop(following)


async def test_pause_contract(redis_client: Redis, store: StreamStore, stream_key: str) -> None:
    """``p`` writes "pause" then "resume" at the replay's control key, a plain string."""
    view = TickerView()
    feed = RedisFeed(store, view)
    await feed.request_pause(True)
    assert await redis_client.get(keys.replay_control_key(stream_key)) == "pause"
    await feed.request_pause(False)
    assert await redis_client.get(keys.replay_control_key(stream_key)) == "resume"
    assert await redis_client.type(keys.replay_control_key(stream_key)) == "string"


class PtyOutput:
    """What a process writes to a pseudo-terminal, read from the event loop."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.data = b""
        self._changed = asyncio.Event()
        asyncio.get_running_loop().add_reader(fd, self._read)

    def _read(self) -> None:
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # the other side closed
            chunk = b""
        if not chunk:
            asyncio.get_running_loop().remove_reader(self.fd)
        self.data += chunk
        self._changed.set()

    @property
    def text(self) -> str:
        """Everything written so far, decoded."""
        return self.data.decode("utf-8", "replace")

    async def until(self, needle: str) -> None:
        """Wait until ``needle`` has been written (failing after a while)."""
        async with asyncio.timeout(10 * TIMEOUT_FACTOR):
            while needle not in self.text:
                self._changed.clear()
                await self._changed.wait()

    def close(self) -> None:
        """Stop reading and close the pty."""
        asyncio.get_running_loop().remove_reader(self.fd)
        os.close(self.fd)


async def test_live_display_in_a_terminal(
    redis_url: str, redis_client: Redis, store: StreamStore, stream_key: str, ticker: TickerKit
) -> None:
    """In a terminal: a full-screen live frame, refreshed on news; p asks a pause; q quits."""
    await append_until(store, ticker, "20:45")
    await redis_client.hset(
        keys.replay_clock_key(stream_key),
        mapping={"virtual": "2017-01-29T20:45:00+01:00", "wall": "1", "speed": "1", "paused": "0"},
    )
    main, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "COLUMNS")}
    env.update({"TERM": "xterm-256color", "NO_COLOR": ""})
    process = await asyncio.create_subprocess_exec(
        SOIREE,
        "ticker",
        "--stream",
        stream_key,
        "--redis-url",
        redis_url,
        "--control",
        stdin=secondary,
        stdout=secondary,
        stderr=secondary,
        env=env,
        start_new_session=True,
    )
    os.close(secondary)
    output = PtyOutput(main)
    try:
        await output.until("EN DIRECT")
        await output.until("58,65 %")
        await output.until("p pause / reprise")
        speech = next(u for u in ticker.updates_until("20:52") if u.uid == "liveblog:2052")
        await store.append(replace(speech, id=None))
        await output.until("chaleureusement")
        os.write(main, b"p")
        await output.until("pause demandée")
        os.write(main, b"q")
        async with asyncio.timeout(10 * TIMEOUT_FACTOR):
            assert await process.wait() == 0
        assert await redis_client.get(keys.replay_control_key(stream_key)) == "pause"
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        output.close()
    assert "\x1b[?1049h" in output.text  # the alternate screen, left on exit
    assert "\x1b[?1049l" in output.text
    assert "Traceback" not in output.text
