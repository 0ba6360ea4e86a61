"""``soiree serve``: the broadcaster and the web page on one port, until interrupted.

Options become a :class:`~ticker.broadcast.broadcaster.BroadcasterOptions`; the Redis client comes
from ``--redis-url`` (else ``$REDIS_URL``, else the embedded server). SIGINT and SIGTERM close every
client with 1001 and stop cleanly, so clients reconnect elsewhere (or here, once restarted) and
resume from the last id they saw.

The event loop is asyncio's own unless ``SOIREE_EVENT_LOOP`` says otherwise: ``uvloop`` (the
``speed`` extra, ``pip install 'soiree[speed]'``; an error if it is missing) or ``auto`` (uvloop
if installed). On the benchmark machine uvloop changed no fan-out figure beyond noise: the
kernel's send dominates (docs/benchmarks.md), so it is a choice, not the default.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Final, TypeVar

from redis.exceptions import RedisError

from ingest.commands.command import checked_port
from ingest.commands.stream_options import (
    connect_client,
    night_of,
    redis_url_of,
    resolve_stream,
)
from ingest.model.errors import CommandError, SoireeError
from ingest.model.night import Night
from ingest.model.polls_close import embargo_end
from ingest.model.settings import settings
from ingest.runtime.aio import (
    Stopped,
    call_on_signals,
    run_command,
    stop_handling,
    stop_on_signals,
)
from ingest.runtime.listen_errors import listen_error_reason
from ingest.runtime.log_redaction import install as install_log_redaction
from ingest.store.redis_url import redact_url
from ticker.broadcast.access import AccessTokens
from ticker.broadcast.broadcaster import Broadcaster, BroadcasterOptions
from ticker.commands.serve_cli import DEFAULT_PORT, ServeOptions
from ticker.commands.serve_workers import (
    WorkerSide,
    die_with_parent,
    parse_workers,
    reserve_port,
    supervise,
)

__all__ = [
    "DEFAULT_PORT",
    "EVENT_LOOP_ENV",
    "WorkerPlan",
    "event_loop_runner",
    "night_info",
    "parse_size",
    "read_token",
    "resolve_port",
    "run",
    "serve_as_worker",
]

_T = TypeVar("_T")

TOKEN_ENV: Final = "SOIREE_READ_TOKEN"  # noqa: S105 - the variable's name, not a token
#: ``asyncio`` (the default), ``uvloop`` or ``auto`` (uvloop if installed).
EVENT_LOOP_ENV: Final = "SOIREE_EVENT_LOOP"
_SIZE: Final = re.compile(r"(\d+)\s*([kmg]?)i?b?", re.IGNORECASE)
_UNITS: Final = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def parse_size(raw: str) -> int:
    """``"1048576"``, ``"512k"``, ``"1M"``, ``"1MiB"`` -> bytes (binary units)."""
    match = _SIZE.fullmatch(raw.strip())
    if match is None or int(match[1]) < 1:
        raise CommandError(
            f"--max-pending-bytes: expected a size such as 1M or 262144, got {raw!r}"
        )
    return int(match[1]) * _UNITS[match[2].lower()]


def resolve_port(cli_port: int | None) -> int:
    """``--port``, else ``$PORT`` (as platforms set it), else 8765."""
    if cli_port is not None:
        port = cli_port
    else:
        raw = settings().port
        if raw is None:
            return DEFAULT_PORT
        try:
            port = int(raw)
        except ValueError:
            raise CommandError(f"PORT must be a port number, got {raw!r}") from None
    return checked_port(port, name="the port")


def read_token(token_file: str | None, *, option: str = "--token-file") -> str | None:
    """The read token: first line of ``--token-file``, else ``$SOIREE_READ_TOKEN``, else None."""
    if token_file is not None:
        try:
            lines = Path(token_file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as error:
            why = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
            raise CommandError(f"{option}: cannot read {token_file}: {why}") from None
        token = lines[0].strip() if lines else ""
        if not token:
            raise CommandError(f"{option}: {token_file} holds no token")
        return token
    return settings().read_token if option == "--token-file" else settings().staff_token


def access_tokens(options: ServeOptions) -> AccessTokens:
    """The read and staff tokens (files, else environment), reloadable the same way."""

    def load() -> tuple[str | None, str | None]:
        read = read_token(options.token_file)
        staff = read_token(options.staff_token_file, option="--staff-token-file")
        if read is not None and read == staff:
            raise CommandError("the staff token must differ from the read token")
        return read, staff

    read, staff = load()
    return AccessTokens(read, staff, load=load)


def event_loop_runner() -> tuple[str, Callable[[Coroutine[Any, Any, _T]], _T]]:
    """The event loop to serve on (``$SOIREE_EVENT_LOOP``): its name and its ``run`` function."""
    wanted = settings().event_loop
    if wanted not in ("auto", "uvloop", "asyncio"):
        raise CommandError(f"{EVENT_LOOP_ENV} must be auto, uvloop or asyncio, got {wanted!r}")
    if wanted != "asyncio":
        try:
            import uvloop  # noqa: PLC0415 - optional (the speed extra)
        except ImportError:
            if wanted == "uvloop":
                raise CommandError(
                    f"{EVENT_LOOP_ENV}=uvloop but uvloop is not installed"
                    " (pip install 'soiree[speed]')"
                ) from None
        else:
            return "uvloop", uvloop.run
    return "asyncio", asyncio.run


def night_info(night: Night) -> dict[str, Any]:
    """What ``hello`` says about the night (the page titles itself with it)."""
    return {
        "slug": night.slug,
        "title": night.title,
        "date": night.date.isoformat(),
        "round": night.round,
        "timezone": night.timezone.key,
        "candidates": [candidate.name for candidate in night.candidates],
        # A night of lists (docs/night.md): each list's head and party label, and the seats.
        "lists": [
            {"name": candidate.name, "head": candidate.head, "label": candidate.label}
            # Its colour only when the night file gives one (docs/protocol.md).
            | ({} if candidate.colour is None else {"colour": candidate.colour})
            for candidate in night.candidates
        ],
        "seats": None
        if night.seats is None
        else {"total": night.seats.total, "rule": night.seats.rule},
    }


def _night_and_stream(options: ServeOptions) -> tuple[Night | None, str]:
    stream = options.redis.stream
    if stream:
        try:
            return night_of(options.night), stream
        except ValueError:
            # A stream of its own needs no fixtures; the night is then simply not announced.
            if options.night.night:
                raise
            return None, stream
    night = night_of(options.night)
    return night, night.stream


def run(options: ServeOptions) -> int:
    """Run ``soiree serve``; return the exit status.

    ``--workers N`` (N > 1) reserves the port here and runs N workers sharing it
    (:mod:`ticker.commands.serve_workers`); each worker is :func:`serve_as_worker`.
    """
    port = resolve_port(options.port)
    workers = parse_workers(options.workers)
    url, broadcaster_options = _prepare(options)
    loop_name, run_loop = event_loop_runner()
    if workers == 1:
        run_command(
            _serve(url, broadcaster_options, host=options.host, port=port, loop_name=loop_name),
            run=run_loop,
        )
        return 0
    with reserve_port(options.host, port) as reserved:
        chosen = int(reserved.getsockname()[1])
        level = logging.getLogger().getEffectiveLevel()
        plan = WorkerPlan(options, chosen, level, os.getpid())
        run_command(supervise(serve_as_worker, (plan,), workers))
    return 0


@dataclasses.dataclass(frozen=True)
class WorkerPlan:
    """What a worker of ``--workers`` is given: the options, the reserved port, the log level."""

    options: ServeOptions
    port: int
    log_level: int
    parent_pid: int


def serve_as_worker(plan: WorkerPlan, index: int, link: Connection) -> None:
    """One worker of ``--workers`` (a process of its own): serve the port with SO_REUSEPORT."""
    die_with_parent(plan.parent_pid)
    options, port = plan.options, plan.port
    logging.basicConfig(
        level=plan.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    install_log_redaction()
    side = WorkerSide(index, link)
    failed = False
    with stop_handling(), contextlib.suppress(Stopped):  # a stop, even while failing: quiet
        try:
            url, broadcaster_options = _prepare(options)
            loop_name, run_loop = event_loop_runner()
            run_command(
                _serve(url, broadcaster_options, host=options.host, port=port,
                       loop_name=loop_name, worker=side),
                run=run_loop,
            )  # fmt: skip
        except (SoireeError, RedisError, OSError) as error:
            failed = True
            side.failed(str(error))
    if failed:
        sys.exit(1)


def _prepare(options: ServeOptions) -> tuple[str, BroadcasterOptions]:
    """The Redis URL and the broadcaster's options (checked: one-line errors)."""
    night, stream = _night_and_stream(options)
    if options.recent < 0:
        raise CommandError(f"--recent must not be negative, got {options.recent}")
    broadcaster_options = BroadcasterOptions(
        stream=stream,
        night=None if night is None else night_info(night),
        access=access_tokens(options),
        embargo_closes=None if night is None else embargo_end(night),
        allowed_origins=options.allowed_origins,
        max_pending_bytes=parse_size(options.max_pending_bytes),
        recent=options.recent,
    )
    return redis_url_of(options.redis, command="serve"), broadcaster_options


