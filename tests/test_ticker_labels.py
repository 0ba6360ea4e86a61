"""The ticker's time and state labels, and who may pause the replay (issue "The board")."""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import struct
import termios
from dataclasses import replace
from typing import TYPE_CHECKING

from redis.asyncio import Redis

from ingest.model.update import Op
from ingest.store import keys
from ingest.store.stream_store import StreamStore
from tests.conftest import TIMEOUT_FACTOR
from tests.test_ticker_command import SOIREE, PtyOutput, append_until
from ticker.terminal.render_feed import FeedPanel
from ticker.terminal.render_header import Header
from ticker.terminal.render_scoreboard import ScoreboardPanel
from ticker.wire.replay_clock import ReplayClock

if TYPE_CHECKING:
    from tests.plugins.ticker import TickerKit

_CLOCK = {"virtual": "2017-01-29T20:45:00+01:00", "wall": "1", "speed": "60", "paused": "0"}


def test_the_morning_after_carries_its_day_in_the_feed(ticker: TickerKit) -> None:
    """At 09:30 on the 30th, the 09:05 updates read "lun. 09:05", never a bare 09:05."""
    frame = ticker.render(FeedPanel(ticker.view_at("09:30", day=30), now=ticker.now), width=100)
    assert "lun. 09:05" in frame
    assert "23:30" in frame
    assert "\n│ 09:05" not in frame


def test_the_header_says_the_night_is_over_with_the_final_result(ticker: TickerKit) -> None:
    """At the end of the night: TERMINÉ (not EN DIRECT) and the final result."""
    view = ticker.view_at("09:30", day=30)
    frame = ticker.render(Header(view, now=ticker.now), width=120)
    assert "TERMINÉ" in frame
    assert "EN DIRECT" not in frame
    assert "résultat final : Benoît Hamon 58,72 %, Manuel Valls 41,28 %" in frame
    during = ticker.render(Header(ticker.view_at("20:45"), now=ticker.now), width=120)
    assert "EN DIRECT" in during


def test_a_finished_or_paused_replay_shows_in_the_header(ticker: TickerKit) -> None:
    """A finished replay reads "terminé", a paused one "en pause", not its speed."""
    view = ticker.view_at("20:45")
    view.clock = ReplayClock.from_hash({**_CLOCK, "paused": "1"})
    assert "en pause" in ticker.render(Header(view, now=ticker.now), width=120)
    view.clock = ReplayClock.from_hash({**_CLOCK, "finished": "1"})
    frame = ticker.render(Header(view, now=ticker.now), width=120)
    assert "terminé" in frame
    assert "\u00d760" not in frame  # the speed, "x60"
    assert "TERMINÉ" in frame


def test_the_web_page_address_is_information_not_a_warning(ticker: TickerKit) -> None:
    """The page's address is shown without the warning sign."""
    view = ticker.view_at("20:45")
    view.info = "page web : http://127.0.0.1:8765/"
    frame = ticker.render(Header(view, now=ticker.now), width=120)
    assert "page web : http://127.0.0.1:8765/" in frame
    assert "⚠" not in frame


async def test_without_control_p_does_not_pause_the_replay(
    redis_url: str, redis_client: Redis, store: StreamStore, stream_key: str, ticker: TickerKit
) -> None:
    """A ticker without --control ignores p (no pause asked) and shows the replay's pause."""
    await append_until(store, ticker, "20:45")
    clock_key = keys.replay_clock_key(stream_key)
    for name, value in _CLOCK.items():
        await redis_client.hset(clock_key, name, value)
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
        await output.until("q quitter")
        assert "p pause" not in output.text
        os.write(main, b"p")
        # The replay (another process) pauses: this ticker shows it.
        await redis_client.hset(keys.replay_clock_key(stream_key), mapping={"paused": "1"})
        await output.until("en pause")
        assert "pause demandée" not in output.text
        os.write(main, b"q")
        async with asyncio.timeout(10 * TIMEOUT_FACTOR):
            assert await process.wait() == 0
        assert await redis_client.get(keys.replay_control_key(stream_key)) is None
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        output.close()


def test_the_feed_shows_a_figure_of_two_sources_once(ticker: TickerKit) -> None:
    """The 17:59 turnout and the 20:41 count appear once each in the feed, with "2 sources"."""
    board = ticker.board_at("20:45")
    uids = [item.update.uid for item in board.feed()]
    assert ("liveblog:1759" in uids) != ("results:turnout-1700" in uids)
    assert ("liveblog:2041" in uids) != ("results:count-2041" in uids)
    frame = ticker.render(FeedPanel(ticker.view_at("20:45"), now=ticker.now), width=120)
    assert frame.count("2 sources") >= 3  # 12:00 and 17:00 turnout, 20:41 count


def test_two_sources_that_disagree_are_both_in_the_feed_and_flagged(ticker: TickerKit) -> None:
    """Counts of one minute from two sources that differ: both shown, both flagged."""
    view = ticker.view_at("20:45")
    results = next(u for u in ticker.updates_until("20:45") if u.uid == "results:count-2041")
    assert results.figures is not None
    differing = replace(results.figures, shares={"Benoît Hamon": 58.1, "Manuel Valls": 41.9})
    view.board.apply(replace(results, figures=differing, op=Op.EDIT, id="999-0"))
    items = {item.update.uid: item for item in view.board.feed()}
    assert items["liveblog:2041"].disputed
    assert items["results:count-2041"].disputed
    frame = ticker.render(FeedPanel(view, now=ticker.now), width=120)
    assert frame.count("sources en désaccord") == 2
    scoreboard = ticker.render(ScoreboardPanel(view, now=ticker.now), width=100)
    assert "désaccord" in scoreboard
    assert "58,65 %" in scoreboard
    assert "58,1 %" in scoreboard


def test_the_first_round_is_recalled_as_history_before_any_result(ticker: TickerKit) -> None:
    """At 12:00 the scoreboard waits, and recalls the first round as history."""
    frame = ticker.render(ScoreboardPanel(ticker.view_at("12:00"), now=ticker.now), width=120)
    assert "En attente des premiers résultats" in frame
    assert "rappel, premier tour : Benoît Hamon 36,03 %" in frame
    assert "Résultats · second tour" in frame
