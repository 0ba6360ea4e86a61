"""The scoreboard: the board's current result (:mod:`ticker.board`), a bar per candidate, its
counted share, and the change since the previous count.

::

    ╭─ Résultats · second tour ──────────────────────────────────────────────────╮
    │ Benoît Hamon   ██████████████████████████████████░░░░░░░░░░░░  58,72 %  +0,07 │
    │ Manuel Valls   ████████████████████████░░░░░░░░░░░░░░░░░░░░░░  41,28 %  -0,07 │
    │ Dépouillement  █████████████████████████████████████████████████  100 %        │
    │ écart depuis le point de 20:41 (60 % dépouillés)                            │
    ╰───────────────────────────────────────────────────── results · 23:00 ──────╯

Before the first count it shows the latest estimate, labelled as such, with its institute.
A correction shows the previous figures; sources that disagree show each figure, flagged.
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ticker.board.board_state import BoardState
from ticker.board.board_values import CurrentResult
from ticker.terminal import theme
from ticker.terminal.french_format import delta_label, percent
from ticker.terminal.render_bar import ShareBar
from ticker.terminal.safe_text import untrusted, untrusted_text
from ticker.terminal.ticker_view import TickerView

__all__ = ["ScoreboardPanel", "round_label"]


def round_label(round_: int | None) -> str:
    """``"second tour"``; empty when the round is unknown."""
    return {1: "premier tour", 2: "second tour"}.get(round_ or 0, "")


def _title(board: BoardState, current: CurrentResult | None, fresh: bool) -> Text:
    if current is None or not current.is_estimate:
        label = "Résultats définitifs" if current is not None and current.final else "Résultats"
    else:
        label = "Estimation"
    title = Text(label)
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
        self.heads = view.heads
        self.colours = view.colours
        self.timezone = view.timezone
        self.now = now

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        current = self.board.board().current
        arrived = None if current is None else self.board.arrived(current.point.uids)
        fresh = arrived is not None and self.now - arrived < theme.FRESH_SECONDS
        title = _title(self.board, current, fresh)
        border = "green" if fresh else theme.BORDER
        if current is None:
            waiting = Text("En attente des premiers résultats…", style=theme.MUTED)
            if self.board.candidates:
                waiting.append("\nCandidats : ", style=theme.MUTED)
                for position, name in enumerate(self.board.candidates):
                    style = theme.candidate_style(self.board.candidate_color(name))
                    waiting.append(" · " if position else "", style=theme.MUTED)
                    waiting.append_text(untrusted_text(name, f"bold {style}", max_length=60))
            history = self._history()
            body = waiting if history is None else Group(waiting, history)
            yield Panel(body, title=title, title_align="left", border_style=border)
            return
        point = current.point
        at = point.at.astimezone(self.timezone).strftime("%H:%M")
        sources = ", ".join(untrusted(name, max_length=40) for name in point.sources)
        subtitle = Text.assemble((sources, theme.MUTED), f" · {at}")
        if len(point.sources) > 1:
            subtitle.append(f" · {len(point.sources)} sources", style=theme.MUTED)
        yield Panel(
            self._body(current),
            title=title,
            title_align="left",
            subtitle=subtitle,
            subtitle_align="right",
            border_style=border,
        )

    def _body(self, current: CurrentResult) -> RenderableType:
        table = Table.grid(expand=True, padding=(0, 1))
        table.add_column(no_wrap=True)
        table.add_column(ratio=1)
        table.add_column(justify="right", no_wrap=True)
        table.add_column(justify="right", no_wrap=True, min_width=5)
        for row in current.rows:
            style = theme.candidate_style(self.board.candidate_color(row.name))
            name = untrusted_text(row.name, f"bold {style}", max_length=60)
            head = self.heads.get(row.name)
            if head:  # a list's head and label ("Claire Vasseur · DVG"), under its name
                name.append("\n  " + untrusted(head, max_length=60), style=theme.MUTED)
            table.add_row(
                name,
                # The night file's colour, if any, only on the bar: the name keeps the palette.
                ShareBar(row.pct, style=theme.hex_style(self.colours.get(row.name)) or style),
                # Counts align on two decimals; estimates are round figures ("58 %").
                Text(percent(row.pct, places=None if current.is_estimate else 2), style="bold"),
                Text(delta_label(row.delta), style=theme.MUTED)
                if row.delta is not None
                else Text(""),
            )
        figures = current.point.figures
        if figures.counted_pct is not None:
            table.add_row(
                Text("Dépouillement", style=theme.MUTED),
                ShareBar(figures.counted_pct, style="white"),
                Text(percent(figures.counted_pct)),
                Text(""),
            )
        notes = [note for note in self._notes(current) if note is not None]
        if not notes:
            return table
        for note in notes:
            note.no_wrap = True
            note.overflow = "ellipsis"
        return Group(table, *notes)

    def _history(self) -> Text | None:
        """The other rounds' results, recalled as history (never as the current result)."""
        history = self.board.board().history
        if not history:
            return None
        recalled = Text(style=theme.MUTED)
        for point in history:
            shares = ", ".join(
                f"{untrusted(name, max_length=40)} {percent(pct)}"
                for name, pct in sorted(point.figures.shares.items(), key=lambda i: -i[1])
            )
            label = round_label(point.round)
            recalled.append(f"rappel{', ' + label if label else ''} : {shares}")
        recalled.no_wrap = True
        recalled.overflow = "ellipsis"
        return recalled

    def _notes(self, current: CurrentResult) -> list[Text | None]:
        point = current.point
        notes: list[Text | None] = []
        if current.is_estimate:
            by = f" · {untrusted(current.institute, max_length=40)}" if current.institute else ""
            notes.append(
                Text(f"estimation, avant les premiers résultats dépouillés{by}", style=theme.MUTED)
            )
        elif current.compared_to is not None:
            at = current.compared_to.at.astimezone(self.timezone).strftime("%H:%M")
            counted = current.compared_to.figures.counted_pct
            detail = f" ({percent(counted)} dépouillés)" if counted is not None else ""
            notes.append(Text(f"écart depuis le point de {at}{detail}", style=theme.MUTED))
        if point.corrected is not None:
            before = ", ".join(
                f"{untrusted(name, max_length=40)} {percent(pct)}"
                for name, pct in sorted(point.corrected.shares.items(), key=lambda i: -i[1])
            )
            notes.append(Text(f"corrigé (avant : {before})", style="yellow"))
        for variant in point.variants:
            shares = ", ".join(
                f"{untrusted(name, max_length=40)} {percent(pct)}"
                for name, pct in sorted(variant.figures.shares.items(), key=lambda i: -i[1])
            )
            who = ", ".join(untrusted(name, max_length=40) for name in variant.sources)
            notes.append(Text(f"⚠ désaccord · {who} : {shares}", style="yellow"))
        return notes
