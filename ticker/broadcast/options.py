"""What a broadcaster is configured with: :class:`BroadcasterOptions` (``soiree serve`` options)."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ticker.broadcast.access import AccessTokens
from ticker.broadcast.http_routes import WEB_DIR

__all__ = ["BroadcasterOptions", "soiree_version"]


def soiree_version() -> str:
    """The installed soiree version (``0+unknown`` when running from a bare checkout)."""
    try:
        return importlib.metadata.version("soiree")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


@dataclass(frozen=True, slots=True)
class BroadcasterOptions:
    """Everything a broadcaster is configured with (``soiree serve`` options)."""

    stream: str
    night: Mapping[str, Any] | None = None
    token: str | None = None
    allowed_origins: tuple[str, ...] = ()
    #: A client with more unsent bytes than this when an update is due is closed (4008).
    max_pending_bytes: int = 1 << 20
    #: Recent updates kept in memory; a client without ``since`` gets these.
    recent: int = 1000
    read_count: int = 500
    block_ms: int = 2000
    history_page: int = 500
    #: Backlog pages read from Redis at once. Clients joining together (after a restart,
    #: thousands may) queue for these rather than exhaust the client's connection pool.
    history_readers: int = 32
    ping_interval: float | None = 20.0
    ping_timeout: float | None = 20.0
    close_timeout: float = 5.0
    #: Seconds a new connection has to complete its opening handshake (a slowloris dripping
    #: its request a byte at a time is dropped after this).
    open_timeout: float = 10.0
    #: Largest message a client may send; over it the connection is closed with 1009.
    max_message_bytes: int = 64 * 1024
    #: How long a joining client may take to drain a page of its backlog.
    drain_timeout: float = 30.0
    health_interval: float = 5.0
    #: How often a replay's clock (``replay_clock_key``) is read, for the ``clock`` message.
    clock_interval: float = 0.5
    #: Client messages: a burst of this many, then this many per second; past it, 1008.
    message_burst: int = 20
    messages_per_second: float = 5.0
    web_dir: Path = WEB_DIR
    #: ``/sse``: the reconnection delay EventSource is told (``retry:``), and the heartbeat.
    sse_retry_ms: int = 2000
    sse_heartbeat: float = 15.0
    version: str = field(default_factory=soiree_version)
    #: The read and staff tokens in use (:mod:`ticker.broadcast.access`): ``token`` is the
    #: read token's first value; a reload (SIGHUP) replaces them here, for every part.
    access: AccessTokens = field(default_factory=AccessTokens)
    #: When the embargo ends (the night's last polls close), or None: nothing held
    #: (``ticker.broadcast.embargo_view``).
    embargo_closes: datetime | None = None

    def __post_init__(self) -> None:
        if self.token is not None and self.access.read is None:
            self.access.read = self.token
        if self.max_pending_bytes < 1:
            raise ValueError("max_pending_bytes must be positive")
        if self.recent < 0 or self.read_count < 1 or self.history_page < 1:
            raise ValueError("recent must not be negative; read_count and history_page positive")
        if self.history_readers < 1:
            raise ValueError("history_readers must be positive")
