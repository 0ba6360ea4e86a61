"""A night's fixtures as the updates they give, in the order of the night.

The same builders as the pollers' (:mod:`ingest.extraction.entries`) turn each liveblog entry,
article and results checkpoint into an update, so that a replay straight into the stream and a
replay through the emulated sources give the same updates. Pure.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ingest.extraction.entries import article_text, update_from_checkpoint, update_from_text
from ingest.model.update import Update
from replay.clock import ReplayWindow
from replay.night_fixture import NightFixture

__all__ = ["default_start", "night_updates", "with_default_start"]


def night_updates(fixture: NightFixture, *, seen: datetime) -> list[Update]:
    """Every update of the night, ordered by ``at`` (ties keep liveblog, feed, results order).

    ``seen`` stamps them all; a replay re-stamps each update when it appends it.
    """
    night = fixture.night
    updates: list[Update] = [
        update_from_text(
            source=fixture.liveblog_source,
            key=entry.key,
            at=entry.at,
            text=entry.text,
            night=night,
            seen=seen,
        )
        for entry in fixture.liveblog
    ]
    updates.extend(
        update_from_text(
            source=fixture.feed_source,
            key=article.guid,
            at=article.published,
            text=article_text(article.title, article.text),
            night=night,
            seen=seen,
        )
        for article in fixture.articles
    )
    updates.extend(
        update_from_checkpoint(
            source=fixture.results_source,
            key=checkpoint.id,
            at=checkpoint.published,
            kind=checkpoint.kind,
            figures=checkpoint.figures,
            text=checkpoint.text,
            round_=checkpoint.round,
            seen=seen,
        )
        for checkpoint in fixture.checkpoints
    )
    updates.sort(key=lambda update: update.at)
    return updates


def default_start(fixture: NightFixture) -> datetime | None:
    """Where a replay starts when ``--from`` is not given: the first entry of the night's day.

    Articles published on earlier days (the first round's) are then part of the state the
    replay starts from, instead of a week of waiting at real-time speed.
    """
    night = fixture.night
    day_start = datetime.combine(night.date, datetime.min.time(), tzinfo=night.timezone)
    ats = [entry.at for entry in fixture.liveblog if entry.at >= day_start]
    return min(ats, default=None)


def with_default_start(window: ReplayWindow, fixture: NightFixture) -> ReplayWindow:
    """``window`` with ``--from`` defaulted to :func:`default_start`."""
    if window.start is not None:
        return window
    return replace(window, start=default_start(fixture))
