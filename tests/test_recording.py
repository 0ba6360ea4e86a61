"""Recording a night (`soiree ingest --record`) and serving it again (`soiree sources --recording`).

The night of 29 January 2017 is recorded from the emulated sources while the pollers ingest it;
the recording, served again and ingested, must give the very updates the direct ingest gave
(which are `soiree replay`'s); and so must a recording whose recorder was SIGKILLed midway and
restarted, less only what was not recorded while it was down.
"""

from __future__ import annotations

import asyncio
import gzip
import os
import re
import signal
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redis.asyncio import Redis

from ingest.cli import main
from ingest.model.recording import (
    INDEX_FILE,
    RecordedResponse,
    Recording,
    body_digest,
    load_recording,
)
from ingest.polling.recorder import Recorder
from ingest.polling.runner import run_ingest
from ingest.sources.config import load_ingest_config
from ingest.store.stream_store import StreamStore
from replay.clock import ReplayWindow
from replay.commands.clock_cli import ClockOptions
from replay.commands.clock_options import window_of
from replay.emulated.documents import Document
from replay.emulated.recorded_server import RECORDING_KEY, build_recording_app
from replay.emulated.server import PATHS, SOURCES_KEY, build_sources_app, start_sources_server
from replay.fixtures import find_night, load_fixture_night
from replay.night_fixture import NightFixture
from replay.timeline import night_updates
from tests.conftest import BUNDLED_NIGHT_DIR, TIMEOUT_FACTOR
from tests.plugins.ingest import eventually, identity, ingest_until, soiree_command, sources_toml
from tests.plugins.sources import SourcesStarter
from tests.test_demo import SOIREE, Tmux, processes_of, wait_for

NIGHT_TOML = BUNDLED_NIGHT_DIR / "night.toml"
Identity = tuple[str, str, str, str | None, str]
#: A recording made from the emulated sources at 600x, served again at the pace it was recorded:
#: a version the recorder saw for a few tens of milliseconds (an entry edited within the night's
#: minute) is shown as long again, and a poller slowed by a loaded machine still sees it (served
#: twice as fast, one was missed under a parallel suite, and the ingest never ended).
AS_RECORDED = ReplayWindow(speed=1.0)


def night_config(path: Path, base_url: str, *, interval: float) -> Path:
    """The bundled night's three sources, polled every ``interval`` seconds."""
    sources = [
        {"name": "liveblog", "type": "liveblog", "url": "/liveblog", "interval": interval,
         "entry": "article.entry", "time": "time", "body": ".body"},
        {"name": "articles", "type": "feed", "url": "/feed.xml", "interval": interval},
        {"name": "results", "type": "results", "url": "/results.json", "interval": interval},
    ]  # fmt: skip
    return sources_toml(path, base_url, sources, night=str(NIGHT_TOML))


def replayed(fixture: NightFixture) -> set[Identity]:
    """What `soiree replay` appends for the night."""
    return {identity(u) for u in night_updates(fixture, seen=datetime.now(UTC))}


async def identities(redis: Redis, stream: str) -> set[Identity]:
    """The updates of ``stream``, as identities."""
    return {identity(u) for u in (await StreamStore(redis, stream).history()).updates}


async def ingest_recording(
    root: Path, redis: Redis, stream: str, *, count: int, tmp_path: Path,
    window: ReplayWindow = AS_RECORDED,
) -> set[Identity]:  # fmt: skip
    """Serve the recording in ``root`` again (by default at its recorded pace), ingest it."""
    recording = load_recording(root)
    app = build_recording_app(recording, window, interval=0)
    runner, base_url = await start_sources_server(app)
    try:
        config = load_ingest_config(night_config(tmp_path / "again.toml", base_url, interval=0.02))
        assert config.night is not None
        store = StreamStore(redis, stream)

        async def done() -> bool:
            finished = bool(app[RECORDING_KEY].health()["finished"])
            return finished and await store.length() >= count

        await ingest_until(config, redis, night=config.night, stream=stream, done=done, within=60)
    finally:
        await runner.cleanup()
    return await identities(redis, stream)


