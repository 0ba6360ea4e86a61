"""Source health: is each poller fetching, and when did it last succeed?

::

    ╭─ Sources ────────────────────────────────────────────────────────────────╮
    │ ● liveblog   ok          il y a 3 s · 43 entrées · HTTP 200              │
    │ ● results    erreur x3   HTTP 503 · Service Unavailable · succès il y a 2 min │
    ╰──────────────────────────────────────────────────────────────────────────╯

Read from :func:`ingest.store.health.read_all_health` (or a broadcaster's snapshot and ``health``
messages). A poller whose next poll is long overdue is shown as silent: it has probably
stopped (:mod:`ingest.model.source_staleness`, the rule ``soiree ingest --status`` shares).
``compact`` renders one line for every source, for small terminals.
"""

from __future__ import annotations

from collections.abc import Mapping

from rich.console import Console, ConsoleOptions, RenderResult
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ingest.model.source_staleness import is_silent
from ingest.model.source_staleness import parse_instant as _instant
from ingest.model.source_staleness import parse_number as _number
from ticker.terminal import theme
from ticker.terminal.french_format import ago_label, group_thousands
from ticker.terminal.safe_text import untrusted, untrusted_text
from ticker.terminal.ticker_view import TickerView

__all__ = ["HealthPanel", "SourceStatus", "source_status"]


class SourceStatus:
    """One source's state in words and symbol: ``ok``, ``erreur x3``, ``silencieux``..."""

    def __init__(self, symbol: str, label: str, style: str) -> None:
        self.symbol = symbol
        self.label = label
        self.style = style


def source_status(health: Mapping[str, object], now: float) -> SourceStatus:
    """What one source's health amounts to at ``now`` (Unix seconds)."""
    state = health.get("state")
    if is_silent(health, now):  # the rule `soiree ingest --status` shares
        return SourceStatus("○", "silencieux", theme.WARNING)
    if state == "error":
        errors = _number(health.get("consecutive_errors")) or 0
        label = f"erreur \u00d7{int(errors)}" if errors > 1 else "erreur"
        return SourceStatus("●", label, theme.ERROR)
    if state == "ok":
        return SourceStatus("●", "ok", theme.OK)
    return SourceStatus("◌", "démarrage", theme.WARNING)


def _detail(health: Mapping[str, object], now: float) -> Text:
    parts: list[str] = []
    state = health.get("state")
    success = _instant(health.get("last_success"))
    status = _number(health.get("last_status"))
    if state == "error":
        if status is not None:
            parts.append(f"HTTP {int(status)}")
        error = health.get("last_error")
        if error:
            parts.append(untrusted(error, max_length=120))
        parts.append(f"succès {ago_label(now - success)}" if success else "jamais de succès")
    else:
        if success is not None:
            parts.append(ago_label(now - success))
        entries = _number(health.get("entries_seen"))
        if entries is not None:
            count = int(entries)
            parts.append(f"{group_thousands(count)} entrée{'s' if count > 1 else ''}")
        if status is not None:
            parts.append(f"HTTP {int(status)}")
    return Text(" · ".join(parts), style=theme.MUTED if state != "error" else "")


class HealthPanel:
    """The sources' health in one frame; renders nothing when no source keeps health."""

    def __init__(self, view: TickerView, *, now: float, compact: bool = False) -> None:
        self.view = view
        self.now = now
        self.compact = compact

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        health = self.view.board.health
        if not health:
            return
        if self.compact:
            line = Text("Sources", style=theme.TITLE, no_wrap=True, overflow="ellipsis")
            for name, fields in health.items():
                status = source_status(fields, self.now)
                line.append("  ")
                line.append(status.symbol, style=status.style)
                line.append(" " + untrusted(name, max_length=40) + " ")
                line.append(status.label, style=status.style)
            yield line
            return
        table = Table.grid(expand=True, padding=(0, 1))
        table.add_column(no_wrap=True)
        table.add_column(no_wrap=True, style="bold")
        table.add_column(no_wrap=True)
        table.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        for name, fields in health.items():
            status = source_status(fields, self.now)
            table.add_row(
                Text(status.symbol, style=status.style),
                untrusted_text(name, max_length=40),
                Text(status.label, style=status.style),
                _detail(fields, self.now),
            )
        title = Text("Sources", style=theme.TITLE)
        yield Panel(table, title=title, title_align="left", border_style=theme.BORDER)
