"""``soiree ingest``: poll the configured sources into the stream; ``--status`` shows their health.

The sources file is ``--config``, else ``$SOIREE_SOURCES_CONFIG``, else the ``sources.toml``
of the night's fixtures (the emulated sources of ``soiree sources``). ``--base-url`` (or
``$SOIREE_SOURCES_URL``) replaces its ``base_url``. Runs until Ctrl-C or SIGTERM (stopping
cleanly between two polls), or with ``--burst`` polls each source until nothing changes and
exits: 0 when every source's last poll went well, 1 otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from ingest.commands.ingest_cli import IngestOptions
from ingest.commands.stream_options import (
    connect_client,
    night_of,
    redis_url_of,
    resolve_stream,
    stream_maxlen,
)
from ingest.model.errors import CommandError, SoireeError
from ingest.model.night import Night
from ingest.model.nights import SOURCES_FILE, find_night_dir
from ingest.model.recording import HEADER_FILE, RecordingError, load_recording
from ingest.model.settings import settings
from ingest.model.source_staleness import is_silent, overdue_seconds
from ingest.model.text_cleaning import clean_text
from ingest.polling.poll_result import PollTotals
from ingest.polling.recorder import Recorder
from ingest.polling.runner import IngestReport, run_ingest
from ingest.runtime.aio import run_command, stop_on_signals
from ingest.sources.config import IngestConfig, load_ingest_config
from ingest.sources.source_config import SourceConfigError
from ingest.store.health import read_all_health

__all__ = [
    "CONFIG_ENV",
    "SOURCES_URL_ENV",
    "burst_summary",
    "config_path_of",
    "health_table",
    "run",
]

CONFIG_ENV: Final = "SOIREE_SOURCES_CONFIG"
SOURCES_URL_ENV: Final = "SOIREE_SOURCES_URL"
MAX_CELL: Final = 300


def config_path_of(options: IngestOptions) -> Path:
    """The sources file: ``--config``, else ``$SOIREE_SOURCES_CONFIG``, else the night's."""
    if options.config is not None:
        return options.config
    explicit = settings().sources_config
    if explicit is not None:
        return explicit
    night = options.night
    path = find_night_dir(night.night, nights_dir=night.fixtures) / SOURCES_FILE
    if not path.exists():
        raise CommandError(
            f"{path}: no such sources file beside the night; write one naming the night"
            " (docs/ingest.md), or pass --config FILE"
        )
    return path


def _load(options: IngestOptions) -> tuple[IngestConfig, Night]:
    path = config_path_of(options)
    base_url = options.base_url or settings().sources_url
    try:
        config = load_ingest_config(path, base_url=base_url)
    except SourceConfigError as error:
        raise CommandError(str(error)) from None
    if config.night is None:  # a sources file always names its night; kept for the type
        return config, night_of(options.night)
    if options.night.night is not None and options.config is not None:
        asked = night_of(options.night)
        if asked.slug != config.night.slug:
            raise CommandError(
                f"--night {options.night.night} is night {asked.slug!r}, but {path} names"
                f" night {config.night.slug!r}"
            )
    return config, config.night


def run(options: IngestOptions) -> int:
    """Run ``soiree ingest``; return the exit status."""
    config, night = _load(options)
    stream = options.redis.stream or night.stream
    url = redis_url_of(options.redis, command="ingest")
    if options.status:
        names = [source.name for source in config.sources]
        return run_command(_status(url, stream, configured=names, as_json=options.json))
    recorder = None if options.record is None else open_recorder(options.record, night)
    try:
        return run_command(
            _ingest(config, night, url=url, stream=stream, burst=options.burst, recorder=recorder)
        )
    finally:
        if recorder is not None:
            recorder.close()
            _say_recorded(recorder.root)


def open_recorder(root: Path, night: Night) -> Recorder:
    """The recorder of ``--record``, having said what the recording already holds."""
    err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)
    if (root / HEADER_FILE).exists():
        try:
            err.print(f"recording into {root}, which holds {load_recording(root).summary()}")
        except RecordingError as error:
            raise CommandError(str(error)) from None
    else:
        err.print(f"recording into {root} (new)")
    try:
        return Recorder(root, night=night.slug, timezone=str(night.timezone))
    except SoireeError as error:
        raise CommandError(str(error)) from None


def _say_recorded(root: Path) -> None:
    err = Console(stderr=True, highlight=False, markup=False, soft_wrap=True)
    try:
        err.print(f"recording {root} holds {load_recording(root).summary()}")
    except RecordingError as error:
        err.print(f"recording {root}: {error}")


async def _ingest(
    config: IngestConfig,
    night: Night,
    *,
    url: str,
    stream: str,
    burst: bool,
    recorder: Recorder | None = None,
) -> int:
    client = await connect_client(url)
    err = Console(stderr=True, highlight=False)
    try:
        stream = await resolve_stream(client, stream)
        async with stop_on_signals() as stop:
            if not burst:
                names = ", ".join(source.name for source in config.sources)
                err.print(
                    Text(f"ingesting {names} into stream {stream} (Ctrl-C to stop)"),
                    soft_wrap=True,
                )
            report = await run_ingest(
                config, client, night=night, stream=stream, stop=stop, burst=burst,
                maxlen=stream_maxlen(), recorder=recorder,
            )  # fmt: skip
    finally:
        await client.aclose()
    if burst:
        _print_burst(report)
        return 1 if report.failed else 0
    return 0


