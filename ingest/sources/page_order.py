"""The order of a page's entries: which way it runs, and which entries are pinned. Pure.

A liveblog shows its entries newest first (most do) or oldest first, and a page of the latest N
lets its oldest entries fall off the end as new ones arrive (:mod:`ingest.sources.entry_diff`: those
are not deletions; the oldest entry shown is the floor under which a missing entry fell off).
Many pages also *pin* an entry on top whatever its time: an introduction dated 07:00 above
the evening's entries. Taken at its word, that 07:00 would be the floor, and every entry that
rolled off would look deleted. So the floor is read from the page without its pinned entries:

- **By time** (:func:`out_of_order`): on a page that runs one way (:func:`runs_newest_first`:
  most neighbours go down in time, or up), the entries out of that order are pinned: those left
  out of the longest run of the page's entries in its order (not necessarily neighbours). An
  intro dated 07:00 on top of a newest-first page, or featured under its first entries.
- **Across polls** (:func:`pinned_entries`): a run of entries that stays at the top of the page
  (same entries, same order) while the page rolls under it (the entry under the run changed,
  and the poll both shows a new entry and lost one) is pinned; that catches an old intro pinned
  on a page that runs oldest first, where its time is in order. So is a run that stays at the
  *end* of the page while the page rolls above it (an intro kept under the latest entries of a
  newest-first page: in order, but not the end entries fall off from). A pinned entry stays
  pinned while it stays at the top (only pinned entries above it), or at the end. And a run
  inside the page that keeps its place (same positions) while the entries just above and
  under it change and the page rolls (a featured entry amid a page too short to tell its
  order) is pinned, and stays so while at its place.

A pinned entry is still an entry (added, edited, deleted like any other); it only does not count
in the floor. If an entry is taken as pinned when it is not, the floor rises to the next entry:
an entry removed between the two is then taken as fallen off rather than deleted, the safe
side (a false delete removes a live entry from every reader's page).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

__all__ = ["PageTop", "out_of_order", "pinned_entries", "runs_newest_first"]


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


def out_of_order(times: Sequence[datetime]) -> set[int]:
    """The positions of the entries out of the page's order (none if it runs neither way).

    The page's order is its longest subsequence of times going the page's way (down on a
    newest-first page, up on an oldest-first one, equal times allowed); every other entry is
    out of it. O(n log n) (patience sorting).
    """
    newest_first = runs_newest_first(times)
    if newest_first is None:
        return set()
    # Newest first: a longest non-increasing subsequence is a longest non-decreasing one of the
    # negated times; seconds since the first entry keep the keys plain numbers.
    first = times[0]
    keys = [(t - first).total_seconds() * (-1 if newest_first else 1) for t in times]
    tails: list[float] = []  # the smallest tail of a run of each length
    tail_at: list[int] = []  # the position of that tail
    before: list[int] = [-1] * len(keys)  # the previous position in the run ending here
    for position, key in enumerate(keys):
        length = bisect_right(tails, key)
        if length == len(tails):
            tails.append(key)
            tail_at.append(position)
        else:
            tails[length] = key
            tail_at[length] = position
        before[position] = tail_at[length - 1] if length else -1
    in_order: set[int] = set()
    position = tail_at[-1] if tail_at else -1
    while position >= 0:
        in_order.add(position)
        position = before[position]
    return set(range(len(keys))) - in_order


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


def _rolled_over_end(uids: Sequence[str], last: Sequence[str]) -> int:
    """The length of the run at the end that stayed while the page rolled above it (else 0)."""
    return _rolled_under_top(uids[::-1], last[::-1])


def _held_in_place(uids: Sequence[str], last: Sequence[str]) -> set[str]:
    """Runs inside the page that kept their place while the page rolled around them: the same
    entries at the same positions, the entries just above and just under them changed (and
    the poll both shows a new entry and lost one). A featured entry amid the latest ones."""
    shown, shown_before = set(uids), set(last)
    if not (shown - shown_before and shown_before - shown):
        return set()
    held: set[str] = set()
    same = [now == before for now, before in zip(uids, last, strict=False)]
    start = 0
    while start < len(same):
        if not same[start]:
            start += 1
            continue
        end = start
        while end < len(same) and same[end]:
            end += 1
        # Positions start..end-1 kept their entries; the entries above and under them changed
        # (under a run that ends one of the two pages, the other page's longer: a change too).
        if start > 0 and (end < len(same) or len(uids) != len(last)):
            held.update(uids[start:end])
        start = end
    return held


def pinned_entries(
    uids: Sequence[str], times: Sequence[datetime], *, last: PageTop | None
) -> PageTop:
    """The pinned entries of a page (``uids`` and ``times`` in page order, top first).

    ``last`` is what the previous page applied gave (None for a poller's first page).
    """
    pinned: set[str] = {uids[position] for position in out_of_order(times)}
    if last is not None:
        for run in (uids, uids[::-1]):
            for uid in run:
                if uid not in last.pinned:
                    break
                pinned.add(uid)
        pinned.update(uids[: _rolled_under_top(uids, last.uids)])
        at_end = _rolled_over_end(uids, last.uids)
        pinned.update(uids[len(uids) - at_end :])
        pinned.update(_held_in_place(uids, last.uids))
        # A pinned entry still at its place (from the top or from the end) stays pinned.
        before = {uid: index for index, uid in enumerate(last.uids)}
        for index, uid in enumerate(uids):
            was = before.get(uid)
            if uid not in last.pinned or was is None:
                continue
            if was == index or len(last.uids) - was == len(uids) - index:
                pinned.add(uid)
    return PageTop(tuple(uids), frozenset(pinned))
