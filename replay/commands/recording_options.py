"""The recording a command was asked for, read and placed on a virtual clock.

``--from`` / ``--to`` on a recording are times of day in the recording's time zone (its header's,
the night's when ``soiree ingest --record`` knew it, else UTC) on the day its first response was
received (``20:30``), or full ISO 8601 instants; ``--from`` defaults to its first response.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ingest.model.errors import CommandError
from ingest.model.night import Night
from ingest.model.recording import Recording, RecordingError, load_recording
from replay.clock import ReplayWindow
from replay.commands.clock_cli import ClockOptions
from replay.commands.clock_options import window_from_options

__all__ = ["open_recording", "recording_night", "recording_window"]


def open_recording(root: Path) -> Recording:
    """The recording in ``root``, or a one-line :class:`CommandError`."""
    try:
        recording = load_recording(root)
    except RecordingError as error:
        raise CommandError(str(error)) from None
    if not any(response.body for response in recording.responses):
        raise CommandError(f"{root}: the recording holds no body to serve")
    return recording


def recording_night(recording: Recording) -> Night:
    """A night on the recording's first day, in its time zone: what ``--from`` is read against."""
    zone_name = recording.header.get("timezone")
    try:
        zone = ZoneInfo(zone_name) if isinstance(zone_name, str) else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    first = recording.responses[0].at if recording.responses else datetime.now(UTC)
    day = first.astimezone(zone).date()
    slug = recording.night or recording.root.name
    return Night(
        slug=slug, title=f"recording {recording.root}", date=day, round=1, timezone=zone,
        candidates=(), stream=f"soiree:recording:{slug}", early_hour=0,
    )  # fmt: skip


def recording_window(clock: ClockOptions, recording: Recording) -> ReplayWindow:
    """The window of the clock options on ``recording``."""
    return window_from_options(
        recording_night(recording),
        speed=clock.speed,
        start=clock.start,
        end=clock.end,
        max_gap=clock.max_gap,
    )
