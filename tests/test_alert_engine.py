"""The alerting engine (pure): each rule fires once per condition, with hysteresis, the same
alerts with the same uids on the same updates, and its state taken back from the stream."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ingest.model.update import Figures, Kind, Update
from ticker.alerts.engine import AlertEngine, parse_alert_uid
from ticker.alerts.rules import Rule
from ticker.board.night_board import NightBoard

T0 = datetime(2017, 1, 29, 20, 0, tzinfo=UTC)
HAMON = "Benoît Hamon"
VALLS = "Manuel Valls"


def count(minute: int, hamon: float, *, kind: Kind = Kind.COUNT) -> Update:
    return Update(
        uid=f"results:{kind.value}-{minute}",
        at=T0 + timedelta(minutes=minute),
        source="results",
        kind=kind,
        text=f"Hamon {hamon} %",
        seen=T0,
        round=2,
        figures=Figures(shares={HAMON: hamon, VALLS: round(100 - hamon, 2)}, counted_pct=50),
    )


def uids(engine: AlertEngine, updates: list[Update]) -> list[str]:
    return [alert.uid for update in updates for alert in engine.observe(update)]


def test_share_above_fires_once_then_again_only_after_falling_below_the_hysteresis() -> None:
    rule = Rule(id="hamon-55", type="share_above", candidate=HAMON, pct=55, hysteresis=1)
    engine = AlertEngine((rule,), round=2)
    fired = uids(engine, [count(1, 54.9), count(2, 55.0), count(3, 56), count(4, 54.5)])
    assert fired == ["alert:hamon-55:1"]  # 54.5 is within the hysteresis: not re-armed
    assert uids(engine, [count(5, 55.5)]) == []
    assert uids(engine, [count(6, 53.9), count(7, 55.2)]) == ["alert:hamon-55:2"]


def test_share_above_ignores_estimates_unless_asked() -> None:
    estimate = count(1, 60, kind=Kind.ESTIMATE)
    on_counts = Rule(id="c", type="share_above", candidate=HAMON, pct=55)
    on_any = Rule(id="a", type="share_above", candidate="benoit hamon", pct=55, of="any")
    engine = AlertEngine((on_counts, on_any), round=2)
    assert uids(engine, [estimate]) == ["alert:a:1"]  # the name is matched folded
    assert uids(engine, [count(2, 58)]) == ["alert:c:1"]


def test_margin_below_with_hysteresis() -> None:
    rule = Rule(id="tight", type="margin_below", points=5, hysteresis=1)
    engine = AlertEngine((rule,), round=2)
    # margins: 10, 4, 5.6 (not re-armed: below 6), 7 (re-armed), 3
    fired = uids(
        engine, [count(1, 55), count(2, 52), count(3, 52.8), count(4, 53.5), count(5, 51.5)]
    )
    assert fired == ["alert:tight:1", "alert:tight:2"]


def test_first_count_and_first_estimate_fire_once_a_night() -> None:
    rules = (Rule(id="e", type="first_estimate"), Rule(id="c", type="first_count"))
    engine = AlertEngine(rules, round=2)
    updates = [count(1, 60, kind=Kind.ESTIMATE), count(2, 61, kind=Kind.ESTIMATE), count(3, 58)]
    alerts = [alert for update in updates for alert in engine.observe(update)]
    assert [(a.uid, a.cause) for a in alerts] == [
        ("alert:e:1", "results:estimate-1"),
        ("alert:c:1", "results:count-3"),
    ]
    assert "Benoît Hamon 58 %" in alerts[1].text
    assert uids(engine, [count(4, 57)]) == []


def test_a_count_of_another_round_is_not_the_first_count() -> None:
    engine = AlertEngine((Rule(id="c", type="first_count"),), round=2)
    first_round = Update(
        uid="x",
        at=T0,
        source="feed",
        kind=Kind.COUNT,
        text="t",
        seen=T0,
        round=1,
        figures=Figures(shares={HAMON: 36.03}),
    )
    assert uids(engine, [first_round]) == []
    assert uids(engine, [count(1, 58)]) == ["alert:c:1"]


def test_speech_by_a_candidate() -> None:
    engine = AlertEngine((Rule(id="s", type="speech", candidate=HAMON),), round=2)
    valls = Update(uid="v", at=T0, source="l", kind=Kind.SPEECH, text="t", seen=T0, speaker=VALLS)
    hamon = Update(uid="h", at=T0, source="l", kind=Kind.SPEECH, text="t", seen=T0, speaker=HAMON)
    assert uids(engine, [valls, hamon, hamon]) == ["alert:s:1"]


def test_the_same_updates_fire_the_same_alerts() -> None:
    rules = (Rule(id="m", type="margin_below", points=5), Rule(id="c", type="first_count"))
    updates = [count(1, 55), count(2, 52), count(3, 60), count(4, 51)]
    assert uids(AlertEngine(rules), updates) == uids(AlertEngine(rules), updates)


def health(last_poll: datetime, **more: object) -> dict[str, object]:
    return {"last_poll": last_poll.isoformat(), "consecutive_errors": 0, **more}


def test_source_silent_fires_once_and_rearms_when_the_source_polls_again() -> None:
    rule = Rule(id="silent", type="source_silent", minutes=5)
    engine = AlertEngine((rule,))
    polled = T0
    assert engine.check_health({"liveblog": health(polled)}, T0 + timedelta(minutes=4)) == []
    fired = engine.check_health({"liveblog": health(polled)}, T0 + timedelta(minutes=5))
    assert [a.uid for a in fired] == ["alert:silent:1:liveblog"]
    assert "silencieuse depuis 5 min" in fired[0].text
    assert engine.check_health({"liveblog": health(polled)}, T0 + timedelta(minutes=30)) == []
    later = T0 + timedelta(minutes=31)
    assert engine.check_health({"liveblog": health(later)}, later) == []  # re-armed
    again = engine.check_health({"liveblog": health(later)}, later + timedelta(minutes=6))
    assert [a.uid for a in again] == ["alert:silent:2:liveblog"]


def test_source_failing_and_not_parsing_and_the_sources_filter() -> None:
    failing = Rule(id="failing", type="source_failing", times=3, sources=("feed",))
    parsing = Rule(id="parsing", type="source_not_parsing")
    engine = AlertEngine((failing, parsing))
    records = {
        "feed": health(T0, consecutive_errors=3, last_error="timeout"),
        "liveblog": health(T0, consecutive_errors=5, last_outcome="parse_error"),
    }
    fired = {a.uid: a.text for a in engine.check_health(records, T0)}
    assert set(fired) == {"alert:failing:1:feed", "alert:parsing:1:liveblog"}
    assert "3 échecs de suite (timeout)" in fired["alert:failing:1:feed"]
    assert engine.check_health(records, T0) == []
    healed = {"feed": health(T0), "liveblog": health(T0, last_outcome="ok")}
    assert engine.check_health(healed, T0) == []
    assert len(engine.check_health(records, T0)) == 2


def test_an_operational_alert_in_the_stream_is_not_fired_again_by_a_restarted_engine() -> None:
    rule = Rule(id="silent", type="source_silent", minutes=5)
    before = AlertEngine((rule,))
    late = T0 + timedelta(minutes=10)
    (alert,) = before.check_health({"liveblog": health(T0)}, late)
    restarted = AlertEngine((rule,))
    assert restarted.observe(alert.to_update(seen=late)) == []
    assert restarted.recorded == {"alert:silent:1:liveblog"}
    assert restarted.check_health({"liveblog": health(T0)}, late) == []
    polled = late + timedelta(minutes=1)
    restarted.check_health({"liveblog": health(polled)}, polled)
    again = restarted.check_health({"liveblog": health(polled)}, polled + timedelta(minutes=5))
    assert [a.uid for a in again] == ["alert:silent:2:liveblog"]


def test_alert_uids() -> None:
    assert parse_alert_uid("alert:silent:12:my:source") == ("silent", 12, "my:source")
    assert parse_alert_uid("alert:first-count:1") == ("first-count", 1, "")
    assert parse_alert_uid("liveblog:2041") is None
    assert parse_alert_uid("alert:x:y") is None


def test_an_alert_never_changes_the_board() -> None:
    board = NightBoard(round=2)
    board.apply(count(1, 58))
    before = board.board()
    wall_clock = Update(
        uid="alert:silent:1:liveblog",
        at=datetime(2026, 12, 2, tzinfo=UTC),
        source="alerts",
        kind=Kind.ALERT,
        text="source liveblog silencieuse",
        seen=T0,
    )
    assert board.apply(wall_clock) is False
    assert board.board() == before
