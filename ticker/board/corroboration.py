"""Corroboration: the figures several sources state for one time and scope, made one
:class:`ticker.board.board_values.Point` (each source once, its latest report; agreeing
sources listed together, differing ones kept as variants). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ingest.model.update import Figures, Kind, Previous, Update
from ticker.board.board_values import Point, Variant
from ticker.board.scope_views import has_turnout, turnout_values

__all__ = [
    "PointKey",
    "Seen",
    "ViewKey",
    "build_point",
    "carries_figures",
    "figures_signature",
    "point_time",
    "view_key",
]


@dataclass(slots=True)
class Seen:
    update: Update
    seq: int
    corrected: Figures | None = None


def carries_figures(update: Update) -> bool:
    figures = update.figures
    if figures is None:
        return False
    if update.kind in (Kind.COUNT, Kind.ESTIMATE):
        return bool(figures.shares or figures.votes or figures.seats)
    return update.kind is Kind.TURNOUT and has_turnout(figures)


def _minute(instant: datetime) -> datetime:
    return instant.replace(second=0, microsecond=0)


def point_time(update: Update) -> datetime:
    """When a figure stands: a turnout's ``as_of`` on its day (or the day before), else ``at``."""
    figures = update.figures
    if update.kind is not Kind.TURNOUT or figures is None or figures.as_of is None:
        return _minute(update.at)
    hour, minute = (int(part) for part in figures.as_of.split(":"))
    instant = update.at.replace(hour=hour, minute=minute, second=0, microsecond=0)
    # "à 23h" published at 00:10 stands the day before.
    return instant - timedelta(days=1) if instant > update.at + timedelta(hours=1) else instant


def figures_signature(figures: Figures) -> tuple[object, ...]:
    """What two sources must both state to agree (not how they compare it: ``previous``)."""
    return (
        tuple(sorted(figures.shares.items())),
        tuple(sorted(figures.votes.items())),
        tuple(sorted(figures.seats.items())),
        figures.seats_total,
        figures.counted_pct,
        *turnout_values(figures),
        figures.blank_pct,
        figures.null_pct,
    )


def agree(one: tuple[object, ...], other: tuple[object, ...]) -> bool:
    """Whether two signatures state the same figures: a figure only one of them states (the
    counted share a results feed gives and a liveblog leaves out) is no disagreement."""
    return all(
        a == b or a in (None, ()) or b in (None, ()) for a, b in zip(one, other, strict=True)
    )


PointKey = tuple[Kind, int | None, str, datetime]
ViewKey = tuple[str, str, Kind]


def view_key(view: Update) -> ViewKey:
    assert view.figures is not None
    return (view.uid, view.figures.scope, view.kind)


def build_point(kind: Kind, members: list[Seen]) -> Point:
    """One point from its updates (one kind, round, scope and time)."""
    latest_by_source: dict[str, Seen] = {}
    for seen in sorted(members, key=lambda seen: (seen.update.at, seen.seq)):
        latest_by_source[seen.update.source] = seen
    chosen = list(latest_by_source.values())
    newest = max(chosen, key=lambda seen: (seen.update.at, seen.seq))
    variants: dict[tuple[object, ...], list[Seen]] = {}
    for seen in chosen:
        assert seen.update.figures is not None
        signature = figures_signature(seen.update.figures)
        same = next((known for known in variants if agree(known, signature)), signature)
        variants.setdefault(same, []).append(seen)
    figures = newest.update.figures
    assert figures is not None
    previous = next(
        (
            s.update.figures.previous
            for s in chosen
            if s.update.figures and s.update.figures.previous
        ),
        None,
    )
    if figures.previous is None and previous is not None:
        figures = with_previous(figures, previous)
    elif figures.previous is not None and figures.previous.round is None:
        rounds = [
            s.update.figures.previous.round
            for s in chosen
            if s.update.figures and s.update.figures.previous and s.update.figures.previous.round
        ]
        if rounds:
            figures = with_previous(
                figures,
                Previous(
                    voters=figures.previous.voters,
                    stations_pct=figures.previous.stations_pct,
                    round=rounds[0],
                ),
            )
    return Point(
        kind=kind,
        round=newest.update.round,
        at=point_time(newest.update),
        figures=figures,
        sources=tuple(sorted(latest_by_source)),
        uids=tuple(seen.update.uid for seen in sorted(chosen, key=lambda seen: seen.seq)),
        variants=tuple(
            Variant(
                group[0].update.figures or Figures(), tuple(sorted(s.update.source for s in group))
            )
            for group in variants.values()
        )
        if len(variants) > 1
        else (),
        corrected=newest.corrected,
    )


def with_previous(figures: Figures, previous: Previous) -> Figures:
    data = figures.to_json()
    data["previous"] = previous.to_json()
    return Figures.from_json(data)
