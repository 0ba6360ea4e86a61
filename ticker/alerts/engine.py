"""The alerting engine: the rules of ``alerts.toml`` over the stream, the board and source health.

Pure and deterministic: :meth:`AlertEngine.observe` takes the stream's updates in order (and
keeps the night's board with the board's own rule, :class:`ticker.board.night_board.NightBoard`),
:meth:`AlertEngine.check_health` takes the sources' health records at an instant; each returns
the alerts that fire. A rule fires once per condition: it fires when its condition becomes true,
and is armed again only once the condition is clearly false (``hysteresis`` points below a share,
above a margin; a source polling again, a good poll, a document read). ``first_estimate``,
``first_count`` and ``speech`` fire once a night.

An alert is an update of kind ``alert`` (:meth:`Fired.to_update`) whose uid names the rule, the
occurrence and, for a source's rule, the source: ``alert:<rule>:<n>`` or
``alert:<rule>:<n>:<source>``. Replayed on the same updates the engine fires the same alerts
with the same uids, so a restarted process knows which are already in the stream; the state of
the operational rules, which depends on the wall clock, is taken back from the alerts already in
the stream (:meth:`AlertEngine.observe` reads them): a source's rule whose last alert is there
counts as firing until its condition is seen false.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final

from ingest.model.night import fold
from ingest.model.source_staleness import parse_instant, parse_number
from ingest.model.text_cleaning import clean_text
from ingest.model.update import Kind, Update
from ticker.alerts.rules import Rule
from ticker.board.night_board import NightBoard

__all__ = ["ALERT_SOURCE", "AlertEngine", "Fired", "alert_uid", "parse_alert_uid"]

#: The ``source`` of every alert update.
ALERT_SOURCE: Final = "alerts"
_GOOD_OUTCOMES: Final = frozenset({"ok", "not_modified"})


def alert_uid(rule_id: str, occurrence: int, key: str = "") -> str:
    """The uid of a rule's ``occurrence``-th alert (for ``key``, a source, when it has one)."""
    base = f"alert:{rule_id}:{occurrence}"
    return f"{base}:{key}" if key else base


def parse_alert_uid(uid: str) -> tuple[str, int, str] | None:
    """(rule id, occurrence, key) of an alert's uid, or None if it is not one."""
    parts = uid.split(":", 3)
    if len(parts) < 3 or parts[0] != "alert" or not parts[2].isdigit():
        return None
    return parts[1], int(parts[2]), parts[3] if len(parts) == 4 else ""


def _pct(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",") + " %"


def _voters(value: float) -> str:
    return f"{int(value):,}".replace(",", "\u202f")


def _shares(update: Update) -> str:
    """`` : Benoît Hamon 58,65 %, Manuel Valls 41,35 % (liveblog)``, or `` (liveblog)``."""
    figures = update.figures
    shares = sorted(figures.shares.items(), key=lambda item: -item[1]) if figures else []
    stated = ", ".join(f"{name} {_pct(pct)}" for name, pct in shares)
    return f" : {stated} ({update.source})" if stated else f" ({update.source})"


@dataclass(frozen=True, slots=True)
class Fired:
    """One alert that fired: which rule, for which key (a source, or ""), when, and why."""

    rule: Rule
    occurrence: int
    at: datetime
    detail: str
    key: str = ""
    #: The uid of the update that made it fire (editorial rules).
    cause: str | None = None

    @property
    def uid(self) -> str:
        """The alert's uid in the stream."""
        return alert_uid(self.rule.id, self.occurrence, self.key)

    @property
    def text(self) -> str:
        """What the alert says: its rule's title, if any, then the detail."""
        return f"{self.rule.title} : {self.detail}" if self.rule.title else self.detail

    def to_update(self, *, seen: datetime) -> Update:
        """The alert as an update of kind ``alert``, to append to the stream."""
        return Update(
            uid=self.uid,
            at=self.at,
            source=ALERT_SOURCE,
            kind=Kind.ALERT,
            text=clean_text(self.text),
            seen=seen,
        )


