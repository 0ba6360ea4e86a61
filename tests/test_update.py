"""Tests for ingest.model.update: the update model, its JSON form and its validation."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.model.compact_json import compact_json
from ingest.model.text_cleaning import MAX_TEXT_LENGTH, _clean_any_text, clean_text
from ingest.model.update import Figures, Kind, Op, Previous, Update, UpdateError

PARIS_WINTER = timezone(timedelta(hours=1))
AT = datetime(2017, 1, 29, 20, 41, tzinfo=PARIS_WINTER)
SEEN = datetime(2026, 11, 22, 2, 10, tzinfo=UTC)


def count_update(**changes: object) -> Update:
    """The 20h41 count as an update."""
    fields: dict[str, object] = {
        "uid": "liveblog:2041",
        "at": AT,
        "source": "liveblog",
        "kind": Kind.COUNT,
        "text": "Benoît Hamon vainqueur avec 58.65% des voix",
        "seen": SEEN,
        "figures": Figures(shares={"Benoît Hamon": 58.65, "Manuel Valls": 41.35}, counted_pct=60),
        "round": 2,
    }
    fields.update(changes)
    return Update(**fields)  # type: ignore[arg-type]


def test_json_matches_design_example() -> None:
    """The JSON form has the fields and shapes of docs/design.md."""
    data = count_update(id="1700000000000-0").to_json()
    assert data["at"] == "2017-01-29T20:41:00+01:00"
    assert data["op"] == "add"
    assert data["figures"] == {
        "scope": "national",
        "shares": {"Benoît Hamon": 58.65, "Manuel Valls": 41.35},
        "counted_pct": 60,
    }
    assert isinstance(data["figures"]["counted_pct"], int)
    assert data["id"] == "1700000000000-0"
    assert "speaker" not in data


def test_round_trip_is_exact() -> None:
    """from_json(to_json(u)) gives u back, turnout figures with a previous included."""
    update = count_update(
        kind=Kind.TURNOUT,
        figures=Figures(
            voters=1306852,
            stations_pct=75,
            as_of="17:00",
            previous=Previous(voters=1_000_000, stations_pct=70, round=1),
        ),
        op=Op.EDIT,
        id="5-1",
    )
    assert Update.from_json(update.to_json()) == update
    assert Update.from_json_text(update.to_json_text()) == update


def test_digest_ignores_seen_and_op() -> None:
    """Two polls of the same content at different times have the same digest."""
    first = count_update()
    later = count_update(seen=SEEN + timedelta(minutes=5), op=Op.EDIT)
    assert first.content_digest() == later.content_digest()
    assert count_update(text="autre").content_digest() != first.content_digest()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "weather"}, "kind"),
        ({"op": "upsert"}, "op"),
        ({"at": "2017-01-29T20:41:00"}, "offset"),
        ({"at": "yesterday"}, "ISO 8601"),
        ({"figures": {"shares": {"Benoît Hamon": 158.0}}}, "0-100"),
        ({"figures": {"voters": -3}}, "negative"),
        ({"figures": {"as_of": "25h"}}, "as_of"),
        ({"round": 3}, "round"),
        ({"id": "not-an-id"}, "id"),
        ({"surprise": 1}, "unknown"),
        ({"text": 5}, "text"),
    ],
)
def test_invalid_json_is_refused_with_the_field_named(
    change: dict[str, object], message: str
) -> None:
    """Each kind of bad input is refused with a message naming what is wrong."""
    data = count_update().to_json()
    data.update(change)
    with pytest.raises(UpdateError, match=message):
        Update.from_json(data)


def test_missing_field_is_refused() -> None:
    """A required field that is missing is named."""
    data = count_update().to_json()
    del data["source"]
    with pytest.raises(UpdateError, match="source"):
        Update.from_json(data)


def test_not_json_is_refused() -> None:
    """Text that is not JSON gives an UpdateError, not a crash."""
    with pytest.raises(UpdateError, match="JSON"):
        Update.from_json_text(b"\xff{")


def test_clean_text_removes_escapes_and_controls() -> None:
    """Terminal escapes, OSC 52, bells and carriage returns never survive cleaning."""
    hostile = "a\x1b[31mred\x1b[0m \x1b]52;c;SGVsbG8=\x07b\x07 c\rd \x9b2J e\u202eright"
    cleaned = clean_text(hostile)
    assert cleaned == "ared b c\nd  eright".replace("  ", " ")
    assert not any(ord(char) < 32 and char != "\n" for char in cleaned)


def test_clean_text_keeps_paragraphs_and_french() -> None:
    """Paragraph breaks and accented letters are kept; extra blank lines collapse."""
    assert clean_text("  Benoît  Hamon\n\n\n\n« élan »  ") == "Benoît Hamon\n\n« élan »"


def test_clean_text_caps_length() -> None:
    """A huge text is cut, not stored whole."""
    assert len(clean_text("x" * 50_000)) == 20_000


@given(st.text())
def test_clean_text_never_leaves_control_characters(raw: str) -> None:
    """Whatever comes in, no control character but newline and tab comes out."""
    cleaned = clean_text(raw)
    assert all(char in "\n\t" or ord(char) >= 32 for char in cleaned)
    assert "\x1b" not in cleaned
    assert not any(0x7F <= ord(char) <= 0x9F for char in cleaned)


shares = st.dictionaries(
    st.sampled_from(["Benoît Hamon", "Manuel Valls", "Arnaud Montebourg"]),
    st.floats(min_value=0, max_value=100, allow_nan=False),
    max_size=3,
)


@given(
    text=st.text(max_size=300),
    shares=shares,
    voters=st.none() | st.integers(min_value=0, max_value=10**9),
    kind=st.sampled_from(list(Kind)),
)
def test_round_trip_property(
    text: str, shares: dict[str, float], voters: int | None, kind: Kind
) -> None:
    """Any valid update survives JSON text and back unchanged."""
    update = Update(
        uid="x:1",
        at=AT,
        source="liveblog",
        kind=kind,
        text=clean_text(text),
        seen=SEEN,
        figures=Figures(shares=shares, voters=voters),
    )
    back = Update.from_json(json.loads(update.to_json_text()))
    assert back.to_json() == update.to_json()


# -- the encodings behind the append: one build of the content, orjson, fast clean_text -------


def test_digest_is_the_one_streams_already_hold() -> None:
    """The digest of a known update is what earlier versions stored in the dedupe hash."""
    assert count_update().content_digest() == "db76ffbb643452ffc0c961d85ca614d1"


def test_stream_data_is_to_json_without_its_ids() -> None:
    """stream_data() is to_json() less id, uid and op, as the standard library writes it."""
    update = count_update(id="1700000000000-0", op=Op.EDIT, speaker="Manuel Valls")
    data = update.to_json()
    for name in ("id", "uid", "op"):
        del data[name]
    expected = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    assert update.stream_data() == expected
    assert update.to_json_text() == json.dumps(
        update.to_json(), ensure_ascii=False, separators=(",", ":")
    )


def test_encoding_cache_is_not_part_of_the_value() -> None:
    """Equal updates stay equal once one is encoded; a replace() encodes its own content."""
    first, second = count_update(), count_update()
    first.content_digest()
    assert first == second
    assert "_encoded" not in repr(first)
    later = replace(first, seen=SEEN + timedelta(hours=1))
    assert later.content_digest() == first.content_digest()
    assert later.stream_data() != first.stream_data()
    assert replace(first, text="autre").content_digest() != first.content_digest()


numbers = (
    st.floats(allow_nan=False, allow_infinity=False)
    | st.floats(min_value=-1e-3, max_value=1e-3)
    | st.integers(min_value=-(2**70), max_value=2**70)
)


@given(
    values=st.dictionaries(st.text(max_size=8), numbers, max_size=4),
    text=st.text(max_size=50),
    sort_keys=st.booleans(),
)
def test_compact_json_writes_what_json_writes(
    values: dict[str, float], text: str, sort_keys: bool
) -> None:
    """Byte for byte the standard library's text, for any number (tiny floats, huge ints)."""
    data = {"text": text, "figures": {"scope": "national", "shares": values, **values}}
    expected = json.dumps(data, ensure_ascii=False, sort_keys=sort_keys, separators=(",", ":"))
    assert compact_json(data, sort_keys=sort_keys) == expected.encode("utf-8")


