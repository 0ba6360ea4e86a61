"""The scoreboard: a bar per candidate for the latest national count, its counted share, and
the change since the previous count.

::

    ╭─ Résultats · second tour ──────────────────────────────────────────────────╮
    │ Benoît Hamon   ██████████████████████████████████░░░░░░░░░░░░  58,72 %  +0,07 │
    │ Manuel Valls   ████████████████████████░░░░░░░░░░░░░░░░░░░░░░  41,28 %  -0,07 │
    │ Dépouillement  █████████████████████████████████████████████████  100 %        │
    │ écart depuis le point de 20:41 (60 % dépouillés)                            │
    ╰───────────────────────────────────────────────────── results · 23:00 ──────╯

Before the first count it shows the latest estimate, labelled as such, without changes.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ticker.board.board_state import BoardState, Scoreboard
from ticker.terminal import theme
from ticker.terminal.french_format import delta_label, percent
from ticker.terminal.render_bar import ShareBar
from ticker.terminal.safe_text import untrusted, untrusted_text
from ticker.terminal.ticker_view import TickerView

__all__ = ["ScoreboardPanel", "round_label"]


def round_label(round_: int | None) -> str:
    """``"second tour"``; empty when the round is unknown."""
    return {1: "premier tour", 2: "second tour"}.get(round_ or 0, "")


def _title(board: BoardState, scoreboard: Scoreboard | None, fresh: bool) -> Text:
    title = Text("Estimation" if scoreboard and scoreboard.is_estimate else "Résultats")
    title.stylize(theme.TITLE)
    shown_round = round_label(board.night_round)
    if shown_round:
        title.append(f" · {shown_round}")
    if fresh:
        title.append("  ● nouveau", style="bold green")
    return title


class ScoreboardPanel:
    """The scoreboard of one frame (``now``: Unix seconds, for the highlight of a new count)."""

    def __init__(self, view: TickerView, *, now: float) -> None:
        self.board = view.board
        self.timezone = view.timezone
        self.now = now

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        scoreboard = self.board.scoreboard()
        fresh = bool(
            scoreboard
            and scoreboard.arrived is not None
            and self.now - scoreboard.arrived < theme.FRESH_SECONDS
        )
        title = _title(self.board, scoreboard, fresh)
        border = "green" if fresh else theme.BORDER
        if scoreboard is None:
            body = Text("En attente des premiers résultats…", style=theme.MUTED)
            yield Panel(body, title=title, title_align="left", border_style=border)
            return
        latest = scoreboard.latest
        at = latest.at.astimezone(self.timezone).strftime("%H:%M")
        subtitle = Text.assemble((untrusted(latest.source, max_length=40), theme.MUTED), f" · {at}")
        yield Panel(
            self._body(scoreboard),
            title=title,
            title_align="left",
            subtitle=subtitle,
            subtitle_align="right",
            border_style=border,
        )

    def _body(self, scoreboard: Scoreboard) -> RenderableType:
        table = Table.grid(expand=True, padding=(0, 1))
        table.add_column(no_wrap=True)
        table.add_column(ratio=1)
        table.add_column(justify="right", no_wrap=True)
        table.add_column(justify="right", no_wrap=True, min_width=5)
        for row in scoreboard.rows:
            style = theme.candidate_style(row.color)
            table.add_row(
                untrusted_text(row.name, f"bold {style}", max_length=60),
                ShareBar(row.pct, style=style),
                # Counts align on two decimals; estimates are round figures ("58 %").
                Text(percent(row.pct, places=None if scoreboard.is_estimate else 2), style="bold"),
                Text(delta_label(row.delta), style=theme.MUTED)
                if row.delta is not None
                else Text(""),
            )
        figures = scoreboard.figures
        if figures.counted_pct is not None:
            table.add_row(
                Text("Dépouillement", style=theme.MUTED),
                ShareBar(figures.counted_pct, style="white"),
                Text(percent(figures.counted_pct)),
                Text(""),
            )
        note = self._note(scoreboard)
        if note is None:
            return table
        note.no_wrap = True
        note.overflow = "ellipsis"
        return Group(table, note)

    def _note(self, scoreboard: Scoreboard) -> Text | None:
        if scoreboard.is_estimate:
            return Text("estimation, avant les premiers résultats dépouillés", style=theme.MUTED)
        previous = scoreboard.previous
        if previous is None:
            return None
        at = previous.at.astimezone(self.timezone).strftime("%H:%M")
        counted = previous.figures.counted_pct if previous.figures else None
        detail = f" ({percent(counted)} dépouillés)" if counted is not None else ""
        return Text(f"écart depuis le point de {at}{detail}", style=theme.MUTED)
