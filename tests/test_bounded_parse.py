"""Tests for ingest.polling.bounded_parse: calls in worker processes, killed past a limit or
cancelled."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from ingest.polling.bounded_parse import (
    INLINE_MAX_BYTES,
    INLINE_MAX_MARKUP,
    ParseLimitError,
    ParseWorkers,
    parse_bounded,
    parses_inline,
)
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.ingest import eventually


@pytest_asyncio.fixture
async def workers() -> AsyncIterator[ParseWorkers]:
    """One worker process at most, preloading nothing (quick to start)."""
    pool = ParseWorkers(size=1, preload=())
    try:
        yield pool
    finally:
        pool.close()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill 0: read its state.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):  # reaped between the kill and the read
        return False


async def _gone(pid: int) -> None:
    async def dead() -> bool:
        return not _alive(pid)

    await eventually(dead, within=5 * TIMEOUT_FACTOR)


def test_small_plain_documents_parse_inline_others_in_a_worker() -> None:
    """The inline path is for documents small in bytes and in markup, nothing else."""
    assert parses_inline(b"<p>21h00: x</p>" * 100)
    assert not parses_inline(b"x" * (INLINE_MAX_BYTES + 1))
    assert not parses_inline(b"<" * (INLINE_MAX_MARKUP + 1))
    assert not parses_inline(b"&lt;div&gt;" * (INLINE_MAX_MARKUP // 2 + 1))


async def test_a_call_returns_its_value_and_raises_its_error(workers: ParseWorkers) -> None:
    """What the function returns comes back; what it raises is raised; the worker is reused."""
    assert await workers.call(sum, [1, 2, 3], time_limit=30) == 6
    (pid,) = workers.processes
    with pytest.raises(ValueError, match="invalid literal"):
        await workers.call(int, "not a number", time_limit=30)
    assert workers.processes == [pid]


async def test_a_call_past_its_time_limit_kills_its_worker(workers: ParseWorkers) -> None:
    """A call of 60 s with a limit of 0.5 s: ParseLimitError, the worker killed, a new one next."""
    await workers.call(sum, [], time_limit=30)
    (pid,) = workers.processes
    started = time.monotonic()
    with pytest.raises(ParseLimitError, match=r"parsing took longer than 0\.5 s"):
        await workers.call(time.sleep, 60, time_limit=0.5)
    assert time.monotonic() - started < 5 * TIMEOUT_FACTOR
    await _gone(pid)
    assert await workers.call(sum, [4], time_limit=30) == 4
    assert workers.processes != [pid]


async def test_a_cancelled_call_kills_its_worker_at_once(workers: ParseWorkers) -> None:
    """Cancelling a call (a shutdown) kills the worker in the middle of its work."""
    await workers.call(sum, [], time_limit=30)
    (pid,) = workers.processes
    call = asyncio.create_task(workers.call(time.sleep, 60, time_limit=120))
    await asyncio.sleep(0.2)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    await _gone(pid)


async def test_a_worker_that_dies_is_a_parse_limit_error_then_replaced(
    workers: ParseWorkers,
) -> None:
    """A worker killed by what it ran (abort) is reported with its signal; the next call works."""
    with pytest.raises(ParseLimitError, match="killed by SIGABRT"):
        await workers.call(os.abort, time_limit=30)
    assert await workers.call(sum, [5], time_limit=30) == 5


async def test_close_kills_every_worker() -> None:
    """close() leaves no process behind, and refuses later calls."""
    pool = ParseWorkers(size=2, preload=())
    await asyncio.gather(
        pool.call(sum, [], time_limit=30), pool.call(time.sleep, 0.3, time_limit=30)
    )
    pids = pool.processes
    assert len(pids) == 2
    pool.close()
    for pid in pids:
        await _gone(pid)
    with pytest.raises(RuntimeError):
        await pool.call(sum, [], time_limit=30)


def _nest(depth: int) -> object:
    """A function that recurses ``depth`` deep (RecursionError past the interpreter's limit)."""
    return None if depth == 0 else [_nest(depth - 1)]


async def test_a_parser_out_of_stack_is_a_parse_limit_error(workers: ParseWorkers) -> None:
    """RecursionError, inline or in a worker, is reported as a parse limit, not a crash."""
    with pytest.raises(ParseLimitError, match="nests deeper"):
        await parse_bounded(_nest, b"small", 100_000, time_limit=30, workers=workers)
    with pytest.raises(ParseLimitError, match="nests deeper"):
        await parse_bounded(
            _nest, b"<" * (INLINE_MAX_MARKUP + 1), 100_000, time_limit=30, workers=workers
        )
