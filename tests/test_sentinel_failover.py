"""Redis behind Sentinel: a primary, a replica and three Sentinels, real, on loopback.

A writer appends through a ``redis+sentinel://`` client while the primary is SIGKILLed three
times (the killed server comes back as the new primary's replica each time). Every append the
store acknowledged must survive (each waits for one replica: ``WAIT``), and the stream must end
with every update once, in order, on whichever server is primary, with no restart of the writer.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import signal
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError
from websockets.asyncio.client import connect as ws_connect

from ingest.model.update import Op
from ingest.polling.runner import run_ingest
from ingest.sources.config import load_ingest_config
from ingest.store.redis_client import connect
from ingest.store.redis_errors import RedisConfigError
from ingest.store.redis_url import redact_url, validate_redis_url
from ingest.store.sentinel import (
    NotReplicatedError,
    ReplicatedRedis,
    SentinelTarget,
    parse_sentinel_url,
)
from ingest.store.stream_store import StreamStore
from replay.night_fixture import NightFixture
from replay.timeline import night_updates
from tests.conftest import BUNDLED_NIGHT_DIR, TIMEOUT_FACTOR
from tests.plugins.broadcaster import (
    BroadcasterStarter,
    RunningBroadcaster,
    make_update,
    recv_json,
)
from tests.plugins.ingest import eventually, identity, sources_toml
from tests.plugins.sentinel import SentinelSet
from tests.plugins.sources import SourcesStarter

BUNDLED_NIGHT = BUNDLED_NIGHT_DIR / "night.toml"
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
    client: Redis | None = None
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
        # (Sentinel may have failed over once more by itself: the primary is one of the two.)
        assert servers.primary_port() in servers.servers
        assert all(killed != promoted for killed, promoted in kills)
        gaps = [later - earlier for earlier, later in itertools.pairwise(acknowledged)]
        print(
            f"sentinel failover: {KILLS} primary kills {kills}; {UPDATES} updates once, in order;"
            f" {refused} refused attempts; longest time without an append {max(gaps):.2f} s;"
            f" failover and resync (s): {servers.timings}"
        )
    finally:
        if client is not None:
            await client.aclose()
        await asyncio.to_thread(servers.close)


def _replicated_client(port: int) -> ReplicatedRedis:
    """A client of the server on ``port`` whose appends and reads wait for one replica."""
    client = ReplicatedRedis(port=port, decode_responses=True, socket_timeout=10.0)
    client.min_replicas, client.wait_ms = 1, round(5000 * TIMEOUT_FACTOR)
    return client


async def test_a_reader_is_handed_only_appends_a_replica_confirmed(
    tmp_path: Path, stream_key: str
) -> None:
    """The replica promoted while the old primary still takes an append: its writer is
    refused (a retry too, on another connection), and no reader of the old primary is handed
    it, so no client has what the new primary lacks (before: the reader was handed it, and the
    poller's retry appended it again on the new primary: that client had it twice)."""
    servers = await asyncio.to_thread(SentinelSet(tmp_path).start_servers)
    primary, replica = servers.servers
    writer, retrier, reader, promoted = (
        _replicated_client(port) for port in (primary, primary, primary, replica)
    )
    try:
        writes, reads = StreamStore(writer, stream_key), StreamStore(reader, stream_key)
        await writes.append(make_update(0))
        read = await reads.read_after("0", block_ms=100, count=10)
        assert [u.uid for u in read] == [make_update(0).uid]
        await promoted.replicaof("NO", "ONE")  # as Sentinel would
        for client in (writer, retrier, reader):
            client.wait_ms = 200  # no replica left: each WAIT below is refused, so not long
        with pytest.raises(NotReplicatedError):
            await writes.append(make_update(1))  # on the old primary only
        with pytest.raises(NotReplicatedError):  # found "already there", still unconfirmed
            await StreamStore(retrier, stream_key).append(make_update(1))
        assert await reads.length() == 2
        handed = await reads.read_after(read.last_id, block_ms=100, count=10)
        assert list(handed) == []
        assert handed.last_id == read.last_id
        promoted.min_replicas = 0
        survived = (await StreamStore(promoted, stream_key).history()).updates
        assert [u.uid for u in survived] == [make_update(0).uid]
    finally:
        for client in (writer, retrier, reader, promoted):
            await client.aclose()
        await asyncio.to_thread(servers.close)


async def test_a_blocked_reader_served_by_an_unconfirmed_append_is_not_handed_it(
    tmp_path: Path, stream_key: str
) -> None:
    """A reader blocked in its XREAD, then served by an append its replica (paused) does not
    have: not handed it (before: WAIT counted from when the XREAD blocked, and the replica's
    old acknowledgement passed for a confirmation). Once the replica is back, it is."""
    servers = await asyncio.to_thread(SentinelSet(tmp_path).start_servers)
    primary, replica = servers.servers
    writer, reader = _replicated_client(primary), _replicated_client(primary)
    try:
        writes, reads = StreamStore(writer, stream_key), StreamStore(reader, stream_key)
        await writes.append(make_update(0))
        read = await reads.read_after("0", block_ms=100, count=10)
        writer.wait_ms = reader.wait_ms = 200
        reading = asyncio.create_task(reads.read_after(read.last_id, block_ms=5000, count=10))

        async def blocked() -> bool:
            return int((await writer.info("clients"))["blocked_clients"]) > 0

        async def acknowledged() -> bool:  # the replica's last word: it has everything so far
            info = await writer.info("replication")
            return int(info["slave0"]["offset"]) >= int(info["master_repl_offset"])

        await eventually(blocked, within=10)  # the reader is blocked in its XREAD
        await eventually(acknowledged, within=10)
        servers.servers[replica].send_signal(signal.SIGSTOP)
        try:
            with pytest.raises(NotReplicatedError):
                await writes.append(make_update(1))
            handed = await reading
        finally:
            servers.servers[replica].send_signal(signal.SIGCONT)
        assert list(handed) == []
        assert handed.last_id == read.last_id
        reader.wait_ms = round(5000 * TIMEOUT_FACTOR)
        later = await reads.read_after(read.last_id, block_ms=100, count=10)
        assert [u.uid for u in later] == [make_update(1).uid]
    finally:
        for client in (writer, reader):
            await client.aclose()
        await asyncio.to_thread(servers.close)


@dataclass
class _Watcher:
    """A websocket client of one broadcaster that records every update it is sent."""

    ids: list[str] = field(default_factory=list)
    uids: list[str] = field(default_factory=list)
    others: list[str] = field(default_factory=list)

    async def watch(self, url: str, until: int) -> None:
        """Read from ``url`` until ``until`` updates came."""
        async with ws_connect(url, max_size=None) as ws:
            while len(self.ids) < until:
                message = await recv_json(ws, within=60)
                if message["type"] == "update":
                    self.ids.append(message["id"])
                    self.uids.append(message["uid"])
                else:
                    self.others.append(message["type"])


@pytest.mark.slow
@pytest.mark.timeout(120)
async def test_the_night_ingested_through_three_primary_kills_is_the_replay(
    *,
    start_sources: SourcesStarter,
    start_broadcaster: BroadcasterStarter,
    sources_night: NightFixture,
    tmp_path: Path,
) -> None:
    """Pollers and two broadcasters on Sentinel; the primary SIGKILLed three times at random
    moments of the night: the stream is the replay, each client has every update once."""
    servers = await asyncio.to_thread(SentinelSet(tmp_path / "redis").start)
    stream = "failover:night"
    chance = random.Random()  # the kill moments: any must do
    broadcasters: list[RunningBroadcaster] = []
    try:
        client = await connect(servers.url, socket_timeout=2.0)
        # A page of the latest 20 entries, the night's 60 updates at 600x (docs/deploy.md).
        running = await start_sources(speed="600", max_gap="60s", page_size=20)
        sources = [
            {"name": "liveblog", "type": "liveblog", "url": "/liveblog", "interval": 0.05,
             "entry": "article.entry", "time": "time", "body": ".body"},
            {"name": "articles", "type": "feed", "url": "/feed.xml", "interval": 0.05},
            {"name": "results", "type": "results", "url": "/results.json", "interval": 0.05},
        ]  # fmt: skip
        config = load_ingest_config(
            sources_toml(tmp_path / "s.toml", running.base_url, sources, night=str(BUNDLED_NIGHT))
        )
        assert config.night is not None
        expected = {identity(u) for u in night_updates(sources_night, seen=datetime.now(UTC))}
        watchers = [_Watcher(), _Watcher()]
        watching = []
        for watcher in watchers:
            broadcaster = await start_broadcaster(stream=stream, redis_url=servers.url)
            broadcasters.append(broadcaster)
            url = broadcaster.ws_url("since=0")
            watching.append(asyncio.create_task(watcher.watch(url, len(expected))))
        stop = asyncio.Event()
        ingesting = asyncio.create_task(
            run_ingest(config, client, night=config.night, stream=stream, stop=stop)
        )
        store = StreamStore(client, stream)
        kills: list[tuple[int, int]] = []
        at_kill: list[int] = []
        try:
            for _ in range(KILLS):
                wanted = (at_kill[-1] if at_kill else 0) + chance.randint(2, 8)

                async def reached(count: int = wanted) -> bool:
                    return await store.length() >= count

                await eventually(reached, within=60)
                at_kill.append(await store.length())
                kills.append(await asyncio.to_thread(servers.kill_primary))
            done, _ = await asyncio.wait(watching, timeout=60 * TIMEOUT_FACTOR)
            for task in done:
                task.result()  # a client's own failure, if it had one
        finally:
            stop.set()
            report = await asyncio.wait_for(ingesting, timeout=20 * TIMEOUT_FACTOR)
            for task in watching:
                task.cancel()
        updates = (await store.history()).updates
        await client.aclose()
    finally:
        # Everything that talks to the Sentinels stops before they do.
        for running_broadcaster in broadcasters:
            await running_broadcaster.stop()
        await asyncio.to_thread(servers.close)
    assert all(count < len(expected) for count in at_kill), at_kill  # each kill mid-night
    assert {identity(u) for u in updates} == expected
    assert len(updates) == len(expected)
    assert {u.op for u in updates} == {Op.ADD}
    for watcher in watchers:
        assert watcher.ids == [u.id for u in updates]
        assert "gap" not in watcher.others
    assert not report.failed
    # Entry ids are the primary's clock: the longest stretch without an append.
    stamps = [int(str(u.id).split("-")[0]) / 1000 for u in updates]
    longest = max(later - earlier for earlier, later in itertools.pairwise(stamps))
    print(
        f"sentinel night: {KILLS} primary kills at {at_kill} updates {kills};"
        f" longest time between two appends {longest:.2f} s;"
        f" failover and resync (s): {servers.timings}; {len(updates)} updates once, in order"
    )