@given(
    st.text()
    | st.text(alphabet=" \u00a0\u202f\u2009\u1680\u2028\tabc:%é\n\r\x0b\x0c\x1c\x85\x1b[0m")
)
def test_clean_text_fast_path_agrees_with_the_careful_one(raw: str) -> None:
    """The fast path for printable text gives what the character-by-character path gives."""
    assert clean_text(raw) == _clean_any_text(raw, max_length=MAX_TEXT_LENGTH)
    assert clean_text(raw, max_length=5) == _clean_any_text(raw, max_length=5)


def test_more_figures_and_rates_round_trip() -> None:
    """Schema 2: other scopes, turnout and abstention rates, a comparison by rate and year."""
    vienne = Figures(scope="Vienne", shares={"Benoît Hamon": 35.65}, voters=11234)
    rates = Figures(
        scope="Français de l'étranger",
        rate_pct=69.42,
        abstention_pct=30.58,
        blank_pct=1.5,
        null_pct=0.5,
        as_of="17:00",
        previous=Previous(rate_pct=70.59, year=2012, round=1),
    )
    update = count_update(
        figures=Figures(scope="Deux-Sèvres", shares={"Benoît Hamon": 38.18}),
        more_figures=(vienne, rates),
    )
    data = json.loads(update.to_json_text())
    assert [item["scope"] for item in data["more_figures"]] == ["Vienne", "Français de l'étranger"]
    assert data["more_figures"][1]["previous"] == {"rate_pct": 70.59, "year": 2012, "round": 1}
    back = Update.from_json(data)
    assert back == update
    assert back.all_figures() == (update.figures, vienne, rates)
    # A version 1 update (no more_figures) is unchanged, in JSON and in digest.
    plain = count_update()
    assert "more_figures" not in plain.to_json()
    assert plain.all_figures() == (plain.figures,)


