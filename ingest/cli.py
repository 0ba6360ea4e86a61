"""The ``soiree`` command line: one parser, one function per subcommand.

Every subcommand's work lives in the module that owns it (``replay.replay_command``,
``ingest.dump``...); this module only declares the options, imports the chosen command lazily
(so ``soiree --help`` stays fast) and turns the errors a user can cause into one clear line on
stderr and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Final

__all__ = ["build_parser", "main"]

EXIT_USAGE: Final = 2
EXIT_FAILURE: Final = 1
EXIT_INTERRUPTED: Final = 130


def _add_redis_options(parser: argparse.ArgumentParser, *, stream: bool = True) -> None:
    group = parser.add_argument_group("redis")
    group.add_argument(
        "--redis-url",
        metavar="URL",
        help="redis://, rediss:// or unix:// URL of a Redis 6.2+ or Valkey server"
        " (default: $REDIS_URL, else soiree's embedded server)",
    )
    group.add_argument(
        "--data-dir",
        metavar="DIR",
        help="data directory of the embedded server"
        " (default: $SOIREE_DATA_DIR, else ~/.local/share/soiree)",
    )
    if stream:
        group.add_argument(
            "--stream",
            metavar="KEY",
            help="the stream's key (default: the night's stream, e.g. soiree:night:2017-01-29)",
        )


def _add_night_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("night")
    group.add_argument(
        "--night",
        metavar="SLUG",
        help="which night of the fixtures (default: the only one, 2017-01-29)",
    )
    group.add_argument(
        "--fixtures",
        metavar="DIR",
        help="the fixtures directory (default: $SOIREE_FIXTURES, else the bundled fixtures/)",
    )


def add_clock_options(parser: argparse.ArgumentParser) -> None:
    """The virtual clock options shared by ``replay`` and ``sources``."""
    group = parser.add_argument_group("virtual clock")
    group.add_argument(
        "--speed",
        default="1",
        metavar="N",
        help="replay speed: 1 is real time, 60 a minute per second, 'max' no waiting (default: 1)",
    )
    group.add_argument(
        "--from",
        dest="start",
        metavar="TIME",
        help="start at this Paris time (20:30, 20h30 or ISO 8601); what came before is"
        " there at once (default: the first entry of the night's day)",
    )
    group.add_argument(
        "--to", dest="end", metavar="TIME", help="stop after this Paris time (default: the end)"
    )
    group.add_argument(
        "--max-gap",
        metavar="DURATION",
        help="cut every idle gap of the night down to this (300, 5m, 1h) (default: no cut)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The whole command line."""
    parser = argparse.ArgumentParser(
        prog="soiree",
        description="Election-night liveblog ingester and ticker.",
    )
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser(
        "demo",
        help="everything at once: the night replayed through sources, pollers, web page, ticker",
        description="Bring up, on the embedded Redis (or --redis-url): the emulated sources"
        " replaying the night, the pollers reading them, the broadcaster and its web page (its"
        " address is printed) and the ticker in the foreground. q or Ctrl-C stops every part."
        " Each run writes a stream of its own (<night stream>:replay:N).",
    )
    _add_night_options(demo)
    _add_redis_options(demo)
    add_clock_options(demo)
    demo.set_defaults(speed="60", max_gap="5m")
    demo.add_argument("--host", default="127.0.0.1", help="web page address (default 127.0.0.1)")
    demo.add_argument(
        "--port", type=int, default=8765, help="web page port (default 8765, else any free one)"
    )
    demo.add_argument("--loop", action="store_true", help="start the night again at its end")
    demo.set_defaults(handler="replay.demo_command:run")

    replay = commands.add_parser(
        "replay",
        help="replay a night's fixtures straight into the stream",
        description="Append the updates of a night to the stream on the virtual clock."
        " Without --stream, each run writes a new stream (its key is printed), so a"
        " rehearsal never mixes with the night's live stream or an earlier run.",
    )
    _add_night_options(replay)
    _add_redis_options(replay)
    add_clock_options(replay)
    replay.add_argument(
        "--loop", action="store_true", help="start the night again after its last update"
    )
    replay.add_argument(
        "--no-progress", action="store_true", help="no progress bar (also when not a terminal)"
    )
    replay.set_defaults(handler="replay.replay_command:run")

    dump = commands.add_parser(
        "dump",
        help="print the stream as JSON Lines",
        description="Print every retained update after --since as JSON Lines, oldest first,"
        " one update a line with its id. Exits 3 if --since is older than what is retained"
        " (after printing what is).",
    )
    _add_night_options(dump)
    _add_redis_options(dump)
    dump.add_argument("--since", metavar="ID", default="0", help="print updates after this id")
    dump.add_argument(
        "--follow", "-f", action="store_true", help="keep printing new updates as they come"
    )
    dump.set_defaults(handler="ingest.dump:run")

    export = commands.add_parser(
        "export",
        help="write the stream as CSV, JSON or SQLite tables",
        description="Write the night as tables (results by scope with official codes,"
        " turnout, speeches, updates) in CSV, JSON or SQLite; see docs/export.md.",
    )
    _add_night_options(export)
    _add_redis_options(export)
    export.add_argument("--format", choices=("csv", "json", "sqlite"), default="csv")
    export.add_argument(
        "--table",
        choices=("results", "turnout", "speeches", "updates", "all"),
        help="which table (default: results for csv, all for json and sqlite)",
    )
    export.add_argument(
        "--output", "-o", metavar="PATH", help="the file to write (default: standard output)"
    )
    export.add_argument(
        "--as-of",
        metavar="ID|TIME",
        help="the state at a stream id or a Paris time of the night (20:45)",
    )
    export.add_argument(
        "--follow",
        "-f",
        action="store_true",
        help="keep the file up to date (rewritten atomically) until Ctrl-C",
    )
    export.set_defaults(handler="ticker.export_command:run")

    redis_cmd = commands.add_parser(
        "redis",
        help="run the embedded Redis server in the foreground (for the Procfile)",
        description="Run soiree's embedded Redis server for the data directory in the"
        " foreground. If one already runs for that directory, say so and exit.",
    )
    redis_cmd.add_argument("--data-dir", metavar="DIR", help="data directory (see replay)")
    redis_cmd.add_argument(
        "--appendfsync",
        choices=("always", "everysec", "no"),
        default=os.environ.get("SOIREE_APPENDFSYNC", "everysec"),
        help="AOF fsync policy (default: $SOIREE_APPENDFSYNC, else everysec)",
    )
    redis_cmd.add_argument(
        "--stop", action="store_true", help="stop the embedded server of the data directory"
    )
    redis_cmd.add_argument(
        "--url", action="store_true", help="start it if needed and print its URL, then exit"
    )
    redis_cmd.set_defaults(handler="ingest.redis_command:run")

    sources = commands.add_parser(
        "sources",
        help="serve a night's fixtures as its emulated sources (liveblog, feed, results)",
        description="Serve the liveblog page, the RSS feed and the results endpoint of a night"
        " as they stood at each moment of the virtual clock, with ETag and Last-Modified, so"
        " that `soiree ingest` polls a rehearsal end to end (see docs/sources.md).",
    )
    _add_night_options(sources)
    add_clock_options(sources)
    sources.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    sources.add_argument(
        "--port", type=int, default=8750, help="port to listen on, 0 for any (default: 8750)"
    )
    sources.add_argument(
        "--page-size",
        type=int,
        default=20,
        metavar="N",
        help="entries on the liveblog page, newest first (default: 20)",
    )
    sources.add_argument(
        "--interval",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="polling interval advertised by Cache-Control: max-age (default: 5)",
    )
    sources.add_argument(
        "--loop",
        action="store_true",
        help="start the night again three intervals (at least 1 s) after its end",
    )
    sources.set_defaults(handler="replay.sources_command:run")

    ingest = commands.add_parser(
        "ingest",
        help="poll the configured sources (liveblog, feeds, results) into the stream",
        description="Poll every source of a sources.toml (docs/ingest.md) and append what is"
        " new, edited or deleted to the stream, once, however many ingest processes run."
        " Stops cleanly on Ctrl-C or SIGTERM.",
    )
    _add_night_options(ingest)
    _add_redis_options(ingest)
    ingest.add_argument(
        "--config",
        metavar="FILE",
        help="the sources file (default: $SOIREE_SOURCES_CONFIG, else the night's"
        " sources.toml, which polls `soiree sources`)",
    )
    ingest.add_argument(
        "--base-url",
        metavar="URL",
        help="resolve the sources' relative URLs against this instead of the file's base_url"
        " (default: $SOIREE_SOURCES_URL)",
    )
    ingest_mode = ingest.add_mutually_exclusive_group()
    ingest_mode.add_argument(
        "--burst",
        action="store_true",
        help="poll each source until nothing changes, then exit (status 1 if a source failed)",
    )
    ingest_mode.add_argument(
        "--status", action="store_true", help="print the sources' health and exit"
    )
    ingest.add_argument("--json", action="store_true", help="with --status: print JSON")
    ingest.set_defaults(handler="ingest.ingest_command:run")

    serve = commands.add_parser(
        "serve",
        help="relay the stream to websocket clients and serve the web page",
        description="Serve one port: /ws for websocket clients (hello, snapshot, backlog"
        " after ?since=ID, then live updates; see docs/protocol.md), /sse for the same as"
        " server-sent events, / for the web page, /embed for partner sites, /export/results.csv"
        " and .json, /healthz and /metrics. One Redis reader fans out to every client.",
    )
    _add_night_options(serve)
    _add_redis_options(serve)
    server_group = serve.add_argument_group("server")
    server_group.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)"
    )
    server_group.add_argument(
        "--port", type=int, metavar="N", help="port to listen on (default: $PORT, else 8765)"
    )
    server_group.add_argument(
        "--allowed-origin",
        action="append",
        metavar="ORIGIN",
        help="a web origin (https://newsroom.example) whose pages may open the websocket or"
        " /sse, fetch /export and frame /embed, besides the page served here; repeatable;"
        " '*' allows any",
    )
    server_group.add_argument(
        "--token-file",
        metavar="FILE",
        help="require this read token (first line of FILE) from clients, as ?token= or"
        " Authorization: Bearer (default: $SOIREE_READ_TOKEN; none: open)",
    )
    server_group.add_argument(
        "--max-pending-bytes",
        default="1M",
        metavar="SIZE",
        help="close a client (code 4008) when this much is still unsent to it (default: 1M)",
    )
    server_group.add_argument(
        "--recent",
        type=int,
        default=1000,
        metavar="N",
        help="updates kept in memory; a client without ?since= gets these (default: 1000)",
    )
    serve.set_defaults(handler="ticker.serve_command:run")

    ticker = commands.add_parser(
        "ticker",
        help="show the night live in the terminal: scoreboard, turnout, feed, sources",
        description="Show the night live in the terminal (docs/ticker.md): the latest count"
        " with its counted share, the turnout checkpoints, the feed of updates, the sources'"
        " health. Reads the stream from Redis, or relays a broadcaster with --ws. Keys: p"
        " pauses / resumes a replay's stream (with --control), q quits.",
    )
    _add_night_options(ticker)
    _add_redis_options(ticker)
    ticker_group = ticker.add_argument_group("ticker")
    ticker_group.add_argument(
        "--ws",
        metavar="URL",
        help="relay the broadcaster at this websocket URL (ws://host:8765/ws) instead of"
        " reading Redis; reconnects and resumes by itself ($SOIREE_READ_TOKEN: read token)",
    )
    ticker_group.add_argument(
        "--kinds",
        metavar="KIND,...",
        help="show only these kinds (turnout, count, estimate, speech, rally, milestone, news)",
    )
    ticker_group.add_argument(
        "--sources", metavar="NAME,...", help="show only the updates of these sources"
    )
    ticker_group.add_argument(
        "--once", action="store_true", help="print one frame of the night so far and exit"
    )
    ticker_group.add_argument(
        "--control",
        action="store_true",
        help="let p pause / resume the replay for everyone (without it, the pause is shown only)",
    )
    ticker_group.add_argument(
        "--items",
        type=int,
        default=20,
        metavar="N",
        help="feed items in a --once frame (default: 20; live, the feed fills the screen)",
    )
    ticker.set_defaults(handler="ticker.ticker_command:run")
    bench = commands.add_parser(
        "bench",
        help="run the benchmarks and print a table of ratios against baselines",
        description="Measure soiree against baselines measured in the same run on this machine"
        " (fan-out to 1k/5k/10k websocket clients, memory per subscriber, CPU per frame,"
        " idempotent append, replay lateness, detection latency). Prints a table and writes"
        " it as JSON. Everything stays on 127.0.0.1.",
    )
    bench.add_argument(
        "--quick", action="store_true", help="small sizes only (about a minute in all)"
    )
    bench.add_argument(
        "--only", metavar="GROUPS", help="comma-separated: append,replay,detection,fanout"
    )
    bench.add_argument(
        "--json",
        metavar="PATH",
        default="bench-results/bench.json",
        help="where to write the table as JSON (default: bench-results/bench.json)",
    )
    bench.set_defaults(handler="ingest.bench_command:run")

    return parser


