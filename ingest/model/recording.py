"""A recording of what the sources served: its format, and reading it back (docs/recording.md).

A recording is a directory::

    recording.json          the header: {"format": "soiree-recording", "version": 1, ...}
    index-000001.jsonl.gz   sealed parts of the index, gzip (a few thousand lines each)
    index.jsonl             the index being appended: one JSON object per response received
    blobs/ab/<sha256>.gz    each distinct body once, gzip, named by the SHA-256 of the raw body

The whole index is ``zcat index-*.jsonl.gz; cat index.jsonl``. A part is sealed by writing it
(to a temporary name, then renamed) before the live file is emptied: a kill in between leaves
the same lines twice, which the reader counts once (each line is one response, with its
microsecond time, so no two responses share a line).

An index line names its body by digest; the body's blob is always written (to a temporary name,
then renamed) before the line that names it, and every line is written whole then fsynced, so a
process killed at any moment leaves a readable recording: at worst a last line cut short, which
:func:`load_recording` leaves out (and the recorder cuts off before appending again).

This module is pure apart from reading those files: :func:`encode_line` / :func:`decode_line`
are the index's line format, :func:`load_recording` reads a whole recording.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from ingest.model.errors import SoireeError

__all__ = [
    "BLOBS_DIR",
    "FORMAT",
    "HEADER_FILE",
    "INDEX_FILE",
    "INDEX_PART_GLOB",
    "VERSION",
    "RecordedResponse",
    "Recording",
    "RecordingError",
    "blob_path",
    "body_digest",
    "compress_body",
    "decode_line",
    "encode_line",
    "header_of",
    "load_recording",
]

FORMAT: Final = "soiree-recording"
VERSION: Final = 1
HEADER_FILE: Final = "recording.json"
INDEX_FILE: Final = "index.jsonl"
INDEX_PART_GLOB: Final = "index-*.jsonl.gz"
BLOBS_DIR: Final = "blobs"


class RecordingError(SoireeError, ValueError):
    """A recording is missing, of another format or version, or damaged; the message says where."""


@dataclass(frozen=True, slots=True)
class RecordedResponse:
    """One response a poller received (or the failure it met instead).

    ``at`` is when the request was sent (UTC); ``body`` is the SHA-256 of the body (only for a
    ``2xx`` answer with a body); ``outcome`` is
    :class:`ingest.polling.fetch_result.FetchOutcome`'s value.
    """

    source: str
    url: str
    at: datetime
    outcome: str
    status: int | None = None
    duration_ms: float = 0.0
    etag: str | None = None
    last_modified: str | None = None
    cache_control: str | None = None
    content_type: str | None = None
    body: str | None = None
    size: int = 0
    error: str | None = None


_OPTIONAL_TEXT: Final = ("etag", "last_modified", "cache_control", "content_type", "body", "error")


def encode_line(response: RecordedResponse) -> str:
    """The index line of ``response``: compact JSON, one line, ending with ``\\n``."""
    data: dict[str, Any] = {
        "source": response.source,
        "url": response.url,
        "at": response.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "outcome": response.outcome,
        "status": response.status,
        "ms": round(response.duration_ms, 1),
    }
    for name in _OPTIONAL_TEXT:
        value = getattr(response, name)
        if value is not None:
            data[name] = value
    if response.body is not None:
        data["size"] = response.size
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"


def decode_line(line: str) -> RecordedResponse:
    """The response of an index line; :class:`RecordingError` if it is not one."""
    try:
        data = json.loads(line)
    except ValueError as error:
        raise RecordingError(f"not JSON ({error})") from None
    if not isinstance(data, dict):
        raise RecordingError("not a JSON object")

    def text(name: str, *, required: bool = False) -> str | None:
        value = data.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, str):
            raise RecordingError(f"{name!r} must be a string")
        return value

    try:
        at = datetime.fromisoformat(str(text("at", required=True)))
    except ValueError:
        raise RecordingError("'at' must be an ISO 8601 instant") from None
    if at.tzinfo is None:
        raise RecordingError("'at' must carry its UTC offset")
    status = data.get("status")
    if status is not None and (type(status) is not int or not 100 <= status <= 599):
        raise RecordingError("'status' must be an HTTP status or null")
    duration = data.get("ms", 0.0)
    size = data.get("size", 0)
    if type(duration) not in (int, float) or type(size) is not int or size < 0:
        raise RecordingError("'ms' and 'size' must be numbers")
    body = text("body")
    if body is not None and not _is_digest(body):
        raise RecordingError("'body' must be a SHA-256 hex digest")
    return RecordedResponse(
        source=str(text("source", required=True)),
        url=str(text("url", required=True)),
        at=at.astimezone(UTC),
        outcome=str(text("outcome", required=True)),
        status=status,
        duration_ms=float(duration),
        etag=text("etag"),
        last_modified=text("last_modified"),
        cache_control=text("cache_control"),
        content_type=text("content_type"),
        body=body,
        size=size,
        error=text("error"),
    )


def _is_digest(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def body_digest(body: bytes) -> str:
    """The name of a body's blob: the SHA-256 of the raw (uncompressed) body, in hex."""
    return hashlib.sha256(body).hexdigest()


