"""The feed: every update, newest first, with its time, a badge for its kind and its text.

::

    ╭─ Le fil ─────────────────────────────────────────────────────────────────╮
    │ 20:53  DISCOURS   Manuel Valls : "Je veux lui souhaiter bonne chance…"   │
    │ 20:52  DISCOURS   Manuel Valls : "Je tiens chaleureusement à féliciter…" │
    │ 20:41  RÉSULTATS  Dépouillement à 60 % : Benoît Hamon 58,65 %, …         │
    ╰──────────────────────────────────────────────────────────────────────────╯

An edited item is replaced in place and marked "(modifié)"; a deleted one is struck through
and marked "(retiré)". What came in during the last few seconds is highlighted. Long texts (a
whole article) show their first paragraph. Every text is shown as text
(:mod:`ticker.terminal.safe_text`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from rich.console import Console, ConsoleOptions, RenderResult
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ingest.model.night import fold
from ingest.model.update import Kind, Update
from ticker.board.board_state import FeedItem
from ticker.terminal import theme
from ticker.terminal.french_format import percent, time_label
from ticker.terminal.safe_text import first_paragraph, untrusted
from ticker.terminal.ticker_view import TickerView
from ticker.wire.embargo import EMBARGO_MARK, held_for_public

__all__ = ["FeedPanel", "item_text"]

#: The most characters of one item's text the feed shows.
MAX_ITEM_LENGTH: Final = 200
# The panel width from which each item's source is shown.
_SOURCE_WIDTH: Final = 90


def _without_speaker(text: str, speaker: str) -> str:
    """``'Manuel Valls: "Je..."'`` -> ``'"Je..."'`` when the text starts with the speaker."""
    head, colon, rest = text.partition(":")
    if colon and fold(head).strip() == fold(speaker).strip():
        return rest.strip()
    return text


def item_text(update: Update, *, speaker_style: str = "bold") -> Text:
    """An update's text as the feed shows it (speaker first for a speech), as plain text."""
    body = first_paragraph(update.text, max_length=MAX_ITEM_LENGTH)
    text = Text()
    if update.kind is Kind.SPEECH and update.speaker:
        speaker = untrusted(update.speaker, max_length=80)
        text.append(speaker, style=speaker_style)
        text.append(" : ")
        body = _without_speaker(body, speaker)
    text.append(body)
    return text


