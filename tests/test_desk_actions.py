"""The desk's actions, pure: validation, their entries, and the state they fold into."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from ingest.model.desk_action import DeskAction, Verb, action_fields, action_from_fields
from ingest.model.figures import Figures
from ingest.model.update import Kind, Op
from tests.plugins.broadcaster import make_update
from ticker.terminal.relay_messages import DeskMessage, RelayMessageError, parse_server_message
from ticker.wire.desk import DeskState, previous_value

AT = datetime(2017, 1, 29, 21, 14, tzinfo=UTC)


def _fields(**more: str) -> dict[str, str]:
    return {"at": AT.isoformat(), "who": "Marie", "target": "liveblog:1", **more}


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        (_fields(action="dance"), "action: one of pin, unpin"),
        ({"action": "pin", "at": AT.isoformat(), "target": "x"}, "who: required"),
        (_fields(action="correct", text="x"), "reason: required to correct"),
        (_fields(action="retract"), "reason: required to retract"),
        (_fields(action="correct", reason="r"), "correct: give a new text, new figures"),
        (_fields(action="pin", text="x"), "pin: takes no text or figures"),
        (_fields(action="write"), "write: a text is required"),
        (_fields(action="pin", who="a\x1b[31mb"), "who: printable characters only"),
        (_fields(action="pin", who="x" * 101), "who: at most 100 characters"),
        (_fields(action="pin", extra="1"), "unknown field 'extra'"),
        (_fields(action="correct", reason="r", figures="[1]"), "figures: expected a JSON object"),
        (_fields(action="correct", reason="r", figures="{"), "figures: not JSON"),
        (_fields(action="correct", reason="r", figures='{"shares": 3}'), "figures: "),
        (_fields(action="pin", after="yesterday"), "after: not a stream entry id"),
        ({**_fields(action="pin"), "at": "21:14"}, ""),
    ],
)
def test_what_is_not_an_action_is_refused_in_one_line(fields: dict[str, str], error: str) -> None:
    with pytest.raises(ValueError, match="^" + error.replace("(", r"\(")) as raised:
        action_from_fields(fields)
    assert "\n" not in str(raised.value)


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        DeskAction(Verb.PIN, at=datetime(2017, 1, 29, 21), who="Marie", target="x")  # noqa: DTZ001


def test_an_action_round_trips_through_its_entry() -> None:
    action = DeskAction(
        Verb.CORRECT,
        at=AT,
        who="Marie Dupont",
        target="liveblog:1",
        reason="erreur de saisie",
        text="Hamon 58,88 %",
        figures=Figures(shares={"Benoît Hamon": 58.88}),
        previous={"text": "Hamon 58,65 %", "figures": None},
        after="1485720840000-0",
    )
    assert action_from_fields(action_fields(action)) == action
    assert action.to_json()["previous"] == {"text": "Hamon 58,65 %", "figures": None}


def test_the_state_folds_pins_keys_corrections_and_retractions_in_order() -> None:
    state = DeskState()
    for verb, target in [(Verb.PIN, "a"), (Verb.PIN, "b"), (Verb.UNPIN, "a"), (Verb.KEY, "c")]:
        state.apply(DeskAction(verb, at=AT, who="Paul", target=target))
    state.apply(DeskAction(Verb.RETRACT, at=AT, who="Paul", target="d", reason="doublon"))
    shown = state.to_json()
    assert shown["pinned"] == ["b"]
    assert shown["key"] == ["c"]
    assert shown["retracted"]["d"]["reason"] == "doublon"
    update = make_update(4)
    assert state.board_view(replace(update, uid="d")).op is Op.DELETE
    assert state.board_view(update) == update


def test_a_correction_is_shown_and_a_later_source_edit_only_flags_it() -> None:
    update = replace(
        make_update(2, kind=Kind.COUNT, figures=Figures(shares={"Benoît Hamon": 58.65})),
        id="10-0",
    )
    state = DeskState()
    assert previous_value(Verb.CORRECT, update, state) == {
        "text": update.text,
        "figures": {"scope": "national", "shares": {"Benoît Hamon": 58.65}},
    }
    new = Figures(shares={"Benoît Hamon": 58.88})
    state.apply(
        DeskAction(
            Verb.CORRECT, at=AT, who="Marie", target=update.uid, reason="r", figures=new,
            after="12-0",
        )
    )  # fmt: skip
    assert state.shown(update).figures == new
    assert state.shown(update).text == update.text
    # An edit read before the correction was made is no later edit.
    assert not state.note_source(replace(update, op=Op.EDIT, id="11-0"))
    assert not state.note_source(replace(update, id="13-0"))  # an add is not an edit
    later = replace(update, op=Op.EDIT, id="13-0", text="Hamon 58,70 %")
    assert state.note_source(later)
    assert state.to_json()["flagged"] == {update.uid: "Hamon 58,70 %"}
    assert state.shown(later).figures == new
    state.apply(DeskAction(Verb.RETRACT, at=AT, who="Marie", target=update.uid, reason="faux"))
    assert state.to_json()["flagged"] == {}


def test_the_state_a_broadcaster_sends_is_read_back_by_the_relayed_ticker() -> None:
    state = DeskState()
    state.apply(DeskAction(Verb.PIN, at=AT, who="Paul", target="a"))
    state.apply(DeskAction(Verb.KEY, at=AT, who="Paul", target="b"))
    state.apply(
        DeskAction(
            Verb.CORRECT, at=AT, who="Marie", target="c", reason="r", text="Hamon 58,88 %",
            figures=Figures(shares={"Benoît Hamon": 58.88}),
            previous={"text": "Hamon 58,65 %", "figures": None}, after="1-0",
        )
    )  # fmt: skip
    state.apply(DeskAction(Verb.RETRACT, at=AT, who="Paul", target="d", reason="doublon"))
    state.flagged["c"] = "Hamon 58,70 %"
    message = parse_server_message(json.dumps({"type": "desk", "desk": state.to_json()}))
    assert isinstance(message, DeskMessage)
    assert message.desk.to_json() == state.to_json()


@pytest.mark.parametrize(
    "desk",
    [
        [],
        {"pinned": "a"},
        {"corrected": {"c": {"at": "2017-01-29T21:14:00+00:00", "who": "M"}}},
        {"corrected": {"c": {"at": AT.isoformat(), "who": "M", "reason": "r", "figures": 3}}},
        {"flagged": {"c": 3}},
    ],
)
def test_a_desk_message_that_is_not_one_is_a_relay_error(desk: object) -> None:
    with pytest.raises(RelayMessageError):
        parse_server_message(json.dumps({"type": "desk", "desk": desk}))