def compress_body(body: bytes) -> bytes:
    """A blob's bytes: gzip (``mtime`` 0, so the same body always gives the same blob)."""
    return gzip.compress(body, compresslevel=9, mtime=0)


def blob_path(root: Path, digest: str) -> Path:
    """Where the blob of ``digest`` lives in the recording ``root``."""
    return root / BLOBS_DIR / digest[:2] / f"{digest}.gz"


def header_of(*, created: datetime, night: str | None, timezone: str | None) -> dict[str, Any]:
    """A new recording's header."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "created": created.astimezone(UTC).isoformat(timespec="seconds"),
        "night": night,
        "timezone": timezone,
    }


def check_header(data: object, *, origin: str) -> dict[str, Any]:
    """``data`` if it is the header of a recording this soiree reads."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RecordingError(f"{origin}: not a soiree recording (no format {FORMAT!r})")
    if data.get("version") != VERSION:
        raise RecordingError(
            f"{origin}: recording format version {data.get('version')!r}; this soiree reads"
            f" version {VERSION}"
        )
    return data


@dataclass(frozen=True, slots=True)
class Recording:
    """A recording read back: its header, its responses ordered by ``at``, its blobs on disk.

    ``damaged`` counts the index lines left out (a last line cut short by a kill, or lines that
    are not a response).
    """

    root: Path
    header: Mapping[str, Any]
    responses: tuple[RecordedResponse, ...]
    damaged: int = 0
    _bodies: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)

    @property
    def sources(self) -> list[str]:
        """The sources recorded, in the order they first answered."""
        return list(dict.fromkeys(response.source for response in self.responses))

    @property
    def night(self) -> str | None:
        """The slug of the night the recording was made for, if the recorder knew it."""
        night = self.header.get("night")
        return night if isinstance(night, str) else None

    def body(self, digest: str) -> bytes:
        """The body of ``digest``, checked against its digest."""
        cached = self._bodies.get(digest)
        if cached is not None:
            return cached
        path = blob_path(self.root, digest)
        try:
            body = gzip.decompress(path.read_bytes())
        except FileNotFoundError:
            raise RecordingError(f"{path}: a body the index names is missing") from None
        except (OSError, EOFError, zlib.error) as error:
            raise RecordingError(f"{path}: unreadable body ({error})") from None
        if body_digest(body) != digest:
            raise RecordingError(f"{path}: the body does not match its digest")
        self._bodies[digest] = body
        return body

    def size(self) -> int:
        """Bytes on disk: header, index and blobs."""
        return sum(path.stat().st_size for path in self.root.rglob("*") if path.is_file())

    def summary(self) -> str:
        """One line: sources, responses, distinct bodies, size and time span."""
        bodies = {response.body for response in self.responses if response.body}
        span = ""
        if self.responses:
            first, last = self.responses[0].at, self.responses[-1].at
            seconds = (last - first).total_seconds()
            span = (
                f", {first:%Y-%m-%d %H:%M:%S} to {last:%Y-%m-%d %H:%M:%S} UTC"
                f" ({_duration(seconds)})"
            )
        damaged = f", {self.damaged} damaged line(s) left out" if self.damaged else ""
        return (
            f"{len(self.sources)} source(s) ({', '.join(self.sources) or 'none'}),"
            f" {len(self.responses)} responses, {len(bodies)} distinct bodies,"
            f" {_size(self.size())}{span}{damaged}"
        )


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def _size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.2f} MiB"


def load_recording(root: Path) -> Recording:
    """Read the recording in ``root``; :class:`RecordingError` if it is not one."""
    header_path = root / HEADER_FILE
    try:
        header = check_header(json.loads(header_path.read_text("utf-8")), origin=str(root))
    except FileNotFoundError:
        raise RecordingError(f"{root}: no recording here (no {HEADER_FILE})") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        if isinstance(error, RecordingError):
            raise
        raise RecordingError(f"{header_path}: unreadable ({error})") from None
    lines: list[bytes] = []
    for part in sorted(root.glob(INDEX_PART_GLOB)):
        try:
            lines.extend(gzip.decompress(part.read_bytes()).split(b"\n"))
        except (OSError, EOFError, zlib.error) as error:
            raise RecordingError(f"{part}: unreadable part of the index ({error})") from None
    try:
        raw = (root / INDEX_FILE).read_bytes()
    except FileNotFoundError:
        raw = b""
    except OSError as error:
        raise RecordingError(f"{root / INDEX_FILE}: unreadable ({error})") from None
    lines.extend(raw.split(b"\n"))
    responses: list[RecordedResponse] = []
    damaged = 0
    seen: set[bytes] = set()
    for line in lines:
        if not line.strip() or line in seen:
            continue  # a line twice: a kill while a part was being sealed
        seen.add(line)
        try:
            responses.append(decode_line(line.decode("utf-8")))
        except (RecordingError, UnicodeDecodeError):
            damaged += 1
    responses.sort(key=lambda response: response.at)
    return Recording(root=root, header=header, responses=tuple(responses), damaged=damaged)