async def record_night(
    start_sources: SourcesStarter, redis: Redis, stream: str, root: Path, tmp_path: Path,
    *, count: int,
) -> None:  # fmt: skip
    """Ingest the emulated night into ``stream`` while recording it into ``root``."""
    running = await start_sources(speed="600", max_gap="30s")
    config = load_ingest_config(night_config(tmp_path / "s.toml", running.base_url, interval=0.02))
    assert config.night is not None
    store = StreamStore(redis, stream)

    async def done() -> bool:
        return bool(running.state.health()["finished"]) and await store.length() >= count

    recorder = Recorder(root, night="2017-01-29", timezone="Europe/Paris")
    try:
        stop = asyncio.Event()
        task = asyncio.create_task(
            run_ingest(config, redis, night=config.night, stream=stream, stop=stop,
                       recorder=recorder)
        )  # fmt: skip
        try:
            await eventually(lambda: _done_or(task, done), within=60)
        finally:
            stop.set()
        await asyncio.wait_for(task, timeout=10 * TIMEOUT_FACTOR)
    finally:
        recorder.close()


async def _done_or(task: asyncio.Task[object], done: object) -> bool:
    assert callable(done)
    return task.done() or bool(await done())


@pytest.mark.slow
async def test_a_recorded_night_served_again_gives_the_same_updates(
    *, start_sources: SourcesStarter, sources_night: NightFixture, redis_client: Redis,
    redis_url: str, stream_key: str, tmp_path: Path,
) -> None:  # fmt: skip
    """Record while ingesting, serve the recording again, ingest it: the same updates."""
    expected = replayed(sources_night)
    root = tmp_path / "night"
    await record_night(start_sources, redis_client, stream_key, root, tmp_path, count=len(expected))
    direct = await identities(redis_client, stream_key)
    assert direct == expected
    recording = load_recording(root)
    assert sorted(recording.sources) == ["articles", "liveblog", "results"]
    assert recording.damaged == 0
    assert {r.status for r in recording.responses} == {200, 304}
    again = await ingest_recording(
        root, redis_client, stream_key + ":again", count=len(direct), tmp_path=tmp_path
    )
    assert again == direct
    # The recording made a night: replayed, it gives the same updates.
    out = tmp_path / "recorded-night"
    status = await asyncio.to_thread(main, ["night", "from-recording", str(root), str(out)])
    assert status == 0
    assert {p.name for p in out.iterdir()} >= {"night.toml", "liveblog.json", "README.md"}
    replay = ["replay", "--night", str(out), "--speed", "max", "--no-progress",
              "--redis-url", redis_url, "--stream", stream_key + ":replayed"]  # fmt: skip
    assert await asyncio.to_thread(main, replay) == 0
    assert await identities(redis_client, stream_key + ":replayed") == direct


