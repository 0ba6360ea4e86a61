"""``soiree desk pin|unpin|key|unkey|correct|retract|write``: the desk acts on the night's
updates; each act is logged in ``<stream>:desk`` (the audit trail) and the broadcasters apply it."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from ingest.commands.command import (
    Command,
    NightOptions,
    RedisOptions,
    add_night_options,
    add_redis_options,
)

__all__ = ["COMMAND", "DeskOptions"]

VERBS = ("pin", "unpin", "key", "unkey", "correct", "retract", "write")


@dataclass(frozen=True)
class DeskOptions:
    """What ``soiree desk`` was asked for (checked when it runs)."""

    night: NightOptions
    redis: RedisOptions
    action: str
    target: str | None
    who: str
    reason: str = ""
    text: str | None = None
    figures: str | None = None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> DeskOptions:
        """The options of a parsed command line."""
        return cls(
            night=NightOptions.from_args(args),
            redis=RedisOptions.from_args(args),
            action=args.action,
            target=args.target,
            who=args.by,
            reason=args.reason,
            text=args.text,
            figures=args.figures,
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``soiree desk``'s options."""
    add_night_options(parser)
    add_redis_options(parser)
    parser.add_argument("action", choices=VERBS, help="what the desk does")
    parser.add_argument(
        "target",
        nargs="?",
        help="the uid of the update acted on (write: the new update's uid, default desk:<time>)",
    )
    parser.add_argument("--by", required=True, metavar="NAME", help="who acts (logged)")
    parser.add_argument(
        "--reason", default="", metavar="TEXT", help="why (logged; required to correct, retract)"
    )
    parser.add_argument("--text", metavar="TEXT", help="correct, write: the new text")
    parser.add_argument(
        "--figures",
        metavar="JSON",
        help="correct, write: the new figures, as the update's 'figures' object (JSON)",
    )


COMMAND = Command(
    name="desk",
    help="pin, mark key, correct, retract or write an update (logged with who and the previous"
    " value)",
    description="Act on the night's updates as the desk: pin or unpin, mark or unmark as a key"
    " event, correct (new --text and/or --figures, with a --reason), retract (with a --reason),"
    " or write a staff update. The act is appended to <stream>:desk with who, when and the"
    " value it replaces (the audit trail: soiree dump --audit), and the broadcasters serving"
    " the stream apply it (docs/protocol.md, 'The desk'). The time of the act is the replay's"
    " virtual clock when the stream has one, else now.",
    add_arguments=add_arguments,
    options=DeskOptions.from_args,
    run="ticker.commands.desk:run",
    order=76,
)