def _polled_since(rule: Rule, record: Mapping[str, object], fired_at: float | None) -> bool:
    """Whether a silent source's rule saw it poll after it fired."""
    if rule.type != "source_silent" or fired_at is None:
        return False
    last = parse_instant(record.get("last_poll"))
    return last is not None and last > fired_at


@dataclass
class _State:
    occurrences: int = 0
    firing: bool = False
    #: When it last fired (a source that polled after it is silent no more).
    fired_at: float | None = None


@dataclass
class AlertEngine:
    """The rules, evaluated over updates in stream order and over health records."""

    rules: tuple[Rule, ...]
    round: int | None = None
    early_hour: int = 5
    _board: NightBoard = field(init=False)
    _states: dict[tuple[str, str], _State] = field(default_factory=dict, init=False)
    #: The uids of the alerts already in the stream.
    recorded: set[str] = field(default_factory=set, init=False)

    def __post_init__(self) -> None:
        self._board = NightBoard(round=self.round, early_hour=self.early_hour)

    def _state(self, rule: Rule, key: str = "") -> _State:
        return self._states.setdefault((rule.id, key), _State())

    def _fire(
        self, rule: Rule, at: datetime, detail: str, *, key: str = "", cause: str | None = None
    ) -> Fired:
        state = self._state(rule, key)
        state.occurrences += 1
        state.firing = True
        state.fired_at = at.timestamp()
        return Fired(rule, state.occurrences, at, detail, key=key, cause=cause)

    # -- editorial ----------------------------------------------------------------------------

    def observe(self, update: Update) -> list[Fired]:
        """Take the stream's next update; the alerts it makes fire."""
        if update.kind is Kind.ALERT:
            self._record(update.uid, update.at)
            return []
        self._board.apply(update)
        fired: list[Fired] = []
        for rule in self.rules:
            if rule.operational:
                continue
            alert = self._editorial(rule, update)
            if alert is not None:
                fired.append(alert)
        return fired

    def _record(self, uid: str, update_at: datetime) -> None:
        self.recorded.add(uid)
        parsed = parse_alert_uid(uid)
        rule = next((r for r in self.rules if parsed and r.id == parsed[0]), None)
        if parsed is None or rule is None or not rule.operational:
            return  # an editorial rule's state comes from the updates themselves
        state = self._state(rule, parsed[2])
        if parsed[1] >= state.occurrences:
            state.occurrences = parsed[1]
            state.firing = True
            state.fired_at = update_at.timestamp()

    def _in_round(self, update: Update) -> bool:
        night_round = self._board.night_round
        return update.round is None or night_round is None or update.round == night_round

    def _editorial(self, rule: Rule, update: Update) -> Fired | None:
        state = self._state(rule)
        if rule.type == "first_estimate":
            if state.occurrences or update.kind is not Kind.ESTIMATE or not self._in_round(update):
                return None
            return self._fire(
                rule, update.at, f"première estimation{_shares(update)}", cause=update.uid
            )
        if rule.type == "first_count":
            figures = update.figures
            national = figures is not None and figures.scope == "national" and figures.shares
            if state.occurrences or update.kind is not Kind.COUNT or not national:
                return None
            if not self._in_round(update):
                return None
            return self._fire(
                rule, update.at, f"premiers résultats{_shares(update)}", cause=update.uid
            )
        if rule.type == "speech":
            speaker = update.speaker
            if state.occurrences or update.kind is not Kind.SPEECH or speaker is None:
                return None
            if fold(speaker).casefold() != fold(rule.candidate or "").casefold():
                return None
            return self._fire(rule, update.at, f"discours de {speaker}", cause=update.uid)
        condition = self._condition(rule)
        if condition is None:
            return None
        holds, clear, detail = condition
        if state.firing:
            if clear:
                state.firing = False
            return None
        if holds:
            return self._fire(rule, update.at, detail, cause=update.uid)
        return None

    def _condition(self, rule: Rule) -> tuple[bool, bool, str] | None:
        """(the condition holds, it is clearly false, what to say), or None: nothing to judge."""
        board = self._board.board()
        if rule.type == "turnout_above_previous":
            if not board.turnout:
                return None
            figures = board.turnout[-1].figures
            previous = figures.previous
            if previous is None:
                return None
            if figures.voters is not None and previous.voters is not None:
                above = figures.voters > previous.voters
                detail = (
                    f"participation au-dessus de la précédente à la même heure :"
                    f" {_voters(figures.voters)} votants contre {_voters(previous.voters)}"
                )
                return above, not above, detail
            if figures.rate_pct is not None and previous.rate_pct is not None:
                above = figures.rate_pct > previous.rate_pct
                detail = (
                    f"participation au-dessus de la précédente à la même heure :"
                    f" {_pct(figures.rate_pct)} contre {_pct(previous.rate_pct)}"
                )
                return above, not above, detail
            return None
        current = board.current
        if current is None or (rule.of == "count" and current.is_estimate):
            return None
        rows = current.rows
        if rule.type == "share_above":
            wanted = fold(rule.candidate or "").casefold()
            row = next((r for r in rows if fold(r.name).casefold() == wanted), None)
            if row is None or rule.pct is None:
                return None
            detail = f"{row.name} passe {_pct(rule.pct)} : {_pct(row.pct)}"
            return row.pct >= rule.pct, row.pct < rule.pct - rule.hysteresis, detail
        if rule.type == "margin_below" and len(rows) >= 2 and rule.points is not None:
            margin = round(rows[0].pct - rows[1].pct, 2)
            detail = (
                f"l'écart se resserre : {_pct(margin)[:-2]} points entre {rows[0].name}"
                f" et {rows[1].name}"
            )
            return margin < rule.points, margin >= rule.points + rule.hysteresis, detail
        return None

    # -- operational --------------------------------------------------------------------------

    def check_health(
        self, health: Mapping[str, Mapping[str, object]], now: datetime
    ) -> list[Fired]:
        """The sources' health records at ``now``; the alerts they make fire."""
        fired: list[Fired] = []
        at = now.astimezone(UTC)
        for rule in self.rules:
            if not rule.operational:
                continue
            for source in sorted(health):
                if rule.sources and source not in rule.sources:
                    continue
                judged = self._operational(rule, source, health[source], now.timestamp())
                if judged is None:
                    continue
                holds, detail = judged
                state = self._state(rule, source)
                if state.firing and _polled_since(rule, health[source], state.fired_at):
                    state.firing = False  # silent since an earlier time: a new silence
                if state.firing:
                    state.firing = holds
                elif holds:
                    fired.append(self._fire(rule, at, detail, key=source))
        return fired

    @staticmethod
    def _operational(
        rule: Rule, source: str, record: Mapping[str, object], now: float
    ) -> tuple[bool, str] | None:
        if rule.type == "source_silent":
            last = parse_instant(record.get("last_poll"))
            if last is None or rule.minutes is None:
                return None
            minutes = (now - last) / 60
            shown = f"{minutes:.0f}" if minutes >= 1 else "moins de 1"
            return minutes >= rule.minutes, f"source {source} silencieuse depuis {shown} min"
        if rule.type == "source_failing":
            errors = parse_number(record.get("consecutive_errors")) or 0.0
            last_error = record.get("last_error")
            detail = f"source {source} : {int(errors)} échecs de suite"
            if isinstance(last_error, str) and last_error:
                detail += f" ({last_error[:120]})"
            return errors >= (rule.times or 1), detail
        outcome = record.get("last_outcome")
        if not isinstance(outcome, str):
            return None
        if outcome == "parse_error":
            error = record.get("last_error")
            why = f" ({error[:120]})" if isinstance(error, str) and error else ""
            return True, f"source {source} illisible{why}"
        return (False, "") if outcome in _GOOD_OUTCOMES else None
