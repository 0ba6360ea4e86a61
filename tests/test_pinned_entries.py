"""Issue 15.6: a pinned old entry must not turn a page's roll-off into deletes.

A real poller polls the fault server's liveblog (the default ``HHhMM:`` format), which shows an
introduction dated 07:00 pinned on top and the latest 50 of 200 entries, moving on a few entries
per poll, newest first and oldest first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from redis.asyncio import Redis

from ingest.model.update import Op
from ingest.polling.fetch import Fetcher
from ingest.polling.poller import SourcePoller
from ingest.sources.source_config import SourceConfig, SourceType
from ingest.store.stream_store import StreamStore
from replay.night_fixture import NightFixture
from tests.plugins.ingest import FaultServer

ENTRIES = 200
SHOWN = 50
INTRO = ("07h00", "Bienvenue dans ce direct consacré au second tour de la primaire", None)


def clock(index: int) -> str:
    """Entry ``index`` is at 12h00 plus three minutes per entry (12h00 ... 21h57)."""
    minutes = 12 * 60 + 3 * index
    return f"{minutes // 60:02d}h{minutes % 60:02d}"


def page(last: int, *, newest_first: bool) -> list[tuple[str, str, str | None]]:
    """The intro pinned on top, then the latest SHOWN entries up to ``last`` (excluded)."""
    shown = [(clock(i), f"Entrée numéro {i} de la soirée", None) for i in range(last - SHOWN, last)]
    return [INTRO, *(shown[::-1] if newest_first else shown)]


@pytest_asyncio.fixture
async def poller(
    fault_server: FaultServer, sources_night: NightFixture, redis_client: Redis, store: StreamStore
) -> AsyncIterator[SourcePoller]:
    """A real poller of the fault server's liveblog."""
    source = SourceConfig(
        name="live", type=SourceType.LIVEBLOG, url=fault_server.url("/liveblog"), interval=0.05,
        timeout=2, total_timeout=5, max_backoff=0.5,
    )  # fmt: skip
    async with aiohttp.ClientSession() as session:
        yield SourcePoller(
            source,
            night=sources_night.night,
            redis=redis_client,
            store=store,
            fetcher=Fetcher(session),
        )


@pytest.mark.parametrize("newest_first", [True, False], ids=["newest-first", "oldest-first"])
async def test_a_pinned_intro_does_not_turn_roll_off_into_deletes(
    newest_first: bool, fault_server: FaultServer, poller: SourcePoller, store: StreamStore
) -> None:
    """150 entries roll off under a pinned 07:00 intro: no delete, every entry added once."""
    for last in range(SHOWN, ENTRIES + 1, 5):
        fault_server.entries = page(last, newest_first=newest_first)
        result = await poller.poll_once()
        assert result.ok, result.error
        assert result.deleted == 0, f"{result.deleted} deletes at entry {last}"
    history = (await store.history()).updates
    assert {u.op for u in history} == {Op.ADD}
    assert len(history) == ENTRIES + 1
    # Each poll's new entries went to the stream oldest first, the page's order read right.
    rolling = [u.at for u in history if u.at.hour >= 12]
    assert rolling == sorted(rolling)


async def test_an_entry_removed_under_a_pinned_intro_is_still_deleted(
    fault_server: FaultServer, poller: SourcePoller
) -> None:
    """The pinned intro moves the floor up, not away: an entry gone from the middle is deleted."""
    fault_server.entries = page(SHOWN, newest_first=True)
    assert (await poller.poll_once()).added == SHOWN + 1
    del fault_server.entries[10]
    removed = await poller.poll_once()
    assert (removed.added, removed.deleted) == (0, 1)


@pytest.mark.parametrize("where", [3, SHOWN], ids=["featured-mid-page", "kept-at-the-end"])
async def test_an_old_entry_out_of_place_does_not_turn_roll_off_into_deletes(
    where: int, fault_server: FaultServer, poller: SourcePoller, store: StreamStore
) -> None:
    """A newest-first page of the latest 50 with the 07:00 intro held elsewhere than on top:
    featured under the first entries (out of the page's order) or kept at the end (in order,
    but staying there while the page rolls above it). Before, the intro was the floor, and
    every entry that rolled off was appended as a delete."""
    for last in range(SHOWN, ENTRIES + 1, 5):
        shown = page(last, newest_first=True)[1:]
        fault_server.entries = [*shown[:where], INTRO, *shown[where:]]
        result = await poller.poll_once()
        assert result.ok, result.error
        assert result.deleted == 0, f"{result.deleted} deletes at entry {last}"
    history = (await store.history()).updates
    assert {u.op for u in history} == {Op.ADD}
    assert len(history) == ENTRIES + 1
    # Still deleted when removed from the middle of the page.
    del fault_server.entries[20]
    removed = await poller.poll_once()
    assert (removed.added, removed.deleted) == (0, 1)
