"""Health records batched (ingest.store.health_batch): many sources' records in one round trip
against a real Redis, each written as record_poll writes it, each caller told its own error."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from ingest.sources.source_health import SourceHealth
from ingest.store import keys
from ingest.store.health import read_all_health
from ingest.store.health_batch import HealthBatcher, shared_batcher

SOURCES = 300


async def _execs(redis: Redis) -> int:
    stats = await redis.info("commandstats")
    return int(stats.get("cmdstat_exec", {}).get("calls", 0))


async def test_records_written_together_are_each_written(
    redis_client: Redis, stream_key: str
) -> None:
    """300 sources recording at once: every record and counter written, in a few MULTIs."""
    batcher = HealthBatcher(redis_client)
    before = await _execs(redis_client)
    await asyncio.gather(
        *(
            batcher.record(
                stream_key, SourceHealth(source=f"s{n}", state="ok", entries_seen=n), appended=n
            )
            for n in range(SOURCES)
        )
    )
    execs = await _execs(redis_client) - before
    health = await read_all_health(redis_client, stream_key)
    assert sorted(health) == sorted(f"s{n}" for n in range(SOURCES))
    for n in range(SOURCES):
        assert (health[f"s{n}"]["polls"], health[f"s{n}"]["appended"]) == (1, n)
        assert health[f"s{n}"]["entries_seen"] == n
    assert 1 <= execs <= 3


async def test_one_source_twice_in_a_batch_is_merged(redis_client: Redis, stream_key: str) -> None:
    """Two records of one source waiting together: the newer fields, the counters summed."""
    batcher = HealthBatcher(redis_client)
    await asyncio.gather(
        batcher.record(stream_key, SourceHealth(source="a", state="error"), appended=2),
        batcher.record(stream_key, SourceHealth(source="a", state="ok"), appended=3),
    )
    health = (await read_all_health(redis_client, stream_key))["a"]
    assert (health["state"], health["polls"], health["appended"]) == ("ok", 2, 5)


async def test_each_caller_gets_its_own_error(redis_client: Redis, stream_key: str) -> None:
    """A record that Redis refuses fails its caller only; the others of its batch are written."""
    await redis_client.set(keys.health_key(stream_key, "broken"), "not a hash")
    batcher = HealthBatcher(redis_client)
    results = await asyncio.gather(
        batcher.record(stream_key, SourceHealth(source="broken", state="ok")),
        batcher.record(stream_key, SourceHealth(source="fine", state="ok")),
        return_exceptions=True,
    )
    assert isinstance(results[0], ResponseError)
    assert "WRONGTYPE" in str(results[0])
    assert results[1] is None
    await redis_client.delete(keys.health_key(stream_key, "broken"))
    assert (await read_all_health(redis_client, stream_key))["fine"]["state"] == "ok"


async def test_a_caller_that_gives_up_leaves_the_batch_to_the_others(
    redis_client: Redis, stream_key: str
) -> None:
    """A caller cancelled while its batch is written: the record is written all the same."""
    batcher = shared_batcher(redis_client)
    assert shared_batcher(redis_client) is batcher
    impatient = asyncio.create_task(
        batcher.record(stream_key, SourceHealth(source="gone", state="ok"))
    )
    await asyncio.sleep(0)  # queued, the batch under way
    impatient.cancel()
    with pytest.raises(asyncio.CancelledError):
        await impatient
    await batcher.record(stream_key, SourceHealth(source="after", state="ok"))
    health = await read_all_health(redis_client, stream_key)
    assert {"gone", "after"} <= set(health)
    await batcher.close()


async def test_a_health_key_of_the_wrong_type_is_skipped_with_a_warning(
    redis_client: Redis, stream_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    """One source's health key a string (written by something else): the others are read,
    that one skipped and named in a warning (before: WRONGTYPE failed the whole read)."""
    batcher = HealthBatcher(redis_client)
    await batcher.record(stream_key, SourceHealth(source="good", state="ok"), appended=1)
    await redis_client.sadd(keys.sources_key(stream_key), "bad")
    await redis_client.set(keys.health_key(stream_key, "bad"), "not a hash")
    with caplog.at_level("WARNING", logger="ingest.store.health"):
        health = await read_all_health(redis_client, stream_key)
    assert sorted(health) == ["good"]
    assert any("'bad'" in record.getMessage() for record in caplog.records)
