"""``soiree ingest --record DIR``: every response the pollers receive, written to a recording.

:class:`Recorder` writes the format of :mod:`ingest.model.recording` (docs/recording.md),
crash-safely: a body's blob goes to a temporary file, fsynced, then renamed to its digest's name
(so a blob is either whole or absent, and an unchanged body is stored once); then the response's
index line is appended in one write and fsynced. A SIGKILL loses at most the responses being
written; it never leaves a line naming a missing blob. On opening, a last line cut short by such
a kill is cut off, and one recorder at a time may write a recording (an advisory lock).

:class:`RecordingFetcher` is the hook: a :class:`~ingest.polling.fetch.Fetcher` that hands every
result to the recorder (in a worker thread, so fsync never stalls the event loop).
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import aiohttp
from yarl import URL

from ingest.model.errors import SoireeError
from ingest.model.recording import (
    HEADER_FILE,
    INDEX_FILE,
    INDEX_PART_GLOB,
    RecordedResponse,
    RecordingError,
    blob_path,
    body_digest,
    check_header,
    compress_body,
    encode_line,
    header_of,
)
from ingest.polling.fetch import Fetcher
from ingest.polling.fetch_result import FetchLimits, FetchResult, Validators
from ingest.runtime.log_redaction import redact_secrets, redact_url

__all__ = ["PART_LINES", "Recorder", "RecordingFetcher", "response_of"]

#: Lines of the live index sealed into a gzip part at a time.
PART_LINES: Final = 2000

logger = logging.getLogger(__name__)


class Recorder:
    """Appends responses to the recording in ``root`` (created if need be). Thread-safe."""

    def __init__(self, root: Path, *, night: str | None = None, timezone: str | None = None):
        self.root = root
        self._lock = threading.Lock()
        try:
            root.mkdir(parents=True, exist_ok=True)
            self._write_header(night=night, timezone=timezone)
            self._index = os.open(root / INDEX_FILE, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as error:
            raise SoireeError(f"cannot record into {root}: {error.strerror or error}") from None
        try:
            fcntl.flock(self._index, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self._index)
            raise SoireeError(f"{root} is being recorded by another process") from None
        self._cut_torn_line()
        with open(root / INDEX_FILE, "rb") as handle:
            self._live_lines = handle.read().count(b"\n")
        self._stored: set[str] = set()
        self.responses = 0
        self.bodies = 0

    def _write_header(self, *, night: str | None, timezone: str | None) -> None:
        path = self.root / HEADER_FILE
        if path.exists():
            try:
                check_header(json.loads(path.read_text("utf-8")), origin=str(self.root))
            except (ValueError, UnicodeDecodeError) as error:
                if isinstance(error, RecordingError):
                    raise SoireeError(str(error)) from None
                raise SoireeError(f"{path}: unreadable ({error})") from None
            return
        header = header_of(created=datetime.now(UTC), night=night, timezone=timezone)
        _write_atomically(path, (json.dumps(header, indent=2) + "\n").encode())

    def _cut_torn_line(self) -> None:
        """Cut off a last line that a kill left without its newline."""
        size = os.fstat(self._index).st_size
        if size == 0:
            return
        with open(self.root / INDEX_FILE, "rb") as handle:
            handle.seek(max(0, size - 65536))
            tail = handle.read()
        if tail.endswith(b"\n"):
            return
        keep = tail.rfind(b"\n")
        cut = size - len(tail) + keep + 1 if keep >= 0 else max(0, size - len(tail))
        os.ftruncate(self._index, cut)
        os.fsync(self._index)

    def record(self, response: RecordedResponse, body: bytes | None) -> None:
        """Write ``body`` (if new) and then ``response``'s line, both durably."""
        with self._lock:
            if body is not None and response.body is not None:
                self._store(response.body, body)
            os.write(self._index, encode_line(response).encode("utf-8"))
            os.fsync(self._index)
            self.responses += 1
            self._live_lines += 1
            if self._live_lines >= PART_LINES:
                self._seal()

    def _seal(self) -> None:
        """Move the live index into a new gzip part (written whole before the live one empties)."""
        if self._live_lines == 0:
            return
        with open(self.root / INDEX_FILE, "rb") as handle:
            lines = handle.read()
        numbers = [
            int(p.name[6:12]) for p in self.root.glob(INDEX_PART_GLOB) if p.name[6:12].isdigit()
        ]
        part = self.root / f"index-{max(numbers, default=0) + 1:06d}.jsonl.gz"
        _write_atomically(part, compress_body(lines))
        os.ftruncate(self._index, 0)
        os.fsync(self._index)
        self._live_lines = 0

    def _store(self, digest: str, body: bytes) -> None:
        if digest in self._stored:
            return
        path = blob_path(self.root, digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomically(path, compress_body(body))
            self.bodies += 1
        self._stored.add(digest)

    def close(self) -> None:
        """Release the recording."""
        with self._lock:
            if self._index >= 0:
                self._seal()
                os.close(self._index)
                self._index = -1


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, fsync, rename, fsync the folder."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def response_of(
    result: FetchResult, *, source: str, requested: float, recorded_url: str
) -> tuple[RecordedResponse, bytes | None]:
    """The recorded form of a fetch's result, and the body to store (None if there is none)."""
    has_body = result.status is not None and 200 <= result.status < 300 and result.outcome == "ok"
    digest = body_digest(result.body) if has_body else None
    response = RecordedResponse(
        source=source,
        url=recorded_url,
        at=datetime.fromtimestamp(requested, UTC),
        outcome=result.outcome.value,
        status=result.status,
        duration_ms=result.duration * 1000,
        etag=result.etag,
        last_modified=result.last_modified,
        cache_control=result.cache_control,
        content_type=result.content_type,
        body=digest,
        size=len(result.body) if has_body else 0,
        error=None if result.error is None else redact_secrets(result.error),
    )
    return response, (result.body if has_body else None)


class RecordingFetcher(Fetcher):
    """A :class:`Fetcher` that records every result (``sources``: URL -> source name)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        recorder: Recorder,
        *,
        sources: Mapping[str, str],
        max_per_host: int = 2,
        user_agent: str = "soiree",
    ) -> None:
        super().__init__(session, max_per_host=max_per_host, user_agent=user_agent)
        self._recorder = recorder
        self._sources = dict(sources)
        self._by_path = {str(URL(url).with_query(None)): name for url, name in sources.items()}

    def _source_of(self, url: str) -> str:
        """The source a URL belongs to: by the whole URL, else without its query (a page)."""
        name = self._sources.get(url) or self._by_path.get(str(URL(url).with_query(None)))
        return name or redact_url(url)

    async def fetch(
        self,
        url: str,
        *,
        validators: Validators | None = None,
        limits: FetchLimits | None = None,
        user_agent: str | None = None,
    ) -> FetchResult:
        """Fetch as :meth:`Fetcher.fetch` does, then record the result."""
        requested = time.time()
        result = await super().fetch(
            url, validators=validators, limits=limits, user_agent=user_agent
        )
        # A recording is a file to share: the URL's credentials never enter it (as in health).
        response, body = response_of(
            result, source=self._source_of(url), requested=requested, recorded_url=redact_url(url)
        )
        try:
            await asyncio.to_thread(self._recorder.record, response, body)
        except OSError as error:
            # A full disk must not stop the ingest: the poll goes on, unrecorded, and says so.
            logger.warning("%s: not recorded: %s", response.source, error.strerror or error)
        return result
