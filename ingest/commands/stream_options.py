"""What every stream-touching subcommand does first: find the night, the server and the stream.

``--redis-url`` (else ``$REDIS_URL``, else the embedded server of ``--data-dir``), ``--stream``
(else the night's stream) and ``--night`` / ``--fixtures`` turn into a connected
:class:`~ingest.store.stream_store.StreamStore`, with errors that say what to fix.
"""

from __future__ import annotations

import sys

from redis.asyncio import Redis

from ingest.commands.command import NightOptions, RedisOptions
from ingest.model.errors import CommandError
from ingest.model.night import Night
from ingest.model.nights import find_night
from ingest.model.settings import DEFAULT_STREAM_MAXLEN, settings
from ingest.store import keys
from ingest.store.embedded_layout import default_data_dir
from ingest.store.embedded_redis import embedded_running
from ingest.store.redis_client import connect
from ingest.store.redis_errors import RedisSetupError
from ingest.store.redis_url import redact_url, resolve_redis_url
from ingest.store.stream_store import StreamStore

__all__ = [
    "DEFAULT_MAXLEN",
    "connect_client",
    "night_of",
    "open_store",
    "redis_url_of",
    "resolve_stream",
    "stream_maxlen",
]

DEFAULT_MAXLEN = DEFAULT_STREAM_MAXLEN


def night_of(options: NightOptions) -> Night:
    """The night named by ``--night`` / ``--fixtures`` (default: the bundled night)."""
    return find_night(options.night, nights_dir=options.fixtures)


def redis_url_of(options: RedisOptions, *, command: str | None = None) -> str:
    """The Redis URL the options designate, starting the embedded server if it is the one.

    A command that starts the embedded server leaves it running for the next ones (which share
    it); with ``command`` (its name), it says so once on stderr, with how to stop it. The
    commands that stop what they started (``soiree demo``) pass no ``command``.
    """
    embedded = options.redis_url is None and settings().redis_url is None
    data_dir = options.data_dir or default_data_dir()
    was_running = not embedded or embedded_running(data_dir)
    url = resolve_redis_url(options.redis_url, options.data_dir)
    if command is not None and not was_running:
        print(
            f"soiree {command}: started soiree's Redis server for {data_dir}; it keeps running"
            " for the next commands (`soiree redis --stop` stops it)",
            file=sys.stderr,
            flush=True,
        )
    return url


def stream_maxlen() -> int:
    """Retention: the most entries a stream keeps (``$SOIREE_STREAM_MAXLEN``, default 100,000)."""
    raw = settings().stream_maxlen or str(DEFAULT_MAXLEN)
    try:
        maxlen = int(raw)
    except ValueError:
        maxlen = 0
    if maxlen < 1:
        raise CommandError(f"SOIREE_STREAM_MAXLEN must be a positive whole number, got {raw!r}")
    return maxlen


async def resolve_stream(client: Redis, requested: str) -> str:
    """The stream a ``--stream`` value designates.

    ``<night stream>:replay:latest`` is the newest replay run of that night (see
    :func:`ingest.store.keys.replay_run_stream`); any other value is the key itself.
    """
    suffix = ":replay:" + keys.LATEST_RUN
    if not requested.endswith(suffix):
        return requested
    night_stream = requested.removesuffix(suffix)
    runs = await client.get(keys.replay_runs_key(night_stream))
    if runs is None:
        raise CommandError(
            f"{requested}: no replay of {night_stream} has run yet (run `soiree replay` first)"
        )
    return keys.replay_run_stream(night_stream, int(runs))


async def connect_client(url: str) -> Redis:
    """A client of the server at ``url``; the caller closes it (``aclose``)."""
    try:
        return await connect(url)
    except RedisSetupError:
        raise  # already says what is wrong, with the redacted URL
    except OSError as error:
        raise CommandError(f"cannot reach Redis at {redact_url(url)}: {error}") from error


async def open_store(url: str, stream: str) -> tuple[Redis, StreamStore]:
    """Connect to ``url`` and open ``stream`` (``...:replay:latest`` resolved).

    The caller closes the client (``aclose``).
    """
    client = await connect_client(url)
    try:
        resolved = await resolve_stream(client, stream)
    except BaseException:
        await client.aclose()
        raise
    return client, StreamStore(client, resolved, maxlen=stream_maxlen())
