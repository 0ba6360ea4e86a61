"""``soiree alerts``' command line: ``test`` (a rules file on a night's replay) and ``run``.

Imports nothing heavier than the standard library; the work is in :mod:`replay.commands.alerts`.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from ingest.commands.command import (
    Command,
    NightOptions,
    RedisOptions,
    add_night_options,
    add_redis_options,
)

__all__ = ["COMMAND", "AlertsOptions"]


@dataclass(frozen=True)
class AlertsOptions:
    """What ``soiree alerts`` was asked for."""

    action: str
    night: NightOptions
    rules: Path | None = None
    redis: RedisOptions | None = None
    webhooks: tuple[str, ...] = ()
    webhook_secret_file: Path | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> AlertsOptions:
        """The options of a parsed command line."""
        rules = args.rules
        return cls(
            action=args.action,
            night=NightOptions.from_args(args),
            rules=Path(rules) if rules else None,
            redis=RedisOptions.from_args(args) if args.action == "run" else None,
            webhooks=tuple(getattr(args, "webhook", None) or ()),
            webhook_secret_file=Path(args.webhook_secret_file)
            if getattr(args, "webhook_secret_file", None)
            else None,
        )


_RULES_HELP = (
    "the rules file (docs/alerts.md; default: the night's alerts.toml, beside its night.toml)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``soiree alerts``' subcommands and their options."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    test = actions.add_parser(
        "test",
        help="print when each rule would have fired on the night's replay",
        description="Run the rules on every update of the night's replay fixtures, in order,"
        " and print when each rule fires (like `promtool test rules`); then the rules that"
        " never fired. Exit 1 if the rules file has problems (all printed, one a line).",
    )
    test.add_argument("rules", metavar="RULES", nargs="?", help=_RULES_HELP)
    add_night_options(test)
    run = actions.add_parser(
        "run",
        help="evaluate the rules live; append each alert to the stream, POST it to webhooks",
        description="Follow the night's stream and the sources' health; append each alert that"
        " fires to the stream (kind alert) and POST it, signed, to every --webhook. A restarted"
        " process fires and sends nothing twice.",
    )
    run.add_argument("--rules", metavar="RULES", help=_RULES_HELP)
    run.add_argument(
        "--webhook",
        action="append",
        metavar="URL",
        help="an http(s) URL to POST each alert to; repeatable",
    )
    run.add_argument(
        "--webhook-secret-file",
        metavar="FILE",
        help="the file holding the webhooks' HMAC secret (needed with --webhook)",
    )
    add_night_options(run)
    add_redis_options(run)


COMMAND = Command(
    name="alerts",
    help="alert rules: test them on a night's replay, run them live",
    description="Alerts (docs/alerts.md): `soiree alerts test [RULES]` prints when each rule"
    " fires on the night's replay; `soiree alerts run` evaluates them on the live stream.",
    add_arguments=add_arguments,
    options=AlertsOptions.from_args,
    run="replay.commands.alerts:run",
    order=75,
)
