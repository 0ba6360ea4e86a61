"""``soiree serve``'s command line: its options, checked into :class:`ServeOptions`."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Final

from ingest.commands.command import (
    Command,
    NightOptions,
    RedisOptions,
    add_night_options,
    add_redis_options,
)

__all__ = ["COMMAND", "DEFAULT_PORT", "ServeOptions"]

DEFAULT_PORT: Final = 8765
DEFAULT_MAX_PENDING: Final = "1M"
DEFAULT_RECENT: Final = 1000


@dataclass(frozen=True)
class ServeOptions:
    """What ``soiree serve`` was asked for (sizes and the port are checked when it runs)."""

    night: NightOptions
    redis: RedisOptions
    host: str = "127.0.0.1"
    port: int | None = None
    allowed_origins: tuple[str, ...] = ()
    token_file: str | None = None
    staff_token_file: str | None = None
    max_pending_bytes: str = DEFAULT_MAX_PENDING
    recent: int = DEFAULT_RECENT
    workers: str = "1"

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ServeOptions:
        """The options of a parsed command line."""
        return cls(
            night=NightOptions.from_args(args),
            redis=RedisOptions.from_args(args),
            host=args.host,
            port=args.port,
            allowed_origins=tuple(args.allowed_origin or ()),
            token_file=args.token_file,
            staff_token_file=args.staff_token_file,
            max_pending_bytes=args.max_pending_bytes,
            recent=args.recent,
            workers=args.workers,
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``soiree serve``'s options."""
    add_night_options(parser)
    add_redis_options(parser)
    group = parser.add_argument_group("server")
    group.add_argument(
        "--host", default=ServeOptions.host, help="address to listen on (default: %(default)s)"
    )
    group.add_argument(
        "--port",
        type=int,
        metavar="N",
        help=f"port to listen on (default: $PORT, else {DEFAULT_PORT})",
    )
    group.add_argument(
        "--allowed-origin",
        action="append",
        metavar="ORIGIN",
        help="a web origin (https://newsroom.example) whose pages may open the websocket or"
        " /sse, fetch /export and frame /embed, besides the page served here; repeatable;"
        " '*' allows any",
    )
    group.add_argument(
        "--token-file",
        metavar="FILE",
        help="require this read token (first line of FILE) from clients, as ?token= or"
        " Authorization: Bearer (default: $SOIREE_READ_TOKEN; none: open)",
    )
    group.add_argument(
        "--staff-token-file",
        metavar="FILE",
        help="the staff token (first line of FILE), distinct from the read token: clients"
        " presenting it get what the embargo holds, marked (default: $SOIREE_STAFF_TOKEN;"
        " none: no staff client); both tokens are read again on SIGHUP",
    )
    group.add_argument(
        "--max-pending-bytes",
        default=DEFAULT_MAX_PENDING,
        metavar="SIZE",
        help="close a client (code 4008) when this much is still unsent to it"
        " (default: %(default)s)",
    )
    group.add_argument(
        "--recent",
        type=int,
        default=DEFAULT_RECENT,
        metavar="N",
        help="updates kept in memory; a client without ?since= gets these (default: %(default)s)",
    )
    group.add_argument(
        "--workers",
        default="1",
        metavar="N",
        help="run N broadcaster processes (1-64, or auto: the usable cores) sharing the port"
        " with SO_REUSEPORT, each with its own Redis reader; /healthz and /metrics answer for"
        " the worker that takes the connection; a worker that dies is started again"
        " (default: %(default)s, one process; docs/deploy.md)",
    )


COMMAND = Command(
    name="serve",
    help="relay the stream to websocket clients and serve the web page",
    description="Serve one port: /ws for websocket clients (hello, snapshot, backlog"
    " after ?since=ID, then live updates; see docs/protocol.md), /sse for the same as"
    " server-sent events, / for the web page, /embed for partner sites, /export/results.csv"
    " and .json, /healthz and /metrics. One Redis reader fans out to every client (one per"
    " worker with --workers N: N processes sharing the port).",
    add_arguments=add_arguments,
    options=ServeOptions.from_args,
    run="ticker.commands.serve:run",
    order=70,
)
