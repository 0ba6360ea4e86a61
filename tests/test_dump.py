"""Tests for `soiree dump` and its JSON Lines: hostile text never reaches the terminal raw."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

from ingest.commands.dump import EXIT_GAP, dump
from ingest.model.json_lines import json_line
from ingest.model.update import Update
from ingest.store.stream_store import StreamStore

HOSTILE = (
    "[bold red]x[/] [link=http://evil]y[/link] \x1b[31mred\x1b[0m "
    "\x1b]52;c;SGVsbG8=\x07 bell\x07 cr\r \x9b2J c1 \u202e rtl"
)


def entry_data(text: str) -> str:
    """The `data` field of a stream entry someone wrote by hand, bypassing soiree's cleaning."""
    return json.dumps(
        {
            "seen": datetime.now(UTC).isoformat(),
            "at": "2017-01-29T20:41:00+01:00",
            "source": "liveblog",
            "kind": "news",
            "text": text,
        }
    )


def test_json_line_escapes_c1_and_bidi_but_keeps_french() -> None:
    """C1 controls, DEL and bidi overrides are escaped; accents stay readable."""
    line = json_line({"text": "Benoît \x9b\x7f\u202e\u2028"})
    assert line == '{"text":"Benoît \\u009b\\u007f\\u202e\\u2028"}'
    assert json.loads(line) == {"text": "Benoît \x9b\x7f\u202e\u2028"}


async def test_dump_shows_markup_literally_and_no_escape_sequence(store: StreamStore) -> None:
    """An entry full of markup and terminal escapes is printed as plain, inert JSON text."""
    await store.redis.xadd(
        store.stream, {"uid": "liveblog:x", "op": "add", "data": entry_data(HOSTILE)}
    )
    out = io.StringIO()
    assert await dump(store, since="0", follow=False, out=out) == 0
    printed = out.getvalue()
    assert "[bold red]x[/]" in printed
    assert "[link=http://evil]y[/link]" in printed
    for raw in ("\x1b", "\x07", "\r", "\x9b", "\u202e"):
        assert raw not in printed, repr(raw)
    (line,) = printed.splitlines()
    assert "red" in json.loads(line)["text"]


async def test_dump_reports_a_retention_gap(store: StreamStore) -> None:
    """Asking for ids older than what is retained prints what is there and exits 3."""
    small = StreamStore(store.redis, store.stream, maxlen=2)
    ids = [
        await store.redis.xadd(
            small.stream, {"uid": f"liveblog:{n}", "op": "add", "data": entry_data(f"n{n}")}
        )
        for n in range(2)
    ]
    base = Update.from_json({**json.loads(entry_data("late")), "uid": "liveblog:late", "op": "add"})
    for n in range(3):
        await small.append(Update.from_json({**base.to_json(), "uid": f"liveblog:late{n}"}))
    out = io.StringIO()
    assert await dump(small, since=str(ids[0]), follow=False, out=out) == EXIT_GAP
    assert len(out.getvalue().splitlines()) == 2
