"""The ticker's header: the night, the clock (virtual during a replay), the connection state.

::

     SOIRÉE  Primaire de la gauche, second tour - 29 janvier 2017              ● EN DIRECT
     20:45:12  replay x60 · heure de Paris      redis · soiree:night:… · 57 mises à jour
     p pause · q quitter

The third line appears only when there is something to say: a notice (a gap in the stream, a
server's error), why the connection was lost, or the keys the ticker answers to. Above it, while
an alert (``docs/alerts.md``) is not acknowledged, a banner: the newest alert, its time, how many
more wait, and the key that acknowledges them::

     ALERTE 20:41  Benoît Hamon passe 55 % : 58,65 %  (+1)  a : vu
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

from ticker.board.board_values import NightState
from ticker.terminal import theme
from ticker.terminal.french_format import clock_label, group_thousands, percent, time_label
from ticker.terminal.safe_text import untrusted
from ticker.terminal.ticker_view import ConnectionState, TickerView

__all__ = ["PAUSE_ANSWER_SECONDS", "Header", "connection_label"]

#: A replay that has not shown a pause (or resume) in its clock after this long is not obeying.
PAUSE_ANSWER_SECONDS: Final = 5.0

_BAR_STYLE = "bold white on blue"


def connection_label(view: TickerView, now: float) -> Text:
    """``● EN DIRECT``, ``◌ reconnexion dans 3 s``... with a symbol that reads without colour.

    Once the night is over (the board says so, or the replay has finished): ``■ TERMINÉ``.
    """
    connection = view.connection
    state = connection.state
    over = view.board.board().state is NightState.OVER or (
        view.clock is not None and view.clock.finished
    )
    if over and state in (ConnectionState.LIVE, ConnectionState.SNAPSHOT):
        return Text("■ TERMINÉ", style="bold")
    if state is ConnectionState.LIVE:
        return Text("● EN DIRECT", style="bold green")
    if state is ConnectionState.CATCHING_UP:
        return Text("◐ rattrapage…", style="bold yellow")
    if state is ConnectionState.SNAPSHOT:
        return Text("◆ instantané", style="bold cyan")
    if state is ConnectionState.RECONNECTING:
        if connection.retry_at is not None and connection.retry_at > now:
            wait = max(1, round(connection.retry_at - now))
            return Text(f"○ reconnexion dans {wait} s", style="bold red")
        return Text("○ reconnexion…", style="bold red")
    return Text("◌ connexion…", style="bold yellow")


def _clock(view: TickerView, now: float) -> Text:
    clock = view.clock
    if clock is None:
        instant = datetime.fromtimestamp(now, UTC).astimezone(view.timezone)
        return Text.assemble((clock_label(instant), "bold"), ("  heure de Paris", theme.MUTED))
    virtual = clock.now(now).astimezone(view.timezone)
    text = Text.assemble((clock_label(virtual), "bold"), ("  replay ", theme.MUTED))
    if view.pause_requested is not None:
        wanted = "pause" if view.pause_requested else "reprise"
        asked = view.pause_requested_at
        if asked is not None and now - asked > PAUSE_ANSWER_SECONDS:
            text.append(f"{wanted} demandée, sans réponse du replay", style=theme.WARNING)
        else:
            text.append(f"{wanted} demandée…", style=theme.WARNING)
    elif clock.finished:
        text.append("terminé", style="bold")
    elif clock.paused:
        text.append("⏸ en pause", style="bold yellow")
    else:
        text.append(clock.speed_label, style="bold")
    return text


class Header:
    """The header of one frame."""

    def __init__(self, view: TickerView, *, now: float) -> None:
        self.view = view
        self.now = now

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        view = self.view
        top = Table.grid(expand=True, padding=(0, 1))
        top.add_column(no_wrap=True)
        top.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        top.add_column(justify="right", no_wrap=True)
        top.add_row(
            Text("SOIRÉE", style="bold"),
            Text(untrusted(view.title, max_length=200)),
            connection_label(view, self.now),
            style=_BAR_STYLE,
        )
        yield top

        second = Table.grid(expand=True, padding=(0, 1))
        second.add_column(no_wrap=True)
        second.add_column(ratio=1, justify="right", no_wrap=True, overflow="ellipsis")
        where = Text()
        if view.origin:
            where.append(untrusted(view.origin, max_length=200), style=theme.MUTED)
            where.append(" · ", style=theme.MUTED)
        count = view.board.applied
        where.append(f"{group_thousands(count)} mise{'s' if count > 1 else ''} à jour")
        second.add_row(_clock(view, self.now), where)
        yield second

        pending = view.board.unacknowledged()
        if pending:
            newest = pending[-1]
            at = time_label(newest.at.astimezone(view.timezone), night_date=view.night_date)
            banner = Text(f" ALERTE {at} ", style=theme.ALERT)
            banner.append(" " + untrusted(newest.text, max_length=300), style="bold")
            if len(pending) > 1:
                banner.append(f"  (+{len(pending) - 1})", style="bold")
            banner.append("  a : vu", style=theme.MUTED)
            banner.no_wrap = True
            banner.overflow = "ellipsis"
            yield banner

        notes = Text()
        board = view.board.board()
        current = board.current
        if board.state is NightState.OVER and current is not None and current.final:
            shares = ", ".join(
                f"{untrusted(row.name, max_length=60)} {percent(row.pct)}" for row in current.rows
            )
            notes.append(f"résultat final : {shares}", style="bold")
        detail = view.connection.detail
        if view.notice:
            if notes:
                notes.append("  ")
            notes.append("⚠ " + untrusted(view.notice), style=theme.WARNING)
        if detail and view.connection.state is ConnectionState.RECONNECTING:
            if notes:
                notes.append("  ")
            notes.append("⚠ " + untrusted(detail), style=theme.ERROR)
        if view.info:
            if notes:
                notes.append("  ")
            notes.append(untrusted(view.info, max_length=200), style=theme.MUTED)
        if view.keys_hint:
            if notes:
                notes.append("  ")
            notes.append(view.keys_hint, style=theme.MUTED)
        if notes:
            notes.no_wrap = True
            notes.overflow = "ellipsis"
            yield notes
