"""``soiree alerts``: a rules file tested on a night's replay, or run on the live stream.

``test`` feeds the alerting engine (:mod:`ticker.alerts.engine`) every update of the night's
replay fixtures in order, as a replay into an empty stream would, and prints one line per alert
(the night's time, the rule, what it says, the update that made it fire), then the rules that
never fired and the operational ones, which a replay cannot judge (they watch live pollers).
``run`` is :func:`ticker.alerts.live.run_alerts` on the night's stream until SIGINT / SIGTERM.
"""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from redis.exceptions import RedisError

from ingest.commands.stream_options import open_store, redis_url_of
from ingest.model.errors import CommandError
from ingest.model.night import Night, NightError
from ingest.model.night_file import load_night
from ingest.model.nights import find_night_file
from ingest.model.update import Update
from ingest.runtime.aio import run_command, run_until_signalled
from ingest.runtime.backoff import Backoff, backoff_delay
from ingest.store.redis_errors import describe_refusal
from ingest.store.stream_store import StreamStore
from replay.commands.alerts_cli import AlertsOptions
from replay.fixtures import find_night
from replay.timeline import night_updates
from ticker.alerts.engine import AlertEngine, Fired
from ticker.alerts.live import run_alerts
from ticker.alerts.rules import Rule, RulesFileError, load_rules
from ticker.alerts.webhook import WebhookSender

__all__ = ["RULES_FILE", "print_test", "run", "test_rules"]

#: The rules file a night keeps beside its ``night.toml``.
RULES_FILE = "alerts.toml"
#: Waits after Redis failed: 0.5 s, then doubling, at most 30 s.
_REDIS_BACKOFF = Backoff(interval=0.25, max_backoff=30.0)


def run(options: AlertsOptions) -> int:
    """Run ``soiree alerts``; return the exit status."""
    if options.action == "test":
        return _test(options)
    return _run(options)


def _rules(path: Path | None, night_file: Path) -> tuple[Rule, ...]:
    chosen = path or night_file.parent / RULES_FILE
    if path is None and not chosen.is_file():
        raise CommandError(f"{night_file}: no {RULES_FILE} beside it: give a rules file")
    try:
        return load_rules(chosen)
    except RulesFileError as error:
        for problem in error.problems[1:]:
            print(problem, file=sys.stderr)
        raise CommandError(error.problems[0]) from None


def test_rules(
    rules: tuple[Rule, ...], night_name: str | None, fixtures: Path | None
) -> tuple[Night, list[Fired]]:
    """Every alert ``rules`` fire on the night's replay, in order."""
    fixture = find_night(night_name, fixtures_dir=fixtures)
    night = fixture.night
    engine = AlertEngine(rules, round=night.round, early_hour=night.early_hour)
    fired: list[Fired] = []
    for update in night_updates(fixture, seen=datetime.now(UTC)):
        fired.extend(engine.observe(update))
    return night, fired


def print_test(night: Night, rules: tuple[Rule, ...], fired: list[Fired], out: TextIO) -> None:
    """The report of ``soiree alerts test``."""
    width = max(len(rule.id) for rule in rules)
    out.write(f"{night.slug}: {len(fired)} alert{'s' if len(fired) != 1 else ''}\n")
    for alert in fired:
        at = alert.at.astimezone(night.timezone)
        out.write(f"{at:%Y-%m-%d %H:%M}  {alert.rule.id:<{width}}  {alert.text}  [{alert.cause}]\n")
    done = {alert.rule.id for alert in fired}
    for rule in rules:
        if rule.operational:
            out.write(
                f"{'-':<16}  {rule.id:<{width}}  not judged on a replay ({rule.type}:"
                " live sources only)\n"
            )
        elif rule.id not in done:
            out.write(f"{'-':<16}  {rule.id:<{width}}  never fired\n")


def _test(options: AlertsOptions) -> int:
    night_file = find_night_file(options.night.night, nights_dir=options.night.fixtures)
    rules = _rules(options.rules, night_file)
    night, fired = test_rules(rules, options.night.night, options.night.fixtures)
    print_test(night, rules, fired, sys.stdout)
    return 0


def _run(options: AlertsOptions) -> int:
    assert options.redis is not None
    try:
        night_file = find_night_file(options.night.night, nights_dir=options.night.fixtures)
        night = load_night(night_file)
    except NightError as error:
        raise CommandError(str(error)) from None
    rules = _rules(options.rules, night_file)
    secret = _secret(options)
    stream = options.redis.stream or night.stream
    url = redis_url_of(options.redis, command="alerts")
    return run_command(
        _follow(
            url, stream=stream, night=night, rules=rules, webhooks=options.webhooks, secret=secret
        )
    )


def _secret(options: AlertsOptions) -> bytes:
    if not options.webhooks:
        return b""
    for webhook in options.webhooks:
        if not webhook.startswith(("http://", "https://")):
            raise CommandError(f"--webhook {webhook!r}: expected an http:// or https:// URL")
    if options.webhook_secret_file is None:
        raise CommandError("--webhook needs --webhook-secret-file (the HMAC secret)")
    try:
        secret = options.webhook_secret_file.read_bytes().strip()
    except OSError as error:
        raise CommandError(f"--webhook-secret-file: cannot read it: {error}") from None
    if not secret:
        raise CommandError(f"--webhook-secret-file {options.webhook_secret_file}: empty")
    return secret


async def _follow(
    url: str,
    *,
    stream: str,
    night: Night,
    rules: tuple[Rule, ...],
    webhooks: tuple[str, ...],
    secret: bytes,
) -> int:
    client, store = await open_store(url, stream)
    try:
        print(
            f"soiree alerts: {len(rules)} rules on {store.stream}"
            f"{f', {len(webhooks)} webhooks' if webhooks else ''}",
            file=sys.stderr,
            flush=True,
        )
        await run_until_signalled(_evaluate(store, night, rules, webhooks, secret))
        return 0
    finally:
        await client.aclose()


def _said(alert: Update) -> None:
    print(f"soiree alerts: fired {alert.uid}: {alert.text}", file=sys.stderr, flush=True)


async def _evaluate(
    store: StreamStore,
    night: Night,
    rules: tuple[Rule, ...],
    webhooks: tuple[str, ...],
    secret: bytes,
) -> None:
    """:func:`run_alerts` until cancelled; if Redis fails, again from the start (a restart:
    nothing fires or is sent twice), after a backoff."""
    failures = 0
    while True:
        engine = AlertEngine(rules, round=night.round, early_hour=night.early_hour)
        senders = [WebhookSender(store.redis, store.stream, hook, secret) for hook in webhooks]
        started = time.monotonic()
        try:
            await run_alerts(store, engine, webhooks=senders, on_alert=_said)
        except (RedisError, OSError) as error:
            # A run that went well for a minute starts the backoff again.
            failures = 1 if time.monotonic() - started > 60 else failures + 1
            delay = backoff_delay(failures, _REDIS_BACKOFF)
            # Say why when Redis refuses writes (out of memory, disk full): that lasts.
            why = describe_refusal(error) or type(error).__name__
            print(
                f"soiree alerts: Redis failed ({why}); again in {delay:.1f} s",
                file=sys.stderr,
                flush=True,
            )
            await asyncio.sleep(delay)
