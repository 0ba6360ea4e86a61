"""The ticker's text captures in docs/captures/ are the frames the ticker draws of the night.

``SOIREE_WRITE_CAPTURES=1`` rewrites them (after a change the captures must show); without it,
a frame that differs from its capture fails the test, so the docs never show another ticker.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ticker.terminal.render_frame import TickerFrame
from ticker.wire.replay_clock import ReplayClock

if TYPE_CHECKING:
    from tests.plugins.ticker import TickerKit

CAPTURES = Path(__file__).resolve().parent.parent / "docs" / "captures"

#: (file, day, time): 19:58 the estimate, 20:45 the first count, 09:30 the next day: over.
MOMENTS = [
    ("ticker-1958.txt", 29, "19:58"),
    ("ticker-2045.txt", 29, "20:45"),
    ("ticker-end.txt", 30, "09:30"),
]


def frame_at(ticker: TickerKit, day: int, hhmm: str) -> str:
    """The ticker's frame (100 columns, 8 feed items) at ``hhmm`` of a 60x replay."""
    view = ticker.view_at(hhmm, day=day)
    view.origin = "redis · soiree:night:2017-01-29:replay:1"
    virtual = f"2017-01-{day:02d}T{hhmm}:00+01:00"
    clock = {"virtual": virtual, "wall": str(ticker.now), "speed": "60", "paused": "0"}
    view.clock = ReplayClock.from_hash({**clock, "finished": "1" if day == 30 else "0"})
    view.keys_hint = "q quitter"
    frame = TickerFrame(view, now=ticker.now, feed_items=8)
    return ticker.render(frame, width=100)


@pytest.mark.parametrize(("name", "day", "hhmm"), MOMENTS)
def test_the_ticker_capture_in_the_docs_is_the_frame_it_draws(
    ticker: TickerKit, name: str, day: int, hhmm: str
) -> None:
    """docs/captures/<name> holds the frame of that moment, byte for byte."""
    frame = frame_at(ticker, day, hhmm)
    path = CAPTURES / name
    if os.environ.get("SOIREE_WRITE_CAPTURES") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(frame, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == frame


def test_the_captures_show_the_board_of_their_moment(ticker: TickerKit) -> None:
    """19:58: the OpinionWay estimate; 20:45: the 60 % count of 2 sources; end: terminé."""
    at_1958 = frame_at(ticker, 29, "19:58")
    assert "Estimation · second tour" in at_1958
    assert "OpinionWay" in at_1958
    assert "36,03" not in at_1958  # the first round's count is history, not the scoreboard
    at_2045 = frame_at(ticker, 29, "20:45")
    assert "58,65 %" in at_2045
    assert "2 sources" in at_2045
    assert "votants ▄█ ce soir   ▃▆ 1er tour" in at_2045  # 567 563 and 1 306 852 against round 1
    end = frame_at(ticker, 30, "09:30")
    assert "TERMINÉ" in end
    assert "Résultats définitifs" in end
    assert "lun. 09:05" in end
