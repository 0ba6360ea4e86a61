"""The ticker's alert banner: the newest unacknowledged alert of the stream, until acknowledged."""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import struct
import termios
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ingest.model.update import Kind, Op, Update
from ingest.store.stream_store import StreamStore
from tests.conftest import TIMEOUT_FACTOR
from tests.test_alert_rules import BUNDLED
from tests.test_ticker_command import SOIREE, PtyOutput, append_until
from ticker.alerts.engine import AlertEngine
from ticker.alerts.rules import load_rules
from ticker.board.board_state import BoardState
from ticker.terminal.render_header import Header
from ticker.wire.client_filter import Filter

if TYPE_CHECKING:
    from tests.plugins.ticker import TickerKit


def test_the_banner_shows_the_newest_alert_until_acknowledged(ticker: TickerKit) -> None:
    view = ticker.view_at("21:05")
    engine = AlertEngine(load_rules(BUNDLED), round=2)
    seen = datetime(2017, 1, 29, 20, 0, tzinfo=UTC)
    alerts = [
        alert.to_update(seen=seen).with_stream(id=f"{9000 + n}-0", op=Op.ADD)
        for n, alert in enumerate(
            a for update in ticker.updates_until("20:45") for a in engine.observe(update)
        )
    ]
    assert [a.uid for a in alerts][-2:] == ["alert:first-count:1", "alert:hamon-55:1"]
    assert "ALERTE" not in ticker.render(Header(view, now=ticker.now), width=120)
    view.board.apply_all(alerts)
    shown = ticker.render(Header(view, now=ticker.now), width=160)
    banner = next(line for line in shown.splitlines() if "ALERTE" in line)
    assert "ALERTE 20:41" in banner
    assert "Benoît Hamon passe 55 % : 58,65 %" in banner
    assert f"(+{len(alerts) - 1})" in banner
    assert "a : vu" in banner
    assert view.board.acknowledge() is True
    assert "ALERTE" not in ticker.render(Header(view, now=ticker.now), width=160)
    assert view.board.acknowledge() is False
    view.board.apply_all(alerts)  # the same alerts again (a reconnection): nothing new
    assert "ALERTE" not in ticker.render(Header(view, now=ticker.now), width=160)


async def test_the_live_ticker_rings_shows_the_banner_and_a_acknowledges(
    redis_url: str, store: StreamStore, ticker: TickerKit
) -> None:
    """In a terminal: an alert of the stream is a banner and a bell; ``a`` takes it away."""
    await append_until(store, ticker, "20:45")
    seen = datetime.now(UTC)
    alert = Update(
        uid="alert:hamon-55:1", at=datetime(2017, 1, 29, 19, 41, tzinfo=UTC), source="alerts",
        kind=Kind.ALERT, text="Benoît Hamon passe 55 % : 58,65 %", seen=seen,
    )  # fmt: skip
    await store.append(alert)
    main, secondary = pty.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 120, 0, 0))
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "COLUMNS")}
    env.update({"TERM": "xterm-256color", "NO_COLOR": ""})
    process = await asyncio.create_subprocess_exec(
        SOIREE, "ticker", "--stream", store.stream, "--redis-url", redis_url,
        stdin=secondary, stdout=secondary, stderr=secondary, env=env, start_new_session=True,
    )  # fmt: skip
    os.close(secondary)
    output = PtyOutput(main)

    def news(uid: str, text: str) -> Update:
        at = datetime(2017, 1, 29, 20, 50, tzinfo=UTC)
        return Update(uid=uid, at=at, source="test", kind=Kind.NEWS, text=text, seen=seen)

    try:
        await output.until("a : vu")
        assert "ALERTE 20:41" in output.text
        assert "\x07" in output.text  # the bell
        os.write(main, b"a")
        await store.append(news("test:1", "premier marqueur"))
        await output.until("premier marqueur")
        mark = len(output.text)
        await store.append(news("test:2", "second marqueur"))
        async with asyncio.timeout(10 * TIMEOUT_FACTOR):
            while "second marqueur" not in output.text[mark:]:  # noqa: ASYNC110 - PtyOutput reads
                await asyncio.sleep(0.05)
        assert "a : vu" not in output.text[mark:]
        os.write(main, b"q")
        async with asyncio.timeout(10 * TIMEOUT_FACTOR):
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        output.close()
    assert "Traceback" not in output.text


def test_the_banner_shows_alerts_whatever_the_kinds_filter() -> None:
    board = BoardState(filter=Filter(kinds=frozenset({"count"})))
    alert = Update(
        uid="alert:x:1", at=datetime(2017, 1, 29, 19, 41, tzinfo=UTC), source="alerts",
        kind=Kind.ALERT, text="t", seen=datetime(2017, 1, 29, tzinfo=UTC),
    )  # fmt: skip
    assert board.apply(alert) is True
    assert board.apply(alert) is False
    assert [a.uid for a in board.unacknowledged()] == ["alert:x:1"]
    assert board.applied == 0  # not in the feed: the filter says so
