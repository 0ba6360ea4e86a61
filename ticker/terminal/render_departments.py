"""Results and turnout of départements (count and turnout updates with a local scope).

::

    ╭─ Départements ───────────────────────────────────────────────────────────╮
    │ Aveyron   Hamon 54,7 %                   plus de 10 000 votants   09:05  │
    │ Loire     Hamon 60,8 % · Valls 39,2 %    18 501 votants (+25,9 %)  23:30 │
    ╰──────────────────────────────────────────────────────────────────────────╯

Shown only once there is one; candidates by surname, in their scoreboard colours. The
communes, cantons and constituencies of a local night are listed the same way, with their
votes or seats when a text gives no shares.
"""

from __future__ import annotations

from collections.abc import Container
from typing import Final

from rich.console import Console, ConsoleOptions, RenderResult
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ticker.board.board_state import BoardState
from ticker.board.board_values import ScopeResult
from ticker.terminal import theme
from ticker.terminal.french_format import (
    change_label,
    group_thousands,
    percent,
    time_label,
    voters_label,
)
from ticker.terminal.render_turnout import turnout_change
from ticker.terminal.safe_text import untrusted, untrusted_text
from ticker.terminal.ticker_view import TickerView

__all__ = ["DepartmentsPanel", "short_name"]

#: The levels of a place of the night file (the panel is then "Territoires").
_LOCAL: Final = frozenset({"commune", "canton", "circonscription"})


def short_name(name: str) -> str:
    """A candidate's surname as a scoreboard line has room for: ``"Benoît Hamon"`` -> ``"Hamon"``.

    Everything after the first given name: ``"François de Rugy"`` -> ``"de Rugy"``.
    """
    parts = name.split(" ", 1)
    return parts[1] if len(parts) == 2 else name


def _shares(board: BoardState, result: ScopeResult, lists: Container[str] = ()) -> Text:
    """Shares; a count without shares (a commune known by its votes, a council by its seats)
    shows its votes ("1 204 voix"), else its seats ("24 sièges"). A list of ``lists`` (the
    night's lists with a head) keeps its full name: "Montlaur en commun", not "en commun"."""
    text = Text()
    if result.count is None:
        return text
    figures = result.count.figures
    standing: list[tuple[str, str]] = [
        (name, percent(pct)) for name, pct in sorted(figures.shares.items(), key=lambda i: -i[1])
    ]
    if not standing:
        for counts, unit in ((figures.votes, "voix"), (figures.seats, "sièges")):
            ranked = sorted(counts.items(), key=lambda item: -item[1])
            standing = [(name, f"{group_thousands(n)} {unit}") for name, n in ranked]
            if standing:
                break
    for index, (name, shown) in enumerate(standing):
        if index:
            text.append(" · ", style=theme.MUTED)
        style = theme.candidate_style(board.candidate_color(name))
        shown_name = name if name in lists else short_name(name)
        text.append(untrusted(shown_name, max_length=60), style=style)
        text.append(f" {shown}")
    return text


def _turnout(result: ScopeResult) -> Text:
    if result.turnout is None:
        return Text("")
    figures = result.turnout.figures
    voters = voters_label(figures.voters, low=figures.voters_low, high=figures.voters_high)
    change = turnout_change(figures)
    text = Text(f"{voters} votants" if voters else "")
    if change is not None:
        text.append(f" ({change_label(change)})" if voters else change_label(change))
    return text


class DepartmentsPanel:
    """The départements of one frame; renders nothing when there are none."""

    def __init__(self, view: TickerView, *, now: float) -> None:
        self.view = view
        self.now = now

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        view = self.view
        results = view.board.board().scopes
        if not results:
            return
        table = Table.grid(expand=True, padding=(0, 1))
        table.add_column(no_wrap=True, style="bold")
        table.add_column(ratio=1)
        table.add_column(no_wrap=True, overflow="ellipsis")
        table.add_column(no_wrap=True, justify="right", style=theme.MUTED)
        for result in results:
            points = [point for point in (result.count, result.turnout) if point is not None]
            arrived = view.board.arrived(uid for point in points for uid in point.uids)
            fresh = arrived is not None and self.now - arrived < theme.FRESH_SECONDS
            latest = max(point.at for point in points)
            name = untrusted_text(result.scope, theme.FRESH if fresh else "", max_length=60)
            if result.level in _LOCAL:  # "Saint-Ardoin commune": a commune and its canton apart
                name.append(f" {result.level}", style=theme.MUTED)
            table.add_row(
                name,
                _shares(view.board, result, view.heads),
                _turnout(result),
                Text(
                    time_label(latest.astimezone(view.timezone), night_date=view.night_date),
                ),
            )
        local = any(result.level in _LOCAL for result in results)
        title = Text("Territoires" if local else "Départements", style=theme.TITLE)
        yield Panel(table, title=title, title_align="left", border_style=theme.BORDER)
