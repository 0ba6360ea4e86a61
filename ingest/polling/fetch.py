"""One polite HTTP GET of a source, with aiohttp: the pollers' only network code.

:meth:`Fetcher.fetch` never raises for what a source can do wrong; it classifies it in a
:class:`FetchResult` (:class:`FetchOutcome`):

- connect, read and total timeouts (a server that hangs, or drips a byte a second);
- a size cap: the body is streamed and the read stops past ``max_bytes`` (a declared
  ``Content-Length`` over the cap is refused before reading); the cap applies after
  decompression, so a small gzip bomb is caught too;
- redirects followed by hand, at most ``max_redirects``, only to ``http``/``https`` targets;
- conditional requests: ``If-None-Match`` / ``If-Modified-Since`` from the last good answer's
  ``ETag`` / ``Last-Modified`` (:class:`Validators`); ``304`` is :attr:`FetchOutcome.NOT_MODIFIED`;
- ``Retry-After`` (seconds or an HTTP date) and ``Cache-Control: max-age`` are read into
  seconds for :func:`ingest.runtime.backoff.next_poll_delay`;
- at most ``max_per_host`` requests in flight per host (``host:port``), across all sources.
  Waiting for one of those slots is not the source's fault: it is timed apart
  (:attr:`FetchResult.slot_wait`), left out of the source's total timeout and of its duration,
  and told in :attr:`FetchResult.slot_note` when it is long enough to matter.

The header parsers are pure, in :mod:`ingest.polling.http_headers`; the limits, validators and
result, values with no I/O, in :mod:`ingest.polling.fetch_result`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Final

import aiohttp
from yarl import URL

from ingest.polling.fetch_result import FetchLimits, FetchOutcome, FetchResult, Validators
from ingest.polling.http_headers import content_charset, parse_max_age, parse_retry_after

__all__ = ["REDIRECT_STATUSES", "Fetcher"]

REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
_CHUNK: Final = 64 * 1024


class _TooLargeError(Exception):
    pass


@dataclass(slots=True)
class _SlotWaits:
    """The time one fetch spent waiting for per-host slots, and the last host it waited for."""

    seconds: float = 0.0
    host: str | None = None


class Fetcher:
    """Fetches sources over one aiohttp session, capping requests in flight per host."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        max_per_host: int = 2,
        user_agent: str = "soiree",
    ) -> None:
        if max_per_host < 1:
            raise ValueError("max_per_host must be at least 1")
        self._session = session
        self._max_per_host = max_per_host
        self._user_agent = user_agent
        self._hosts: dict[str, asyncio.Semaphore] = {}

    def _slot(self, url: URL) -> asyncio.Semaphore:
        host = f"{url.host}:{url.port}"
        if host not in self._hosts:
            self._hosts[host] = asyncio.Semaphore(self._max_per_host)
        return self._hosts[host]

    @contextlib.asynccontextmanager
    async def _held_slot(
        self, url: URL, budget: asyncio.Timeout, waits: _SlotWaits
    ) -> AsyncIterator[None]:
        """Hold a slot of ``url``'s host; the wait for it stops the clock of ``budget``."""
        slot = self._slot(url)
        if slot.locked():
            deadline = budget.when()
            budget.reschedule(None)
            began = time.monotonic()
            await slot.acquire()
            waited = time.monotonic() - began
            waits.seconds += waited
            waits.host = f"{url.host}:{url.port}"
            budget.reschedule(None if deadline is None else deadline + waited)
        else:
            await slot.acquire()
        try:
            yield
        finally:
            slot.release()

    async def fetch(
        self,
        url: str,
        *,
        validators: Validators | None = None,
        limits: FetchLimits | None = None,
        user_agent: str | None = None,
    ) -> FetchResult:
        """GET ``url`` politely; classify whatever happens (never raises for a source's fault)."""
        waits = _SlotWaits()
        result = await self._fetch(
            url,
            validators=validators or Validators(),
            limits=limits or FetchLimits(),
            user_agent=user_agent or self._user_agent,
            waits=waits,
        )
        result = replace(result, slot_wait=waits.seconds, slot_host=waits.host)
        note = result.slot_note
        if note is not None and result.error is not None:
            result = replace(result, error=f"{result.error}; {note}")
        return result

    async def _fetch(
        self,
        url: str,
        *,
        validators: Validators,
        limits: FetchLimits,
        user_agent: str,
        waits: _SlotWaits,
    ) -> FetchResult:
        started = time.monotonic()
        redirects: list[str] = []
        try:
            async with asyncio.timeout(limits.total_timeout) as budget:
                return await self._follow(
                    URL(url),
                    validators=validators,
                    limits=limits,
                    user_agent=user_agent,
                    started=started,
                    redirects=redirects,
                    budget=budget,
                    waits=waits,
                )
        except TimeoutError:
            return self._failed(
                FetchOutcome.TIMEOUT,
                url,
                started,
                f"timed out (read {limits.timeout:g} s, total {limits.total_timeout:g} s)",
                redirects,
            )
        except aiohttp.ClientPayloadError as error:
            return self._failed(FetchOutcome.BAD_RESPONSE, url, started, str(error), redirects)
        except aiohttp.ClientResponseError as error:
            return self._failed(
                FetchOutcome.BAD_RESPONSE, url, started, error.message or str(error), redirects
            )
        except (aiohttp.ClientError, OSError, ValueError) as error:
            # ClientError: refused, reset, DNS...; OSError: the same from below aiohttp;
            # ValueError: a URL aiohttp cannot request (InvalidURL is both).
            message = str(error) or type(error).__name__
            return self._failed(FetchOutcome.CONNECTION_ERROR, url, started, message, redirects)

    @staticmethod
    def _failed(
        outcome: FetchOutcome, url: str, started: float, error: str, redirects: list[str]
    ) -> FetchResult:
        return FetchResult(
            outcome=outcome,
            url=url,
            started=started,
            finished=time.monotonic(),
            error=error,
            redirects=tuple(redirects),
        )

    async def _follow(
        self,
        url: URL,
        *,
        validators: Validators,
        limits: FetchLimits,
        user_agent: str,
        started: float,
        redirects: list[str],
        budget: asyncio.Timeout,
        waits: _SlotWaits,
    ) -> FetchResult:
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=limits.connect_timeout,
            sock_connect=limits.connect_timeout,
            sock_read=limits.timeout,
        )
        headers = {"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"}
        headers.update(validators.headers())
        while True:
            async with (
                self._held_slot(url, budget, waits),
                self._session.get(
                    url, headers=headers, allow_redirects=False, timeout=timeout
                ) as response,
            ):
                status = response.status
                if status in REDIRECT_STATUSES and "Location" in response.headers:
                    target = self._redirect_target(url, response.headers["Location"])
                    if isinstance(target, str):
                        return self._failed(
                            FetchOutcome.BAD_REDIRECT, str(url), started, target, redirects
                        )
                    redirects.append(str(target))
                    if len(redirects) > limits.max_redirects:
                        return self._failed(
                            FetchOutcome.TOO_MANY_REDIRECTS,
                            str(url),
                            started,
                            f"more than {limits.max_redirects} redirects (last to {target})",
                            redirects,
                        )
                    url = target
                    continue
                return await self._answer(response, url, limits, started, redirects)

    @staticmethod
    def _redirect_target(url: URL, location: str) -> URL | str:
        """The absolute URL a redirect points to, or why it is refused."""
        try:
            target = url.join(URL(location.strip()))
        except ValueError:
            return f"redirect to an unreadable URL {location!r}"
        if target.scheme not in ("http", "https") or not target.host:
            return f"redirect to a non-http(s) URL {location!r}"
        return target

    async def _answer(
        self,
        response: aiohttp.ClientResponse,
        url: URL,
        limits: FetchLimits,
        started: float,
        redirects: list[str],
    ) -> FetchResult:
        headers = response.headers
        status = response.status
        answer = FetchResult(
            outcome=FetchOutcome.OK,
            url=str(url),
            started=started,
            finished=started,
            status=status,
            content_type=headers.get("Content-Type"),
            charset=content_charset(headers.get("Content-Type")),
            etag=headers.get("ETag"),
            last_modified=headers.get("Last-Modified"),
            retry_after=parse_retry_after(headers.get("Retry-After"), now=datetime.now(UTC)),
            max_age=parse_max_age(headers.get("Cache-Control")),
            cache_control=headers.get("Cache-Control"),
            redirects=tuple(redirects),
        )
        if status == 304:
            return replace(answer, outcome=FetchOutcome.NOT_MODIFIED, finished=time.monotonic())
        if not 200 <= status < 300:
            response.close()
            return replace(
                answer,
                outcome=FetchOutcome.HTTP_ERROR,
                finished=time.monotonic(),
                error=f"HTTP {status} {response.reason or ''}".strip(),
            )
        try:
            body = await self._read_capped(response, limits.max_bytes)
        except _TooLargeError:
            response.close()
            return replace(
                answer,
                outcome=FetchOutcome.TOO_LARGE,
                finished=time.monotonic(),
                error=f"body over the {limits.max_bytes} byte cap",
            )
        return replace(answer, finished=time.monotonic(), body=body)

    @staticmethod
    async def _read_capped(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
        declared = response.content_length
        # A compressed body only grows when decompressed: over the cap already, it is refused.
        if declared is not None and declared > max_bytes:
            raise _TooLargeError
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise _TooLargeError
            chunks.append(chunk)
        return b"".join(chunks)
