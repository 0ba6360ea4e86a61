"""One frame of the ticker: the header and the panels, laid out for the terminal's size.

Narrow terminals (under 110 columns) stack everything, the feed last but for the sources'
status line::

    header · scoreboard · turnout · départements · feed · sources

Wide ones put the figures on the left and the feed on the right, full height. Given a
``height`` (the live display's), the frame fills it exactly: the feed takes what the other
panels leave, and when that is too little for a useful feed, the other panels give way in
order (sources on one line, fewer turnout checkpoints, no départements). Without a height
(``--once``), everything is shown and the feed holds ``feed_items`` items.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.table import Table

from ticker.terminal.render_departments import DepartmentsPanel
from ticker.terminal.render_feed import FeedPanel
from ticker.terminal.render_header import Header
from ticker.terminal.render_health import HealthPanel
from ticker.terminal.render_scoreboard import ScoreboardPanel
from ticker.terminal.render_seats import SeatsPanel
from ticker.terminal.render_turnout import TurnoutPanel
from ticker.terminal.ticker_view import TickerView

__all__ = ["DEFAULT_FEED_ITEMS", "WIDE_WIDTH", "TickerFrame"]

#: From this width on, the feed gets a column of its own.
WIDE_WIDTH: Final = 110
#: Feed items of a frame without a height (``--once``).
DEFAULT_FEED_ITEMS: Final = 20
#: Below this many lines for the feed, the other panels give way.
MIN_FEED_LINES: Final = 10


@dataclass(frozen=True, slots=True)
class _Detail:
    """How much the panels beside the feed show."""

    turnout_limit: int | None
    compact_health: bool
    departments: bool


_DETAILS: Final = (
    _Detail(turnout_limit=None, compact_health=False, departments=True),
    _Detail(turnout_limit=None, compact_health=True, departments=True),
    _Detail(turnout_limit=3, compact_health=True, departments=True),
    _Detail(turnout_limit=2, compact_health=True, departments=False),
    _Detail(turnout_limit=1, compact_health=True, departments=False),
)


def _height(
    console: Console, options: ConsoleOptions, renderables: Sequence[RenderableType]
) -> int:
    lines = console.render_lines(Group(*renderables), options.update(height=None), pad=False)
    return len(lines)


class TickerFrame:
    """One frame (``now``: Unix seconds; ``height``: lines to fill exactly, None: natural)."""

    def __init__(
        self,
        view: TickerView,
        *,
        now: float,
        height: int | None = None,
        feed_items: int = DEFAULT_FEED_ITEMS,
    ) -> None:
        self.view = view
        self.now = now
        self.height = height
        self.feed_items = feed_items

    def _figures(self, detail: _Detail) -> list[RenderableType]:
        """The scoreboard, turnout and départements panels at ``detail``."""
        view, now = self.view, self.now
        panels: list[RenderableType] = [
            ScoreboardPanel(view, now=now),
            SeatsPanel(view),
            TurnoutPanel(view, now=now, limit=detail.turnout_limit),
        ]
        if detail.departments:
            panels.append(DepartmentsPanel(view, now=now))
        return panels

    def _health(self, detail: _Detail) -> HealthPanel:
        return HealthPanel(self.view, now=self.now, compact=detail.compact_health)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        header = Header(self.view, now=self.now)
        if options.max_width >= WIDE_WIDTH:
            yield from self._wide(console, options, header)
        else:
            yield from self._narrow(console, options, header)

    def _narrow(self, console: Console, options: ConsoleOptions, header: Header) -> RenderResult:
        if self.height is None:
            detail = _DETAILS[0]
            yield header
            yield from self._figures(detail)
            yield FeedPanel(self.view, now=self.now, limit=self.feed_items)
            yield self._health(detail)
            return
        fixed = 0
        for detail in _DETAILS:
            fixed = _height(
                console, options, [header, *self._figures(detail), self._health(detail)]
            )
            if self.height - fixed >= MIN_FEED_LINES:
                break
        feed_height = max(3, self.height - fixed)
        yield header
        yield from self._figures(detail)
        yield FeedPanel(self.view, now=self.now, limit=feed_height, height=feed_height)
        yield self._health(detail)

    def _wide(self, console: Console, options: ConsoleOptions, header: Header) -> RenderResult:
        width = options.max_width
        left_width = max(60, width // 2)
        left_options = options.update_width(left_width)
        yield header
        available = None
        detail = _DETAILS[0]
        if self.height is not None:
            available = max(3, self.height - _height(console, options, [header]))
            for detail in _DETAILS:
                left = [*self._figures(detail), self._health(detail)]
                if _height(console, left_options, left) <= available:
                    break
        grid = Table.grid(expand=True, padding=(0, 1, 0, 0))
        grid.add_column(width=left_width - 1)
        grid.add_column(ratio=1)
        feed = FeedPanel(
            self.view,
            now=self.now,
            limit=available if available is not None else self.feed_items,
            height=available,
        )
        grid.add_row(Group(*self._figures(detail), self._health(detail)), feed)
        yield grid
