"""One update as the board sees it: one view per scope its text states. Pure.

An update carries the figures of its main scope in ``figures`` and those of every other scope in
``more_figures`` (``docs/update.schema.json``, version 2). The board rule
(:mod:`ticker.board.night_board`) works on figures of one scope at a time, so it takes each
update as views: the update itself for its main scope, and for each other scope the same update
(same uid, source, time, round and text) with that scope's figures, split by what they state:
its shares (with ``counted_pct``, blank and null votes) as a ``count`` (an ``estimate`` when the
update is one), its participation (voters, rates, stations) as a ``turnout``. So "54,7 % en
Aveyron ... un peu plus de 10.000 en Aveyron" in an article is the Aveyron count and the Aveyron
turnout, each corroborating a results feed that states it alone.
"""

from __future__ import annotations

from dataclasses import replace

from ingest.model.update import Figures, Kind, Update

__all__ = ["has_turnout", "scope_views", "turnout_values"]


def turnout_values(figures: Figures) -> tuple[float | int | None, ...]:
    """The participation the figures state, in this order: voters (and their range), the share
    of stations, the change, the rate, the abstention; None for each not stated."""
    return (
        figures.voters,
        figures.voters_low,
        figures.voters_high,
        figures.stations_pct,
        figures.change_pct,
        figures.rate_pct,
        figures.abstention_pct,
    )


def has_turnout(figures: Figures) -> bool:
    """Whether the figures state participation (voters, a rate, a share of stations, a change)."""
    return any(value is not None for value in turnout_values(figures))


def _count_part(figures: Figures) -> Figures:
    return Figures(
        scope=figures.scope,
        shares=figures.shares,
        counted_pct=figures.counted_pct,
        blank_pct=figures.blank_pct,
        null_pct=figures.null_pct,
    )


def _turnout_part(figures: Figures) -> Figures:
    return replace(figures, shares={}, counted_pct=None, blank_pct=None, null_pct=None)


def scope_views(update: Update) -> list[Update]:
    """The update for its main scope, then the views of each other scope with figures."""
    if update.figures is None:
        return []
    if not update.more_figures:
        return [update]
    views = [replace(update, more_figures=())]
    estimated = update.kind is Kind.ESTIMATE
    for figures in update.more_figures:
        if figures.shares:
            kind = Kind.ESTIMATE if estimated else Kind.COUNT
            views.append(replace(update, kind=kind, figures=_count_part(figures), more_figures=()))
        if has_turnout(figures):
            turnout = _turnout_part(figures)
            views.append(replace(update, kind=Kind.TURNOUT, figures=turnout, more_figures=()))
    return views