logger = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def _reload_on_sighup(access: AccessTokens) -> AsyncIterator[None]:
    """Read the tokens again on SIGHUP, in the block (a reload that fails keeps the tokens)."""

    def reload() -> None:
        try:
            access.reload()
        except (CommandError, ValueError) as error:
            logger.warning("SIGHUP: tokens kept: %s", error)
            return
        logger.warning("SIGHUP: tokens read again")

    with call_on_signals([signal.SIGHUP], lambda _signum: reload()):
        yield  # no signals off the main thread: then no reload either


async def _serve(
    url: str,
    options: BroadcasterOptions,
    *,
    host: str,
    port: int,
    loop_name: str = "asyncio",
    worker: WorkerSide | None = None,
) -> None:
    """Serve until SIGTERM/SIGINT; as a worker of ``--workers``, on a shared port (told once)."""
    client = await connect_client(url)
    try:
        stream = await resolve_stream(client, options.stream)
    except BaseException:
        await client.aclose()
        raise
    options = dataclasses.replace(options, stream=stream)
    broadcaster = Broadcaster(client, options)
    try:
        async with stop_on_signals() as stop, _reload_on_sighup(options.access):
            try:
                await broadcaster.start(host, port, reuse_port=worker is not None)
            except OSError as error:
                reason = listen_error_reason(error)
                raise CommandError(f"cannot listen on {host}:{port}: {reason}") from None
            shown = f"[{host}]" if ":" in host else host
            line = (
                f"soiree serve: http://{shown}:{broadcaster.port}/ (websocket /ws) relaying"
                f" {options.stream} from {redact_url(url)}"
                + (" - read token required" if options.access.read else "")
                + (" - staff token set" if options.access.staff else "")
                + (f" (on {loop_name})" if loop_name != "asyncio" else "")
            )
            lines = [line]
            # The workers of --workers share one warning: the first one's (the parent prints it).
            if (worker is None or worker.index == 0) and not await client.exists(stream):
                lines.append(
                    f"soiree serve: warning: stream {stream} does not exist (yet); serving it"
                    " empty until something appends to it (/healthz: no_stream)"
                )
            if worker is None:
                print("\n".join(lines), file=sys.stderr, flush=True)
            else:
                worker.ready(lines)
            await stop.wait()
    finally:
        await broadcaster.close()
        await client.aclose()
