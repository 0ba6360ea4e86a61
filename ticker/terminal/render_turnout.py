"""Turnout checkpoints, oldest first, each with its comparison to the previous round.

::

    ╭─ Participation ──────────────────────────────────────────────────────────╮
    │ à      votants       bureaux   1er tour           évol.   source         │
    │ 12:00  567 563       75 %      400 000 (63 %)     +41,9 %  results       │
    │ 17:00  1 306 852     75 %      1 000 000 (70 %)   +30,7 %  results       │
    │ 18:01                                             +23 %    liveblog      │
    │ 18:26  1,7-2 M                                             liveblog      │
    ╰──────────────────────────────────────────────────────────────────────────╯

"évol." is the change the source states (``change_pct``), else the change of voters against
the previous round's figure (``voters / previous.voters - 1``; the share of polling stations
reporting may differ, and is shown beside it).
"""

from __future__ import annotations

from typing import Final

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ingest.model.update import Figures
from ticker.board.board_values import Point
from ticker.terminal import theme
from ticker.terminal.french_format import change_label, group_thousands, percent, voters_label
from ticker.terminal.render_bar import sparkline
from ticker.terminal.safe_text import untrusted_text
from ticker.terminal.ticker_view import TickerView

__all__ = ["TurnoutPanel", "turnout_change"]

# The panel width from which each checkpoint's source is shown.
_SOURCE_WIDTH: Final = 72


def turnout_change(figures: Figures) -> float | None:
    """The change against the previous round, in percent: stated, else computed from voters."""
    if figures.change_pct is not None:
        return figures.change_pct
    previous = figures.previous
    if figures.voters is not None and previous is not None and previous.voters:
        return (figures.voters / previous.voters - 1) * 100
    return None


def _comparison(figures: Figures) -> Text:
    previous = figures.previous
    if previous is None or (
        previous.voters is None and previous.stations_pct is None and previous.rate_pct is None
    ):
        return Text("")
    parts: list[str] = []
    if previous.voters is not None:
        parts.append(group_thousands(previous.voters))
    if previous.rate_pct is not None:
        parts.append(percent(previous.rate_pct))
    if previous.year is not None:
        parts.append(f"({previous.year})")
    if previous.stations_pct is not None:
        stations = percent(previous.stations_pct)
        parts.append(f"({stations})" if parts else f"{stations} des bureaux")
    return Text(" ".join(parts))


def _trend(checkpoints: list[Point]) -> Text | None:
    """The voters of the checkpoints as a sparkline, beside the previous round's, on one scale."""
    tonight = [float(p.figures.voters) for p in checkpoints if p.figures.voters is not None]
    before = [
        float(p.figures.previous.voters)
        for p in checkpoints
        if p.figures.voters is not None and p.figures.previous and p.figures.previous.voters
    ]
    if len(tonight) < 2:
        return None
    top = max(tonight + before)
    trend = Text("votants ", style=theme.MUTED)
    trend.append(sparkline(tonight, top=top), style="bold")
    trend.append(" ce soir", style=theme.MUTED)
    if len(before) == len(tonight):
        trend.append("   ")
        trend.append(sparkline(before, top=top))
        trend.append(" 1er tour", style=theme.MUTED)
    return trend


class TurnoutPanel:
    """The turnout panel of one frame; ``limit`` keeps only the latest checkpoints."""

    def __init__(self, view: TickerView, *, now: float, limit: int | None = None) -> None:
        self.view = view
        self.now = now
        self.limit = limit

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        checkpoints = list(self.view.board.board().turnout)
        title = Text("Participation", style=theme.TITLE)
        if not checkpoints:
            body = Text("Pas encore de chiffre de participation.", style=theme.MUTED)
            yield Panel(body, title=title, title_align="left", border_style=theme.BORDER)
            return
        shown = checkpoints if self.limit is None else checkpoints[-self.limit :]
        if len(shown) < len(checkpoints):
            latest = "dernier point" if len(shown) == 1 else f"{len(shown)} derniers points"
            title.append(f" · {latest} sur {len(checkpoints)}", theme.MUTED)
        # The source column only where there is room for it beside the figures.
        table = self._table(shown, with_source=options.max_width >= _SOURCE_WIDTH)
        trend = _trend(checkpoints) if self.limit is None else None
        content: RenderableType = table if trend is None else Group(table, trend)
        yield Panel(content, title=title, title_align="left", border_style=theme.BORDER)

    def _table(self, checkpoints: list[Point], *, with_source: bool) -> Table:
        night_round = self.view.board.night_round
        table = Table(
            box=None,
            expand=True,
            padding=(0, 1),
            pad_edge=False,
            show_edge=False,
            header_style=theme.MUTED,
        )
        table.add_column("à", no_wrap=True, min_width=5)
        table.add_column("votants", no_wrap=True)
        table.add_column("bureaux", no_wrap=True, justify="right")
        table.add_column("1er tour" if night_round == 2 else "précédent", no_wrap=True)
        table.add_column("évol.", no_wrap=True, justify="right")
        if with_source:
            table.add_column("source", no_wrap=True, overflow="ellipsis", style=theme.MUTED)
        for index, checkpoint in enumerate(checkpoints):
            figures = checkpoint.figures
            latest = index == len(checkpoints) - 1
            arrived = self.view.board.arrived(checkpoint.uids)
            fresh = arrived is not None and self.now - arrived < theme.FRESH_SECONDS
            instant = checkpoint.at.astimezone(self.view.timezone)
            voters = voters_label(figures.voters, low=figures.voters_low, high=figures.voters_high)
            if not voters and figures.rate_pct is not None:
                voters = f"{percent(figures.rate_pct)} des inscrits"
            change = turnout_change(figures)
            cells = [
                Text(instant.strftime("%H:%M"), style=theme.FRESH if fresh else theme.TITLE),
                Text(voters or "", style="bold" if latest else ""),
                Text(percent(figures.stations_pct) if figures.stations_pct is not None else ""),
                _comparison(figures),
                Text(change_label(change) if change is not None else "", style="bold"),
            ]
            if with_source:
                sources = ", ".join(checkpoint.sources)
                if checkpoint.disagreement:
                    sources = "⚠ " + sources
                cells.append(untrusted_text(sources, max_length=40))
            table.add_row(*cells)
        return table
