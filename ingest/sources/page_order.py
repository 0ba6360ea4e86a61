"""The order of a page's entries: which way it runs, and which entries are pinned. Pure.

A liveblog shows its entries newest first (most do) or oldest first, and a page of the latest N
lets its oldest entries fall off the end as new ones arrive (:mod:`ingest.sources.entry_diff`: those
are not deletions; the oldest entry shown is the floor under which a missing entry fell off).
Many pages also *pin* an entry on top whatever its time: an introduction dated 07:00 above
the evening's entries. Taken at its word, that 07:00 would be the floor, and every entry that
rolled off would look deleted. So the floor is read from the page without its pinned entries:

- **By time**: on a page that runs newest first (:func:`runs_newest_first`: most neighbours
  go down in time), the entries at the top older than the entry just under them are pinned.
- **Across polls** (:func:`pinned_entries`): a run of entries that stays at the top of the page
  (same entries, same order) while the page rolls under it (the entry under the run changed,
  and the poll both shows a new entry and lost one) is pinned; that catches an old intro pinned
  on a page that runs oldest first, where its time is in order. A pinned entry stays pinned while
  it stays at the top (only pinned entries above it).

A pinned entry is still an entry (added, edited, deleted like any other); it only does not count
in the floor. If an entry is taken as pinned when it is not, the floor rises to the next entry:
an entry removed between the two is then taken as fallen off rather than deleted, the safe
side (a false delete removes a live entry from every reader's page).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

__all__ = ["PageTop", "pinned_entries", "runs_newest_first"]


def runs_newest_first(times: Sequence[datetime]) -> bool | None:
    """Whether times in page order mostly go down (True) or up (False); None if even."""
    down = sum(1 for above, below in pairwise(times) if above > below)
    up = sum(1 for above, below in pairwise(times) if above < below)
    if down == up:
        return None
    return down > up


@dataclass(frozen=True, slots=True)
class PageTop:
    """What a poller remembers of the last page it applied: its uids in page order, and which
    of them were pinned."""

    uids: tuple[str, ...]
    pinned: frozenset[str]


def _pinned_by_time(times: Sequence[datetime]) -> int:
    """How many entries at the top of a newest-first page are older than the one under them."""
    if runs_newest_first(times) is not True:
        return 0
    count = 0
    for above, below in pairwise(times):
        if above >= below:
            break
        count += 1
    return count


def _rolled_under_top(uids: Sequence[str], last: Sequence[str]) -> int:
    """The length of the run at the top that stayed while the page rolled under it (else 0)."""
    run = 0
    for now, before in zip(uids, last, strict=False):
        if now != before:
            break
        run += 1
    if run == 0:
        return 0
    under_now = uids[run] if run < len(uids) else None
    under_before = last[run] if run < len(last) else None
    shown, shown_before = set(uids), set(last)
    rolled = under_now != under_before and bool(shown - shown_before) and bool(shown_before - shown)
    return run if rolled else 0


def pinned_entries(
    uids: Sequence[str], times: Sequence[datetime], *, last: PageTop | None
) -> PageTop:
    """The pinned entries of a page (``uids`` and ``times`` in page order, top first).

    ``last`` is what the previous page applied gave (None for a poller's first page).
    """
    pinned: set[str] = set(uids[: _pinned_by_time(times)])
    if last is not None:
        for uid in uids:
            if uid not in last.pinned:
                break
            pinned.add(uid)
        pinned.update(uids[: _rolled_under_top(uids, last.uids)])
    return PageTop(tuple(uids), frozenset(pinned))
