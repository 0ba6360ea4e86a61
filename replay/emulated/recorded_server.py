"""A recording served again over HTTP: a thin aiohttp shell around its schedule
(:mod:`replay.emulated.recorded_schedule`).

Each recorded document (one URL) is served at its own path and query (``/liveblog``,
``/feed.xml``, ``/live?page=2``), so the sources file that made the recording polls the re-served
one with only its ``base_url`` changed. Two documents of different hosts with the same path are
told apart by the source's name in front (``/<source>/<path>``); :attr:`RecordingState.paths`
says where each is.

Every answer carries the recorded ``Content-Type`` and ``ETag`` (a digest of the body when the
source sent none), ``Last-Modified`` (when that version appeared on the re-serving clock) and
``Cache-Control: max-age=<interval>``, and answers ``If-None-Match`` / ``If-Modified-Since`` with
``304`` exactly as the emulated sources do (:mod:`replay.emulated.conditional`). A
document with no version due yet is ``404``. ``/healthz`` tells the recorded time.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import web
from yarl import URL

from ingest.model.recording import Recording, RecordingError
from ingest.runtime.log_redaction import redact_url
from replay.clock import AnchoredClock, ReplayWindow, speed_value
from replay.emulated.conditional import version_validators
from replay.emulated.documents import etag_of
from replay.emulated.recorded_schedule import RecordingSchedule, versions_of

__all__ = ["RECORDING_KEY", "RecordingState", "build_recording_app", "paths_of"]

DEFAULT_INTERVAL: Final = 5.0


def paths_of(recording: Recording, urls: list[str]) -> dict[str, str]:
    """Where each document is served: its path and query, or ``/<source><path>`` if taken."""
    sources = {response.url: response.source for response in recording.responses}
    paths: dict[str, str] = {}
    taken: set[str] = set()
    for url in urls:
        try:
            path = URL(url).path_qs or "/"
        except ValueError:
            path = "/"
        if path in taken or path in ("/", "/healthz"):
            path = "/" + sources.get(url, "source").strip("/") + path
        taken.add(path)
        paths[url] = path
    return paths


@dataclass(slots=True)
class RecordingState:
    """What the application serves from: the recording, its schedule, the clock."""

    recording: Recording
    schedule: RecordingSchedule
    clock: AnchoredClock
    interval: float
    paths: dict[str, str]
    epoch_at_anchor: float = 0.0
    base_url: str | None = None
    _etags: dict[str, str] = field(default_factory=dict)

    def start(self) -> None:
        """Anchor the clock now."""
        self.clock.reset()
        self.epoch_at_anchor = time.time() - self.clock.elapsed()

    def health(self) -> dict[str, Any]:
        """The ``/healthz`` document."""
        moment = self.schedule.moment(self.clock.elapsed())
        recorded = moment.virtual_time  # the recording's time
        return {
            "recording": str(self.recording.root),
            "recorded_time": None if recorded is None else recorded.isoformat(),
            "speed": speed_value(self.schedule.window.speed),
            "finished": moment.finished,
            "loop": self.schedule.loop,
            "pass": moment.pass_index + 1,
        }

    def etag(self, digest: str, recorded: str | None) -> str:
        """The recorded ETag, else one made from the body."""
        if recorded:
            return recorded
        if digest not in self._etags:
            self._etags[digest] = etag_of(self.recording.body(digest))
        return self._etags[digest]


RECORDING_KEY: Final = web.AppKey("soiree_recording", RecordingState)


def build_recording_app(
    recording: Recording,
    window: ReplayWindow,
    *,
    interval: float = DEFAULT_INTERVAL,
    loop: bool = False,
    clock: AnchoredClock | None = None,
) -> web.Application:
    """The application serving ``recording`` on ``window``'s clock (anchored at startup)."""
    if not (math.isfinite(interval) and interval >= 0):
        raise ValueError("interval must be a non-negative number of seconds")
    versions = versions_of(recording.responses)
    schedule = RecordingSchedule(versions, window, loop=loop, loop_pause=max(3 * interval, 1.0))
    state = RecordingState(
        recording=recording,
        schedule=schedule,
        clock=clock or AnchoredClock(),
        interval=interval,
        paths=paths_of(recording, schedule.documents),
    )
    state.start()
    app = web.Application()
    app[RECORDING_KEY] = state

    async def on_startup(_: web.Application) -> None:
        state.start()

    app.on_startup.append(on_startup)
    app.router.add_get("/healthz", _healthz)
    app.router.add_get("/{tail:.*}", _serve)
    return app


async def _serve(request: web.Request) -> web.StreamResponse:
    state = request.app[RECORDING_KEY]
    # Recorded URLs have their secrets masked (``token=***``): a poller's own token matches them.
    wanted = redact_url(request.rel_url.path_qs)
    url = next((url for url, path in state.paths.items() if path == wanted), None)
    if url is None:
        if wanted == "/":
            return _index(state)
        raise web.HTTPNotFound(text="not in the recording\n")
    version = state.schedule.version(url, state.clock.elapsed())
    response = version.response
    if response is None or response.body is None:
        raise web.HTTPNotFound(
            text="not recorded yet at this moment\n", headers={"Cache-Control": "no-store"}
        )
    try:
        etag = state.etag(response.body, _header_value(response.etag))
        body = state.recording.body(response.body)
    except RecordingError as error:
        # A damaged blob: said in one line, as a source that fails would.
        raise web.HTTPServiceUnavailable(text=f"{error}\n") from None
    headers, not_modified = version_validators(
        request.headers.getall("If-None-Match", []),
        request.headers.getall("If-Modified-Since", []),
        etag=etag,
        epoch_at_anchor=state.epoch_at_anchor,
        started=version.started,
        previous_started=version.previous_started,
        max_age=math.ceil(state.interval),
        now=time.time(),
    )
    if not_modified:
        return web.Response(status=304, headers=headers)
    headers["Content-Type"] = _header_value(response.content_type) or "application/octet-stream"
    return web.Response(body=body, headers=headers)


def _header_value(value: str | None) -> str | None:
    """A recorded header value, unless it holds what no header may (a control character)."""
    if value is None or any(ord(c) < 32 or ord(c) == 127 for c in value):
        return None
    return value


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response(
        request.app[RECORDING_KEY].health(), headers={"Cache-Control": "no-store"}
    )


def _index(state: RecordingState) -> web.Response:
    lines = [f"soiree recording {state.recording.root}", ""]
    lines += [f"{path}  (recorded from {url})" for url, path in state.paths.items()]
    return web.Response(
        text="\n".join(lines) + "\n",
        content_type="text/plain",
        headers={"Cache-Control": "no-cache"},
    )