@pytest.mark.slow
async def test_a_recorder_killed_midway_leaves_a_readable_recording(
    *, start_sources: SourcesStarter, sources_night: NightFixture, redis_client: Redis,
    redis_url: str, stream_key: str, tmp_path: Path,
) -> None:  # fmt: skip
    """SIGKILL `soiree ingest --record` midway, restart it: the recording reads, and served
    again it gives what the recording ingest gave (all it lacks is what went unrecorded)."""
    running = await start_sources(speed="150", max_gap="30s", page_size=5)
    config = night_config(tmp_path / "s.toml", running.base_url, interval=0.02)
    root = tmp_path / "night"
    argv = soiree_command("ingest", "--config", str(config), "--record", str(root),
                          "--redis-url", redis_url, "--stream", stream_key)  # fmt: skip

    async def start() -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )

    def liveblog_version() -> int:
        elapsed = running.state.clock.elapsed()
        return running.state.schedule.version(Document.LIVEBLOG, elapsed).index

    def recorded_lines() -> int:
        try:
            return (root / INDEX_FILE).read_bytes().count(b"\n")
        except FileNotFoundError:
            return 0

    first = await start()

    async def some_recorded() -> bool:
        return recorded_lines() >= 20

    await eventually(some_recorded, within=60)
    first.send_signal(signal.SIGKILL)
    await first.communicate()
    down_at = liveblog_version()
    killed_at = datetime.now(UTC)

    async def moved_on() -> bool:
        return liveblog_version() >= down_at + 3

    await eventually(moved_on, within=60)
    second = await start()

    async def over() -> bool:
        return bool(running.state.health()["finished"])

    await eventually(over, within=120)
    expected = replayed(sources_night)

    async def caught_up() -> bool:
        # The restarted ingest has the night's end: every feed and results item (cumulative
        # documents), and the last liveblog entries.
        done = {u[0] for u in await identities(redis_client, stream_key)}
        return {u[0] for u in expected if not u[0].startswith("liveblog:")} <= done

    await eventually(caught_up, within=60)
    await asyncio.sleep(0.5)  # a few more polls that find nothing new
    second.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(second.communicate(), timeout=30 * TIMEOUT_FACTOR)
    assert second.returncode == 0, err.decode()
    assert "which holds" in err.decode()  # what the recording held when the ingest restarted

    recorded = await identities(redis_client, stream_key)
    assert recorded <= expected
    recording = load_recording(root)
    assert sorted(recording.sources) == ["articles", "liveblog", "results"]
    assert recording.damaged == 0  # a line torn by the kill was cut off by the restart
    times = [r.at for r in recording.responses]
    assert times[0] < killed_at < times[-1]  # recorded before the kill, and after the restart
    again = await ingest_recording(
        root, redis_client, stream_key + ":again", count=len(recorded), tmp_path=tmp_path
    )
    # Everything the recording ingest appended came from a recorded body; the re-served night
    # may hold a little more (a body recorded, but not yet appended, when the kill came), never
    # anything the night did not have.
    assert recorded <= again <= expected


def test_a_whole_night_recorded_at_real_time_takes_under_2_mb(tmp_path: Path) -> None:
    """The emulated night polled every 5 s from its first entry to its end (25.7 h, three
    sources, 55 000 responses): the recording, sealed, is under 2 MB.

    A property of the format, not of the disk: written in memory (/dev/shm) where there is
    one, as 55 000 fsyncs on a disk would take most of a minute.
    """
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(dir=shm if shm.is_dir() else tmp_path) as where:
        recording = polled_night(Path(where) / "night", every=5.0)
        assert len(recording.responses) > 55_000
        print(f"a whole night: {recording.summary()}")
        assert recording.size() < 2 * 1024 * 1024
        parts = sorted(recording.root.glob("index-*.jsonl.gz"))
        assert gzip.decompress(parts[0].read_bytes()).count(b"\n") == 2000