class FeedPanel:
    """The feed of one frame: at most ``limit`` items, in a panel ``height`` lines high."""

    def __init__(
        self,
        view: TickerView,
        *,
        now: float,
        limit: int | None = None,
        height: int | None = None,
    ) -> None:
        self.view = view
        self.now = now
        self.limit = limit
        self.height = height

    def _held(self, update: Update) -> bool:
        """Whether the embargo holds ``update`` for the public now (the replay's clock, else
        the wall clock), by the night's closing time and the editors' acts, as the broadcaster
        decides it (``ticker.wire.embargo``)."""
        if self.view.embargo_marked is not None:  # relayed: the broadcaster's marks
            return update.id in self.view.embargo_marked
        closes = self.view.embargo_closes
        if closes is None:
            return False
        clock = self.view.clock
        now = clock.now(self.now) if clock is not None else datetime.fromtimestamp(self.now, UTC)
        return held_for_public(update, now, closes, self.view.embargo_acts)

    def _row(self, item: FeedItem) -> tuple[Text, Text, Text, Text]:
        view = self.view
        update = view.desk.shown(item.update)  # a relayed feed holds the source's own text
        fresh = item.arrived is not None and self.now - item.arrived < theme.FRESH_SECONDS
        badge = theme.badge_of(update.kind)
        shown_at = time_label(update.at.astimezone(view.timezone), night_date=view.night_date)
        speaker_style = "bold"
        if update.speaker:
            speaker = untrusted(update.speaker, max_length=80)
            if view.board.is_candidate(speaker):
                color = view.board.candidate_color(speaker)
                speaker_style = f"bold {theme.candidate_style(color)}"
        text = item_text(update, speaker_style=speaker_style)
        if item.deleted:
            text.stylize(theme.DELETED)
            text.append(" (retiré)", style="red")
        elif item.edited:
            text.append(" (modifié)", style="dim italic")
        if update.undated:
            # The source gave no date: the time shown is when soiree first saw it.
            text.append(" (non daté : vu à cette heure)", style="dim italic")
        if len(item.sources) > 1:
            text.append(f" · {len(item.sources)} sources", style="bold")
        if item.disputed:
            text.append(" ⚠ sources en désaccord", style=theme.WARNING)
        if self._held(update):
            text.append(f" · {EMBARGO_MARK}", style=theme.WARNING)
        self._desk_marks(update, text)
        if fresh:
            text.stylize("bold")
        return (
            Text(shown_at, style=theme.FRESH if fresh else theme.MUTED),
            Text(f" {badge.label} ".ljust(theme.BADGE_WIDTH), style=badge.style),
            text,
            Text(untrusted(update.source, max_length=40), style=theme.MUTED),
        )

    def _desk_marks(self, update: Update, text: Text) -> None:
        """The desk's marks (``docs/protocol.md``, "The desk"), as plain text."""
        desk = self.view.desk
        if update.uid in desk.pinned:
            text.append(" · épinglé", style="bold")
        if update.uid in desk.key:
            text.append(" · essentiel", style="bold")
        correction = desk.corrected.get(update.uid)
        if correction is not None:
            at = correction.at.astimezone(self.view.timezone).strftime("%H:%M")
            text.append(f" · corrigé à {at}", style=theme.WARNING)
            before = correction.previous or {}
            previous = before.get("text") if correction.text is not None else None
            if isinstance(previous, str):
                text.append(" (avant : ", style=theme.MUTED)
                text.append(untrusted(previous, max_length=80), style=theme.MUTED)
                text.append(")", style=theme.MUTED)
            shares = (before.get("figures") or {}).get("shares")
            if correction.figures is not None and isinstance(shares, dict):
                was = ", ".join(
                    f"{untrusted(str(name), max_length=40)} {percent(float(value))}"
                    for name, value in shares.items()
                    if isinstance(value, int | float)
                )
                text.append(f" (avant : {was})", style=theme.MUTED)
        retracted = desk.retracted.get(update.uid)
        if retracted is not None:
            text.append(" · retiré par la rédaction : ", style="red")
            text.append(untrusted(retracted.reason, max_length=80), style="red")
        if update.uid in desk.flagged:
            text.append(" ⚠ modifié par la source après correction", style=theme.WARNING)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        board = self.view.board
        items = board.feed(self.limit)
        pinned = self.view.desk.pinned
        if pinned:
            # Pinned updates on top, the latest pin first.
            order = {uid: rank for rank, uid in enumerate(reversed(list(pinned)))}
            items = sorted(items, key=lambda item: order.get(item.update.uid, len(order)))
        title = Text("Le fil", style=theme.TITLE)
        wanted = board.filter
        if wanted.kinds is not None:
            title.append(" · " + ", ".join(sorted(wanted.kinds)), style=theme.MUTED)
        if wanted.sources is not None:
            sources = ", ".join(untrusted(name, max_length=40) for name in sorted(wanted.sources))
            title.append(" · " + sources, style=theme.MUTED)
        # Each item's source in a column of its own, where the text keeps room enough.
        show_source = options.max_width >= _SOURCE_WIDTH
        body: Table | Text
        if not items:
            body = Text("Pas encore de mise à jour.", style=theme.MUTED)
        else:
            body = Table.grid(expand=True, padding=(0, 1))
            body.add_column(no_wrap=True)
            body.add_column(no_wrap=True, width=theme.BADGE_WIDTH)
            body.add_column(ratio=1, overflow="fold")
            if show_source:
                body.add_column(no_wrap=True, max_width=12, overflow="ellipsis")
            for item in items:
                time_cell, badge_cell, text_cell, source_cell = self._row(item)
                if show_source:
                    body.add_row(time_cell, badge_cell, text_cell, source_cell)
                else:
                    body.add_row(time_cell, badge_cell, text_cell)
        yield Panel(
            body,
            title=title,
            title_align="left",
            border_style=theme.BORDER,
            height=self.height,
        )
