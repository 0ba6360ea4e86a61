"""Webhooks: each alert POSTed as JSON, HMAC-SHA256 signed, retried with backoff, once.

A :class:`WebhookSender` has a queue and a task of its own: :meth:`WebhookSender.send` only
queues, so nothing that fires an alert ever waits for a receiver. The body is the alert's
update JSON (``docs/alerts.md``, "Webhooks"); the header ``X-Soiree-Signature`` is
``sha256=`` and the hex HMAC-SHA256 of the body's bytes with the shared secret. A failed POST
(no answer, or a status other than 2xx) is tried again after 0.5 s, 1 s, 2 s... up to 30 s,
:data:`MAX_ATTEMPTS` times in all. Once a receiver answered 2xx, the alert's uid goes into the
Redis set :func:`delivered_key`, so that a restarted process sends what is not delivered, and
nothing twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from typing import Final

import aiohttp
from redis.asyncio import Redis
from redis.exceptions import RedisError

from ingest.model.update import Update
from ingest.runtime.log_redaction import redact_url

__all__ = ["MAX_ATTEMPTS", "SIGNATURE_HEADER", "WebhookSender", "delivered_key", "signature"]

logger = logging.getLogger(__name__)

SIGNATURE_HEADER: Final = "X-Soiree-Signature"
MAX_ATTEMPTS: Final = 8
_FIRST_DELAY: Final = 0.5
_MAX_DELAY: Final = 30.0
_TIMEOUT: Final = aiohttp.ClientTimeout(total=10)


def signature(secret: bytes, body: bytes) -> str:
    """The ``X-Soiree-Signature`` value of ``body``: ``sha256=<hex HMAC-SHA256>``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def delivered_key(stream: str, url: str) -> str:
    """The Redis set of the alert uids ``url`` has acknowledged (2xx), for ``stream``."""
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]
    return f"{stream}:alerts:delivered:{digest}"


class WebhookSender:
    """One receiver's queue and delivery task."""

    def __init__(self, redis: Redis, stream: str, url: str, secret: bytes) -> None:
        self._redis = redis
        self._key = delivered_key(stream, url)
        self.url = url
        #: How the URL is logged: a receiver's URL often carries its secret (``?token=``).
        self.shown = redact_url(url)
        self._secret = secret
        self._queue: asyncio.Queue[Update] = asyncio.Queue()

    async def undelivered(self, uids: list[str]) -> list[str]:
        """Which of ``uids`` this receiver has not acknowledged."""
        if not uids:
            return []
        flags = await self._redis.smismember(self._key, uids)
        return [uid for uid, flag in zip(uids, flags, strict=True) if not flag]

    def send(self, alert: Update) -> None:
        """Queue ``alert`` (never waits)."""
        self._queue.put_nowait(alert)

    async def run(self) -> None:
        """Deliver the queue, in order, until cancelled."""
        async with aiohttp.ClientSession(timeout=_TIMEOUT) as session:
            while True:
                alert = await self._queue.get()
                await self._deliver(session, alert)

    async def _deliver(self, session: aiohttp.ClientSession, alert: Update) -> None:
        body = json.dumps(alert.to_json(), ensure_ascii=False).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(self._secret, body),
            "X-Soiree-Alert": alert.uid,
        }
        delay = _FIRST_DELAY
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                async with session.post(self.url, data=body, headers=headers) as response:
                    if 200 <= response.status < 300:
                        await self._mark(alert.uid)
                        return
                    problem = f"HTTP {response.status}"
            except (aiohttp.ClientError, TimeoutError) as error:
                problem = type(error).__name__
            logger.warning(
                "webhook: %s of %s failed (attempt %d): %s", alert.uid, self.shown, attempt, problem
            )
            if attempt < MAX_ATTEMPTS:
                await asyncio.sleep(delay)
                delay = min(delay * 2, _MAX_DELAY)
        logger.error(
            "webhook: %s not delivered to %s; given up until a restart", alert.uid, self.shown
        )

    async def _mark(self, uid: str) -> None:
        try:
            await self._redis.sadd(self._key, uid)
        except RedisError as error:
            logger.warning("webhook: %s delivered, but not recorded: %r", uid, error)