def _handler(spec: str) -> Callable[[argparse.Namespace], int]:
    module_name, _, function_name = spec.partition(":")
    module = importlib.import_module(module_name)
    handler: Callable[[argparse.Namespace], int] = getattr(module, function_name)
    return handler


def _configure_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity == 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    # -vv shows what libraries log of the wire (websockets: every handshake header): no secret.
    from ingest.log_redaction import install  # noqa: PLC0415 - keeps `soiree --help` fast

    install()


def _user_errors() -> tuple[type[Exception], ...]:
    """The errors a user can cause (bad options, bad configuration, unreachable Redis).

    They are reported in one line; anything else is a bug and keeps its traceback. Imported
    here, late, so that ``soiree --help`` stays fast.
    """
    import redis.exceptions  # noqa: PLC0415

    from ingest.embedded_redis import RedisSetupError  # noqa: PLC0415
    from ingest.errors import CommandError  # noqa: PLC0415
    from ingest.night import NightError  # noqa: PLC0415
    from ingest.update import UpdateError  # noqa: PLC0415
    from replay.clock import ClockError  # noqa: PLC0415
    from replay.fixtures import FixtureError  # noqa: PLC0415

    return (
        CommandError,
        RedisSetupError,
        NightError,
        UpdateError,
        ClockError,
        FixtureError,
        redis.exceptions.ConnectionError,
        redis.exceptions.TimeoutError,
        redis.exceptions.AuthenticationError,
        OSError,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``soiree`` command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    handler = _handler(args.handler)
    try:
        return handler(args)
    except KeyboardInterrupt:
        print("soiree: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except _user_errors() as error:
        print(f"soiree {args.command}: error: {error}", file=sys.stderr)
        return EXIT_FAILURE
