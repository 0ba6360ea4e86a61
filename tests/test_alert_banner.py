"""The ticker's alert banner: the newest unacknowledged alert of the stream, until acknowledged."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ingest.model.update import Op
from tests.test_alert_rules import BUNDLED
from ticker.alerts.engine import AlertEngine
from ticker.alerts.rules import load_rules
from ticker.terminal.render_header import Header

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
