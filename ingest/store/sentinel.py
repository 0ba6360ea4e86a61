"""Redis behind Sentinel: the ``redis+sentinel://`` URL, and clients that follow a failover.

``redis+sentinel://[[user]:password@]host[:port][,host[:port]...]/service[/db][?min_replicas=N]``

- the hosts are the Sentinels (port 26379 by default), asked in turn which server is the
  primary of ``service`` (``mymaster`` in Redis's examples); ``db`` is 0 by default;
- the password (and user) are the Redis servers' own (``requirepass``); the Sentinels are
  asked without one, or with ``?sentinel_password=...``;
- ``min_replicas`` (default 1): each append waits until that many replicas have it
  (``WAIT``, at most ``wait_ms``, default 1000), so that an update acknowledged to a poller
  survives the primary's death. An append no replica confirms in time fails as a Redis error:
  the poller keeps its document and offers it again (appends are idempotent). 0: no wait.

A client made from such a URL (:func:`sentinel_client`) asks the Sentinels for the primary at
each new connection; when a command fails on a connection (the primary died, or became a
replica: ``READONLY``), redis-py's retry reconnects, to the primary the Sentinels now name. No
restart is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl, unquote, urlsplit

import redis.asyncio
from redis.asyncio.sentinel import Sentinel
from redis.exceptions import RedisError

from ingest.runtime.log_redaction import redact_url
from ingest.store.redis_errors import RedisConfigError

__all__ = [
    "DEFAULT_SENTINEL_PORT",
    "SENTINEL_SCHEMES",
    "NotReplicatedError",
    "ReplicatedRedis",
    "SentinelTarget",
    "Sentinels",
    "check_confirmed",
    "confirmation",
    "is_sentinel_url",
    "parse_sentinel_url",
    "sentinel_client",
]

SENTINEL_SCHEMES: Final = ("redis+sentinel",)
DEFAULT_SENTINEL_PORT: Final = 26379
_OPTIONS: Final = frozenset({"min_replicas", "wait_ms", "sentinel_password"})


@dataclass(frozen=True, slots=True)
class SentinelTarget:
    """What a ``redis+sentinel://`` URL says."""

    sentinels: tuple[tuple[str, int], ...]
    service: str
    db: int = 0
    username: str | None = None
    password: str | None = None
    sentinel_password: str | None = None
    min_replicas: int = 1
    wait_ms: int = 1000


class NotReplicatedError(RedisError):
    """An append the primary took but fewer than ``min_replicas`` replicas confirmed in time."""


class Sentinels(Sentinel):
    """redis-py's :class:`Sentinel`, whose list of Sentinel clients stays each client once.

    ``discover_master`` moves the Sentinel that answered to the front of ``sentinels`` by an
    index read before its ``await``: when tasks discover at once (every new connection of a
    pool does, after a failover), one client could be written twice and another dropped, never
    asked again nor closed. Each discovery ends with the list put right (no ``await`` between
    redis-py's swap and this), and :attr:`clients` keeps every client made, for closing.
    """

    def __init__(self, sentinels: list[tuple[str, int]], **kwargs: Any) -> None:
        super().__init__(sentinels, **kwargs)  # type: ignore[no-untyped-call]
        self.clients: tuple[redis.asyncio.Redis, ...] = tuple(self.sentinels)

    async def discover_master(self, service_name: str) -> Any:
        """The primary's address, as redis-py finds it; the list of Sentinels is kept whole."""
        try:
            return await super().discover_master(service_name)
        finally:
            kept = {id(watcher): watcher for watcher in self.sentinels}
            dropped = [watcher for watcher in self.clients if id(watcher) not in kept]
            self.sentinels[:] = [*kept.values(), *dropped]


class ReplicatedRedis(redis.asyncio.Redis):
    """A client of the primary that Sentinel names; appends wait for ``min_replicas``."""

    min_replicas: int = 0
    wait_ms: int = 1000
    #: the Sentinels' clients (closed with this client)
    sentinel_manager: Sentinels | None = None

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        """Close the connections to the primary, then those to every Sentinel."""
        await super().aclose(close_connection_pool)
        if self.sentinel_manager is not None:
            for watcher in self.sentinel_manager.clients:
                await watcher.aclose()