@pytest.mark.parametrize(
    ("more", "message"),
    [
        ([{"scope": "Vienne"}, {"scope": "Vienne"}], "scope 'Vienne' given twice"),
        ([{"scope": "national"}], "scope 'national' given twice"),
        ({"scope": "Vienne"}, "more_figures: expected a list"),
        ([{"scope": "Vienne", "rate_pct": 120}], "rate_pct: a percentage must be within 0-100"),
        ([{"scope": "Vienne", "previous": {"year": 12}}], "previous.year: expected a year"),
        ([{"scope": f"lieu {n}"} for n in range(201)], "more than 200 scopes"),
    ],
)
def test_bad_more_figures_are_refused_with_the_field_named(more: object, message: str) -> None:
    """Duplicate scopes, a rate over 100, a year that is none, too many scopes: one clear error."""
    data = count_update().to_json()
    data["more_figures"] = more
    with pytest.raises(UpdateError, match=message):
        Update.from_json(data)


def test_more_figures_need_main_figures() -> None:
    """Other scopes without a main one is no update."""
    with pytest.raises(UpdateError, match="without figures"):
        count_update(figures=None, more_figures=(Figures(scope="Lot"),))


def test_votes_seats_totals_and_local_scopes_round_trip() -> None:
    """Schema 3: votes and seats per list, the totals stated, a canton with its code."""
    canton = Figures(
        scope="canton de Poitiers-1",
        scope_kind="canton",
        scope_code="8611",
        shares={"Poitiers collectif": 42.83},
        votes={"Poitiers collectif": 12345},
        registered=60312,
        cast=29876,
        blank=412,
        null=233,
    )
    council = Figures(
        scope="Poitiers", scope_kind="commune", seats={"Poitiers collectif": 35}, seats_total=53
    )
    update = count_update(figures=council, more_figures=(canton,))
    data = json.loads(update.to_json_text())
    assert data["figures"]["seats"] == {"Poitiers collectif": 35}
    assert data["more_figures"][0]["votes"] == {"Poitiers collectif": 12345}
    assert data["more_figures"][0]["scope_code"] == "8611"
    assert Update.from_json(data) == update


@pytest.mark.parametrize(
    ("figures", "message"),
    [
        ({"scope": "Poitiers", "votes": {"X": -3}}, "votes.*must not be negative"),
        ({"scope": "Poitiers", "seats": {"X": 2.5}}, "seats.*whole number"),
        ({"scope": "Poitiers", "scope_kind": "village"}, "scope_kind: must be one of"),
        ({"scope": "Poitiers", "scope_code": "<b>"}, "scope_code: expected an official code"),
        ({"scope": "Poitiers", "registered": "many"}, "registered: expected a whole number"),
    ],
)
def test_bad_schema_3_figures_are_refused_with_the_field_named(
    figures: object, message: str
) -> None:
    data = count_update().to_json()
    data["figures"] = figures
    with pytest.raises(UpdateError, match=message):
        Update.from_json(data)
