"""Pytest fixtures for a night's emulated sources, served for real on loopback.

Register with ``pytest_plugins = ["tests.plugins.sources"]`` (or ``-p tests.plugins.sources``).

``sources_night`` (session)
    The bundled night of 29 January 2017 (:class:`replay.fixtures.NightFixture`).
``manual_time`` (function)
    A :class:`ManualTime`: a monotonic clock that moves only when told, for an
    :class:`~replay.clock.AnchoredClock` that tests drive step by step.
``start_sources`` (function)
    An async factory: ``running = await start_sources(speed="600", start="20:40")`` starts the
    emulated sources (``soiree sources``' application) on 127.0.0.1, port 0, and returns a
    :class:`RunningSources` (``running.base_url``, ``running.url("/liveblog")``); every server
    it started is stopped when the test ends. The clock options are strings, as on the command
    line; ``--from`` defaults to the first entry of the night's day, as in ``soiree sources``.
    ``interval`` defaults to 0 (``Cache-Control: max-age=0``), so pollers never wait on it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from typing import Protocol

import pytest
import pytest_asyncio
from aiohttp import web

from replay.clock import AnchoredClock
from replay.commands.clock_options import window_from_options
from replay.emulated.server import (
    SOURCES_KEY,
    SourcesState,
    build_sources_app,
    start_sources_server,
)
from replay.fixtures import find_night
from replay.night_fixture import NightFixture
from replay.timeline import with_default_start

__all__ = ["ManualTime", "RunningSources", "SourcesStarter"]


class ManualTime:
    """A monotonic clock (seconds) that stands still until :meth:`advance` moves it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        self.now += seconds


@dataclass(frozen=True, slots=True)
class RunningSources:
    """Emulated sources being served: their base URL and application."""

    base_url: str
    app: web.Application

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` (``"/liveblog"``)."""
        return self.base_url + path

    @property
    def state(self) -> SourcesState:
        """The application's state: its fixture, schedule and clock."""
        return self.app[SOURCES_KEY]


class SourcesStarter(Protocol):
    """The type of the ``start_sources`` fixture."""

    def __call__(
        self,
        *,
        fixture: NightFixture | None = ...,
        speed: str = ...,
        start: str | None = ...,
        end: str | None = ...,
        max_gap: str | None = ...,
        page_size: int = ...,
        interval: float = ...,
        loop: bool = ...,
        loop_pause: float | None = ...,
        clock: AnchoredClock | None = ...,
    ) -> Awaitable[RunningSources]: ...


@pytest.fixture(scope="session")
def sources_night() -> NightFixture:
    """The bundled night of 29 January 2017."""
    return find_night("2017-01-29")


@pytest.fixture
def manual_time() -> ManualTime:
    """A monotonic clock the test moves by hand."""
    return ManualTime()


@pytest_asyncio.fixture
async def start_sources(sources_night: NightFixture) -> AsyncIterator[SourcesStarter]:
    """Start emulated sources on 127.0.0.1 (port 0); all are stopped after the test."""
    runners: list[web.AppRunner] = []

    async def start(
        *,
        fixture: NightFixture | None = None,
        speed: str = "600",
        start: str | None = None,
        end: str | None = None,
        max_gap: str | None = None,
        page_size: int = 20,
        interval: float = 0.0,
        loop: bool = False,
        loop_pause: float | None = None,
        clock: AnchoredClock | None = None,
    ) -> RunningSources:
        night = fixture or sources_night
        window = with_default_start(
            window_from_options(night.night, speed=speed, start=start, end=end, max_gap=max_gap),
            night,
        )
        app = build_sources_app(
            night,
            window,
            page_size=page_size,
            interval=interval,
            loop=loop,
            loop_pause=loop_pause,
            clock=clock,
        )
        runner, base_url = await start_sources_server(app, "127.0.0.1", 0)
        runners.append(runner)
        return RunningSources(base_url=base_url, app=app)

    try:
        yield start
    finally:
        for runner in reversed(runners):
            await runner.cleanup()