def burst_summary(report: IngestReport) -> list[str]:
    """One line per source: how its last poll ended, and what the whole burst appended."""
    lines = []
    for name, result in report.last.items():
        totals = report.totals.get(name, PollTotals())
        if result is None:
            lines.append(f"{name}: never polled")
            continue
        polls = f"{totals.polls} poll{'s' if totals.polls != 1 else ''}"
        appended = (
            f"+{totals.added} added, {totals.edited} edited, {totals.deleted} deleted in {polls}"
        )
        if result.ok:
            entries = "" if result.entries is None else f", {result.entries} entries"
            lines.append(f"{name}: ok ({result.outcome}{entries}), {appended}")
        else:
            lines.append(f"{name}: failed ({result.outcome}): {result.error}; {appended}")
    return lines


def _print_burst(report: IngestReport) -> None:
    out = Console(highlight=False, soft_wrap=True)
    for line in burst_summary(report):
        out.print(Text(line))


async def _status(url: str, stream: str, *, configured: list[str], as_json: bool) -> int:
    client = await connect_client(url)
    try:
        stream = await resolve_stream(client, stream)
        health = await read_all_health(client, stream)
    finally:
        await client.aclose()
    # Configured sources no poller has recorded yet are shown too, as never polled.
    for name in configured:
        health.setdefault(name, {"source": name, "state": "never polled"})
    if as_json:
        print(json.dumps(health, ensure_ascii=False, indent=2))
        return 0
    console = Console(highlight=False)
    console.print(health_table(health, stream=stream, now=datetime.now(UTC)))
    return 0


def _age(value: object, now: datetime) -> str:
    if not isinstance(value, str):
        return "-"
    try:
        seconds = (now - datetime.fromisoformat(value)).total_seconds()
    except (ValueError, TypeError):
        return "?"
    return _duration(seconds) + " ago"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _number(value: object, unit: str = "") -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        whole = isinstance(value, int) or value >= 100
        return f"{value:.0f}{unit}" if whole else f"{value:.1f}{unit}"
    return "-"


def source_state(record: Mapping[str, object], now: datetime) -> str:
    """``ok``, ``error``, ``starting``, ``never polled``, or ``silent``: the poller looks gone
    (its next poll long overdue, :func:`ingest.model.source_staleness.is_silent`, the rule the
    ticker shares), whatever its last poll said."""
    if is_silent(record, now.timestamp()):
        return "silent"
    return str(record.get("state", "?"))


def health_table(health: dict[str, dict[str, object]], *, stream: str, now: datetime) -> Group:
    """The ``--status`` table, then each source's last error or warning on lines of its own.

    Short columns that never wrap (so no word is cut in 80 columns); the messages, long and
    from outside, wrap at spaces below the table. Every cell is :class:`rich.text.Text`, never
    markup.
    """
    table = Table(
        title=Text(f"sources of {stream}"),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    for column in ("source", "state", "HTTP", "success", "entries", "poll", "latency"):
        table.add_column(column, no_wrap=column != "source", overflow="fold")
    styles = {"ok": "green", "error": "red", "starting": "yellow", "silent": "yellow"}

    def cell(value: object, style: str = "") -> Text:
        # Redis may hold anything: plain text only, no escape sequence reaches the terminal.
        return Text(clean_text(str(value), max_length=MAX_CELL), style=style)

    messages: list[Text] = []
    for name, record in health.items():
        state = source_state(record, now)
        error = record.get("last_error") if record.get("consecutive_errors") else None
        warning = record.get("last_warning")
        errors = record.get("consecutive_errors")
        shown_state = (
            f"{state} x{errors}" if state == "error" and isinstance(errors, int) else state
        )
        table.add_row(
            cell(name),
            cell(shown_state, styles.get(state, "")),
            cell(_number(record.get("last_status"))),
            cell(_age(record.get("last_success"), now)),
            cell(_number(record.get("entries_seen"))),
            cell(_number(record.get("last_poll_ms"), " ms")),
            cell(_number(record.get("detection_latency_ms"), " ms")),
        )
        if state == "silent":
            overdue = overdue_seconds(record, now.timestamp()) or 0.0
            messages.append(cell(f"{name}: silent: its next poll is {_duration(overdue)} late"))
        if error or warning:
            kind = "last error" if error else "warning"
            messages.append(cell(f"{name}: {kind}: {error or warning}"))
        gap = record.get("unfilled_gap")
        if gap and not (isinstance(warning, str) and warning in str(gap)):
            messages.append(cell(f"{name}: last gap not filled: {gap}"))
    return Group(table, *messages)
