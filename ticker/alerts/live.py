"""The alerting process's loop: the engine over a live stream, alerts appended, webhooks fed.

:func:`run_alerts` reads the whole retained stream first: the night's updates rebuild the
engine's state (and fire again the alerts they fired before, with the same uids), the alerts
already in the stream say which of those are done, so a restarted process appends and sends
nothing twice. Then it follows the stream (a blocking read of at most ``tick`` seconds) and,
after each read, checks the sources' health records at the wall clock. Each new alert is
appended (idempotent, by uid) and queued for every webhook; a webhook never holds the loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from ingest.model.update import Kind, Update
from ingest.runtime.aio import cancel_until_done
from ingest.store.health import read_all_health
from ingest.store.stream_store import StreamStore
from ticker.alerts.engine import AlertEngine, Fired
from ticker.alerts.webhook import WebhookSender

__all__ = ["run_alerts"]

logger = logging.getLogger(__name__)


async def run_alerts(
    store: StreamStore,
    engine: AlertEngine,
    *,
    webhooks: Sequence[WebhookSender] = (),
    tick: float = 1.0,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    on_alert: Callable[[Update], None] | None = None,
) -> None:
    """Evaluate ``engine`` on ``store`` until cancelled."""
    history = await store.history()
    in_stream: dict[str, Update] = {u.uid: u for u in history.updates if u.kind is Kind.ALERT}
    # The history fires again what it fired before (same uids): only the new ones are pending.
    pending = [
        alert
        for update in history.updates
        for alert in engine.observe(update)
        if alert.uid not in in_stream
    ]
    cursor = history.last_id or "0-0"
    tasks = [asyncio.create_task(sender.run()) for sender in webhooks]
    try:
        for sender in webhooks:
            for uid in await sender.undelivered(sorted(in_stream, key=_order(in_stream))):
                sender.send(in_stream[uid])
        await _append(
            store,
            fired=pending,
            in_stream=in_stream,
            webhooks=webhooks,
            seen=now(),
            on_alert=on_alert,
        )
        while True:
            batch = await store.read_after(cursor, block_ms=int(tick * 1000), count=500)
            cursor = batch.last_id
            fired: list[Fired] = []
            for update in batch:
                if update.kind is Kind.ALERT:
                    in_stream[update.uid] = update
                fired.extend(engine.observe(update))
            fired.extend(
                engine.check_health(await read_all_health(store.redis, store.stream), now())
            )
            await _append(
                store,
                fired=fired,
                in_stream=in_stream,
                webhooks=webhooks,
                seen=now(),
                on_alert=on_alert,
            )
    finally:
        for error in await cancel_until_done(tasks):
            logger.warning("a webhook sender ended with an error: %r", error)


def _order(in_stream: dict[str, Update]) -> Callable[[str], tuple[int, int]]:
    def key(uid: str) -> tuple[int, int]:
        entry = in_stream[uid].id or "0-0"
        millis, _, seq = entry.partition("-")
        return int(millis), int(seq or 0)

    return key


async def _append(
    store: StreamStore,
    *,
    fired: Sequence[Fired],
    in_stream: dict[str, Update],
    webhooks: Sequence[WebhookSender],
    seen: datetime,
    on_alert: Callable[[Update], None] | None,
) -> None:
    for alert in fired:
        if alert.uid in in_stream:
            continue
        update = alert.to_update(seen=seen)
        outcome = await store.append(update)
        stored = update.with_stream(id=outcome.id or "0-0", op=outcome.op)
        in_stream[alert.uid] = stored
        if not outcome.appended:
            continue  # another process appended it first: it sends it too
        logger.info("alert %s: %s", alert.uid, alert.text)
        if on_alert is not None:
            on_alert(stored)
        for sender in webhooks:
            sender.send(stored)