def polled_night(root: Path, *, every: float) -> Recording:
    """A recording of the emulated night as polls every ``every`` s at real time would make it
    (the times those of the night itself), written through :class:`Recorder`."""
    fixture = find_night("2017-01-29")
    app = build_sources_app(fixture, window_of(ClockOptions(speed="1"), fixture))
    state = app[SOURCES_KEY]
    start = datetime(2017, 1, 29, 6, 23, tzinfo=UTC)  # 07h23 in Paris, the first entry
    recorder = Recorder(root, night="2017-01-29", timezone="Europe/Paris")
    shown: dict[Document, str] = {}
    types = {Document.LIVEBLOG: "text/html", Document.FEED: "application/rss+xml",
             Document.RESULTS: "application/json"}  # fmt: skip
    polls = int(state.schedule.duration // every) + 1
    for poll in range(polls):
        for document in Document:
            version = state.schedule.version(document, poll * every)
            at = start + timedelta(seconds=poll * every)
            url = f"http://127.0.0.1:8750{PATHS[document]}"
            rendered = state.render(document, version)
            if shown.get(document) == rendered.etag:
                recorder.record(RecordedResponse(
                    source=document.value, url=url, at=at, outcome="not_modified", status=304,
                    duration_ms=1.2, etag=rendered.etag, cache_control="max-age=5",
                    last_modified="Sun, 29 Jan 2017 19:00:00 GMT",
                ), None)  # fmt: skip
                continue
            shown[document] = rendered.etag
            body = rendered.body
            recorder.record(RecordedResponse(
                source=document.value, url=url, at=at, outcome="ok", status=200, duration_ms=3.4,
                etag=rendered.etag, content_type=f"{types[document]}; charset=utf-8",
                last_modified="Sun, 29 Jan 2017 19:00:00 GMT", cache_control="max-age=5",
                body=body_digest(body), size=len(body),
            ), body)  # fmt: skip
    recorder.close()
    recording = load_recording(root)
    assert len(recording.responses) == 3 * polls
    return recording


async def test_a_night_recorded_at_real_time_served_again_at_600x(
    *, sources_night: NightFixture, redis_client: Redis, stream_key: str, tmp_path: Path
) -> None:
    """The night as polls every minute at real time would record it, served again at 600x
    (idle gaps cut to 30 s) and ingested: the updates of `soiree replay`."""
    recording = polled_night(tmp_path / "night", every=60.0)
    expected = replayed(sources_night)
    window = ReplayWindow(speed=600.0, max_gap=timedelta(seconds=30))
    again = await ingest_recording(
        recording.root, redis_client, stream_key, count=len(expected), tmp_path=tmp_path,
        window=window,
    )  # fmt: skip
    assert again == expected


@pytest.mark.slow
def test_demo_plays_a_recording(tmp_path_factory: pytest.TempPathFactory) -> None:
    """`soiree demo --recording` shows the 20h41 count of a recorded night, and stops clean."""
    root = polled_night(tmp_path_factory.mktemp("recording") / "night", every=60.0)
    data_dir = tmp_path_factory.mktemp("demo")
    env = f"SOIREE_DATA_DIR={data_dir} REDIS_URL= PATH={os.environ.get('PATH', '')}"
    command = (
        f"env {env} {SOIREE} demo --recording {root.root} --speed 3000 --max-gap 1m"
        " --to 20:45 --port 0"
    )
    tmux = Tmux()
    tmux("new-session", "-d", "-s", "demo", "-x", "120", "-y", "40", command)
    wanted = ("58,65", "41,35", "Dépouillement", "60 %", "http://127.0.0.1:")

    def shows_the_count() -> bool:
        screen = tmux.screen()
        return all(text in screen for text in wanted)

    try:
        assert wait_for(shows_the_count, 60), tmux.screen()
        tmux("send-keys", "-t", "demo", "C-c")
        assert wait_for(lambda: not tmux.alive(), 20), tmux.screen()
        assert wait_for(lambda: not processes_of(data_dir), 10), processes_of(data_dir)
    finally:
        tmux.kill()
        subprocess.run(
            [SOIREE, "redis", "--stop", "--data-dir", str(data_dir)],
            capture_output=True,
            check=False,
            timeout=30,
        )


def test_a_night_recorded_at_real_time_makes_a_night(
    tmp_path: Path, sources_night: NightFixture
) -> None:
    """from-recording on the night as polls every minute record it (its documents named
    otherwise than in the sources file: found by their paths) gives replay's updates."""
    recording = polled_night(tmp_path / "night", every=60.0)
    out = tmp_path / "made"
    assert main(["night", "from-recording", str(recording.root), str(out)]) == 0
    made = load_fixture_night(out)
    assert {identity(u) for u in night_updates(made, seen=datetime.now(UTC))} == replayed(
        sources_night
    )
    assert main(["night", "from-recording", str(recording.root), str(out)]) == 1  # not empty


@pytest.mark.slow
def test_sources_shows_a_progress_bar_through_a_recording_in_a_terminal(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """`soiree sources --recording` in a terminal: what the recording holds, where each document
    is, and a progress bar through the recorded time; Ctrl-C stops it."""
    root = polled_night(tmp_path_factory.mktemp("recording") / "night", every=60.0)
    command = f"{SOIREE} sources --recording {root.root} --port 0 --speed 600"
    tmux = Tmux()
    tmux("new-session", "-d", "-s", "demo", "-x", "160", "-y", "30", command)

    def shows_the_bar() -> bool:
        screen = tmux.screen()
        bar = re.search(r"recorded \d\d:\d\d:\d\d UTC .*%", screen)
        return "4629 responses" in screen and "/feed.xml" in screen and bar is not None

    try:
        assert wait_for(shows_the_bar, 60), tmux.screen()
        tmux("send-keys", "-t", "demo", "C-c")
        assert wait_for(lambda: not tmux.alive(), 20), tmux.screen()
    finally:
        tmux.kill()