def confirmation(redis: redis.asyncio.Redis) -> tuple[int, int] | None:
    """``(min_replicas, wait_ms)`` when writes on ``redis`` must wait for replicas, else None.

    A caller adds ``WAIT min_replicas wait_ms`` after its writes, on the same connection (in the
    same pipeline), and passes its reply to :func:`check_confirmed`.
    """
    if isinstance(redis, ReplicatedRedis) and redis.min_replicas:
        return redis.min_replicas, redis.wait_ms
    return None


def check_confirmed(confirmed: object, wanted: tuple[int, int], what: str) -> None:
    """Raise :class:`NotReplicatedError` unless ``WAIT``'s reply ``confirmed`` reaches
    ``wanted`` (from :func:`confirmation`); an error reply is raised as it is."""
    if isinstance(confirmed, Exception):
        raise confirmed
    replicas, wait_ms = wanted
    if not isinstance(confirmed, int | str | bytes) or int(confirmed) < replicas:
        raise NotReplicatedError(
            f"{what}: {confirmed} of {replicas} replicas confirmed the write within {wait_ms} ms"
        )


def is_sentinel_url(url: str) -> bool:
    """Whether ``url`` is a ``redis+sentinel://`` URL."""
    return url.split("://", 1)[0].lower() in SENTINEL_SCHEMES


def _address(text: str, shown: str, origin: str) -> tuple[str, int]:
    host, colon, port = text.rpartition(":")
    if not colon:
        host, port = text, str(DEFAULT_SENTINEL_PORT)
    if not host:
        raise RedisConfigError(f"{origin} names a Sentinel without a host: {shown!r}")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise RedisConfigError(f"{origin} names a Sentinel with a bad port: {shown!r}")
    return host, int(port)


def _whole(value: str, name: str, shown: str, origin: str) -> int:
    if not value.isdigit():
        raise RedisConfigError(f"{origin}: {name} must be a whole number, got {shown!r}")
    return int(value)


def parse_sentinel_url(url: str, *, origin: str = "the Redis URL") -> SentinelTarget:
    """The Sentinels, service, database and options of ``url``; :class:`RedisConfigError`."""
    shown = redact_url(url)
    parts = urlsplit(url)
    userinfo, at, hosts = parts.netloc.rpartition("@")
    if not at:
        userinfo, hosts = "", parts.netloc
    user, _, password = userinfo.partition(":")
    if not hosts:
        raise RedisConfigError(f"{origin} names no Sentinel: {shown!r}")
    sentinels = tuple(_address(item, shown, origin) for item in hosts.split(","))
    path = [unquote(piece) for piece in parts.path.split("/") if piece]
    if not path or len(path) > 2:
        raise RedisConfigError(
            f"{origin} must name the service (and a database): .../mymaster/0, got {shown!r}"
        )
    db = _whole(path[1], "the database", shown, origin) if len(path) == 2 else 0
    options = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = sorted(set(options) - _OPTIONS)
    if unknown:
        raise RedisConfigError(
            f"{origin} has options soiree does not know for Sentinel: {', '.join(unknown)}"
            f" (known: {', '.join(sorted(_OPTIONS))})"
        )
    return SentinelTarget(
        sentinels=sentinels,
        service=path[0],
        db=db,
        username=unquote(user) or None,
        password=unquote(password) or None,
        sentinel_password=options.get("sentinel_password") or None,
        min_replicas=_whole(options.get("min_replicas", "1"), "min_replicas", shown, origin),
        wait_ms=_whole(options.get("wait_ms", "1000"), "wait_ms", shown, origin),
    )


def sentinel_client(url: str, **connection_kwargs: Any) -> ReplicatedRedis:
    """A client of the primary the Sentinels of ``url`` name (``connection_kwargs``: redis-py's)."""
    target = parse_sentinel_url(url)
    timeout = connection_kwargs.get("socket_connect_timeout", 5.0)
    sentinel_kwargs: dict[str, Any] = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    if target.sentinel_password:
        sentinel_kwargs["password"] = target.sentinel_password
    manager = Sentinels(list(target.sentinels), sentinel_kwargs=sentinel_kwargs)
    client = manager.master_for(
        target.service,
        redis_class=ReplicatedRedis,
        db=target.db,
        username=target.username,
        password=target.password,
        **connection_kwargs,
    )
    if not isinstance(client, ReplicatedRedis):
        raise TypeError(f"Sentinel gave a {type(client).__name__}, not a ReplicatedRedis")
    client.min_replicas = target.min_replicas
    client.wait_ms = target.wait_ms
    client.sentinel_manager = manager
    return client
