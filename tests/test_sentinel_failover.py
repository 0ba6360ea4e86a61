"""Redis behind Sentinel: a primary, a replica and three Sentinels, real, on loopback.

A writer appends through a ``redis+sentinel://`` client while the primary is SIGKILLed three
times (the killed server comes back as the new primary's replica each time). Every append the
store acknowledged must survive (each waits for one replica: ``WAIT``), and the stream must end
with every update once, in order, on whichever server is primary, with no restart of the writer.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

import pytest
from redis.exceptions import RedisError

from ingest.store.redis_client import connect
from ingest.store.redis_errors import RedisConfigError
from ingest.store.redis_url import redact_url, validate_redis_url
from ingest.store.sentinel import ReplicatedRedis, SentinelTarget, parse_sentinel_url
from ingest.store.stream_store import StreamStore
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.broadcaster import make_update
from tests.plugins.sentinel import SentinelSet

KILLS = 3
UPDATES = 240


def test_a_sentinel_url_names_the_sentinels_service_and_database() -> None:
    """Hosts (26379 by default), service, db, the servers' password, min_replicas."""
    target = parse_sentinel_url("redis+sentinel://:pw@s1:26380,s2/mymaster/2?min_replicas=0")
    assert target == SentinelTarget(
        sentinels=(("s1", 26380), ("s2", 26379)), service="mymaster", db=2, password="pw",
        min_replicas=0,
    )  # fmt: skip
    assert validate_redis_url("redis+sentinel://h:26379/mymaster") == (
        "redis+sentinel://h:26379/mymaster"
    )
    assert redact_url("redis+sentinel://:pw@s1,s2/m/0") == "redis+sentinel://:***@s1,s2/m/0"


@pytest.mark.parametrize(
    "url",
    [
        "redis+sentinel://h:26379",
        "redis+sentinel://h:26379/m/0/extra",
        "redis+sentinel://h:99999/m",
        "redis+sentinel://:pw@/m",
        "redis+sentinel://h/m/zero",
        "redis+sentinel://h/m?min_replicas=-1",
        "redis+sentinel://h/m?ssl_ca_certs=x",
    ],
)
def test_a_bad_sentinel_url_is_one_line_without_its_password(url: str) -> None:
    """Each mistake is a RedisConfigError that names it; no password in it."""
    with pytest.raises(RedisConfigError) as refused:
        validate_redis_url(url.replace("://", "://:s3cret@", 1) if "@" not in url else url)
    assert "s3cret" not in str(refused.value)
    assert "\n" not in str(refused.value)


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_appends_follow_three_failovers_and_nothing_acknowledged_is_lost(
    tmp_path: Path, stream_key: str
) -> None:
    """Three SIGKILLs of the primary under a writer: every update once, in order, no restart."""
    servers = await asyncio.to_thread(SentinelSet(tmp_path).start)
    try:
        client = await connect(servers.url, socket_timeout=2.0)
        assert isinstance(client, ReplicatedRedis)
        assert client.min_replicas == 1
        store = StreamStore(client, stream_key)
        acknowledged: list[float] = []
        refused = 0

        async def write() -> None:
            nonlocal refused
            for number in range(UPDATES):
                while True:
                    try:
                        await store.append(make_update(number))
                        break
                    except (RedisError, OSError):
                        refused += 1  # a poller keeps its document and offers it again
                        await asyncio.sleep(0.05)
                acknowledged.append(time.monotonic())
                await asyncio.sleep(0.01)

        writing = asyncio.create_task(write())
        kills: list[tuple[int, int]] = []
        for round_ in range(KILLS):
            while len(acknowledged) < (round_ + 1) * UPDATES // (KILLS + 1):
                assert not writing.done()
                await asyncio.sleep(0.02)
            kills.append(await asyncio.to_thread(servers.kill_primary))
        await asyncio.wait_for(writing, timeout=60 * TIMEOUT_FACTOR)
        updates = (await store.history()).updates
        assert [u.uid for u in updates] == [make_update(n).uid for n in range(UPDATES)]
        assert servers.primary_port() == kills[-1][1]
        assert all(killed != promoted for killed, promoted in kills)
        gaps = [later - earlier for earlier, later in itertools.pairwise(acknowledged)]
        print(
            f"sentinel failover: {KILLS} primary kills {kills}; {UPDATES} updates once, in order;"
            f" {refused} refused attempts; longest time without an append {max(gaps):.2f} s;"
            f" failover and resync (s): {servers.timings}"
        )
        await client.aclose()
    finally:
        await asyncio.to_thread(servers.close)
