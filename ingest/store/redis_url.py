"""Which Redis a command uses, and its URL checked and redacted.

Every command finds its Redis the same way (:func:`resolve_redis_url`): ``--redis-url``, else
``$REDIS_URL``, else the embedded server of the data directory
(:func:`ingest.store.embedded_redis.ensure_embedded`, started on first use). URLs may carry
passwords: anything printed or raised goes through :func:`redact_url` (from
:mod:`ingest.runtime.log_redaction`, the one URL redaction, re-exported here).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final
from urllib.parse import parse_qsl, urlsplit

from ingest.model.settings import settings
from ingest.runtime.log_redaction import redact_url
from ingest.store.embedded_layout import default_appendfsync, default_data_dir
from ingest.store.embedded_redis import ensure_embedded
from ingest.store.redis_errors import RedisConfigError
from ingest.store.sentinel import is_sentinel_url, parse_sentinel_url

__all__ = ["URL_SCHEMES", "redact_url", "resolve_redis_url", "validate_redis_url"]

URL_SCHEMES: Final = ("redis", "rediss", "unix")


def validate_redis_url(url: str, *, origin: str = "the Redis URL") -> str:
    """Check that ``url`` is a usable ``redis://``, ``rediss://`` or ``unix://`` URL."""
    shown = redact_url(url)
    if is_sentinel_url(url):
        parse_sentinel_url(url, origin=origin)
        return url
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise RedisConfigError(f"{origin} is not a valid URL: {shown}") from error
    scheme = parts.scheme.lower()
    if scheme not in URL_SCHEMES:
        # Not echoed: a string without a known scheme may be a password pasted in the wrong place.
        got = f"a {scheme}:// URL" if scheme else "no scheme"
        raise RedisConfigError(
            f"{origin} must start with redis://, rediss://, unix:// or redis+sentinel:// ({got})"
        )
    if scheme == "unix" and not parts.path:
        raise RedisConfigError(f"{origin} names no socket path: {shown!r}")
    if scheme != "unix" and not parts.hostname:
        raise RedisConfigError(f"{origin} names no host: {shown!r}")
    if port == 0:
        raise RedisConfigError(f"{origin} has port 0: {shown!r}")
    if scheme != "rediss":
        # redis-py would fail with a TypeError (a traceback) on these; say what to change.
        tls_options = sorted(
            {name for name, _ in parse_qsl(parts.query) if name.lower().startswith("ssl")}
        )
        if tls_options:
            raise RedisConfigError(
                f"{origin} sets {', '.join(tls_options)} on a {scheme}:// URL: TLS needs"
                f" rediss:// ({shown!r})"
            )
    return url


def resolve_redis_url(
    cli_url: str | None, data_dir: Path | None, *, appendfsync: str | None = None
) -> str:
    """The Redis to use: ``--redis-url``, else ``$REDIS_URL``, else the embedded server.

    The embedded server (of ``data_dir``, else :func:`default_data_dir`) is started on demand,
    with ``appendfsync`` (default: :func:`default_appendfsync`, so that every command honours
    ``$SOIREE_APPENDFSYNC``).
    """
    if cli_url is not None:
        return validate_redis_url(cli_url, origin="--redis-url")
    from_env = settings().redis_url
    if from_env is not None:
        return validate_redis_url(from_env, origin="REDIS_URL")
    return ensure_embedded(
        data_dir or default_data_dir(), appendfsync=appendfsync or default_appendfsync()
    )
