"""The seats of a local night's council or of an assembly: the board's ``seats`` point.

::

    ╭─ Sièges · 35 · majorité 18 ───────────────────────────────────────────╮
    │ Montlaur en commun  ███████████████████████████░░░░░░░░░  24 / 35  majorité │
    │   Claire Vasseur · DVG                                                  │
    │ Réussir Montlaur    ██████░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░   6 / 35          │
    ╰────────────────────────────────────────────────────── liveblog · 21:15 ╯

Shown only when the board has seats. Every number is written: a bar never tells alone.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ticker.terminal import theme
from ticker.terminal.french_format import group_thousands
from ticker.terminal.render_bar import ShareBar
from ticker.terminal.safe_text import untrusted, untrusted_text
from ticker.terminal.ticker_view import TickerView

__all__ = ["SeatsPanel"]


class SeatsPanel:
    """The seats of one frame; renders nothing when the board has none."""

    def __init__(self, view: TickerView) -> None:
        self.view = view

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        view = self.view
        point = view.board.board().seats
        if point is None or not point.figures.seats:
            return
        seats = sorted(point.figures.seats.items(), key=lambda item: (-item[1], item[0]))
        total = point.figures.seats_total or view.seats_total
        whole = max(total or 0, sum(n for _, n in seats)) or 1
        majority = total // 2 + 1 if total else None
        table = Table.grid(expand=True, padding=(0, 1))
        table.add_column(no_wrap=True)
        table.add_column(ratio=1)
        table.add_column(justify="right", no_wrap=True)
        table.add_column(no_wrap=True)
        for name, count in seats:
            style = theme.candidate_style(view.board.candidate_color(name))
            label = untrusted_text(name, f"bold {style}", max_length=60)
            head = view.heads.get(name)
            if head:
                label.append("\n  " + untrusted(head, max_length=60), style=theme.MUTED)
            shown = f"{group_thousands(count)} / {group_thousands(total)}" if total else str(count)
            table.add_row(
                label,
                ShareBar(count / whole * 100, style=style),
                Text(shown, style="bold"),
                Text("majorité", style="bold") if majority and count >= majority else Text(""),
            )
        title = Text("Sièges", style=theme.TITLE)
        if total and majority:
            title.append(f" · {group_thousands(total)} · majorité {group_thousands(majority)}")
        at = point.at.astimezone(view.timezone).strftime("%H:%M")
        sources = ", ".join(untrusted(source, max_length=40) for source in point.sources)
        subtitle = Text.assemble((sources, theme.MUTED), f" · {at}")
        yield Panel(
            table,
            title=title,
            title_align="left",
            subtitle=subtitle,
            subtitle_align="right",
            border_style=theme.BORDER,
        )
