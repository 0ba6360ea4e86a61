"""Hostile text through every output: the web page, the terminal ticker, ``soiree dump`` and the
websocket frames.

A source (or anyone who can write to the stream) controls an update's text, its speaker, its
source name, its figures' candidate names and scope, and a source's health error. Whatever they
hold, each output shows it as text:

- the web page (real headless Chromium) puts it in with ``textContent``: ``<img onerror>``,
  ``<script>``, ``javascript:`` links and ``</textarea>`` appear as characters, no element is
  created, nothing runs;
- the terminal ticker and ``soiree ticker --once`` show rich markup literally and let no escape
  sequence, bell or carriage return through (only rich's own colours);
- ``soiree dump`` and the broadcaster's frames are JSON with no raw control character (C0, C1,
  DEL, line separators, bidi overrides), and parse back to exactly the strings stored.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Final

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from websockets.asyncio.client import connect as ws_connect

from ingest.model.update import Figures, Kind, Update
from ingest.sources.source_health import SourceHealth
from ingest.store import keys
from ingest.store.health import read_all_health, record_poll
from ingest.store.stream_store import StreamStore
from replay.fixtures import find_night
from tests.conftest import TIMEOUT_FACTOR
from tests.plugins.broadcaster import BroadcasterStarter
from tests.plugins.browser import run_js, wait_js
from tests.plugins.ingest import soiree_command
from ticker.commands.serve import night_info
from ticker.terminal.render_frame import TickerFrame

if TYPE_CHECKING:  # imported by pytest_plugins at run time, so that pytest rewrites its asserts
    from tests.plugins.ticker import TickerKit

_PARIS: Final = timezone(timedelta(hours=1))
_SEEN: Final = datetime(2017, 1, 29, 20, 0, tzinfo=UTC)

# -- payloads -------------------------------------------------------------------------------------

#: HTML that would create an element or run script if it were ever parsed as HTML.
HTML_PAYLOADS: Final = {
    "title": "<img src=x onerror=window.__pwned='title'>Soirée",
    "text": "</textarea><script>window.__pwned='text'</script><img src=x onerror=alert(1)>",
    "speaker": '<b onmouseover="window.__pwned=1">Manuel</b> Valls',
    "source": "<svg onload=window.__pwned='source'>",
    "first": "<img src=x onerror=window.__pwned='first'>Hamon",
    "second": "<a href=\"javascript:window.__pwned='second'\">Valls</a>",
    "scope": "<iframe src=\"javascript:window.__pwned='scope'\"></iframe>Loire",
    "turnout_scope": "<style>body{display:none}</style>Aveyron",
    "link": "javascript:window.__pwned='link' <a href=javascript:alert(1)>clic</a>",
    "health_source": "<object data=x>flux</object>",
    "health_error": "HTTP 500 <form action=javascript:alert(1)><input autofocus onfocus=alert(1)>",
}
#: Elements none of the payloads may create anywhere in the page's body.
DANGEROUS: Final = "img, script, svg, iframe, a, b, style, object, embed, form, input, textarea"

#: Rich markup and terminal escapes: CSI (clear screen, colours), OSC (hyperlink, clipboard,
#: window title), a bell, a carriage return, an 8-bit CSI and a bidi override.
ESC_NAME: Final = "[blink]Hamon[/blink]\x1b]8;;http://evil\x1b\\\x07"
ESC_OTHER: Final = "Valls\x1b[2J\x9b5m[link=http://evil]x[/link]"
ESC_SCOPE: Final = "[reverse]Loire[/reverse]\x1b]0;pwned\x07"
ESC_SPEAKER: Final = "[bold red]Orateur[/]\r\x1b[31m"
ESC_SOURCE: Final = "flux[i]\x1b]52;c;SGVsbG8=\x07"
ESC_TEXT: Final = "[on red]cri[/] \x1b[5mclignote\x1b[0m \u202eesrevni \x07"

#: Characters that must never appear raw in JSON output: C0 and C1 controls, DEL, the Unicode
#: line and paragraph separators, and the bidi controls.
_RAW_CONTROL: Final = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
#: A uid nobody cleans (ids are not text): every unsafe character, as a stream writer could put.
RAW_UID: Final = "evil:\x1b[2J\x07\x9b5m\x7f\u2028\u2029\u202e\x00end"


def at(hour: int, minute: int) -> datetime:
    """A Paris time on the night of 29 January 2017."""
    return datetime(2017, 1, 29, hour, minute, tzinfo=_PARIS)


def hostile_night_updates(payloads: dict[str, str]) -> list[Update]:
    """Updates carrying ``payloads`` in every field a source controls (built directly: never
    cleaned, as a stream written by someone else could hold them)."""
    source = payloads["source"]
    return [
        Update(
            uid="evil:speech",
            at=at(20, 50),
            source=source,
            kind=Kind.SPEECH,
            text=payloads["text"],
            seen=_SEEN,
            speaker=payloads["speaker"],
            round=2,
        ),
        Update(
            uid="evil:count",
            at=at(20, 51),
            source=source,
            kind=Kind.COUNT,
            text="Résultats partiels",
            seen=_SEEN,
            figures=Figures(
                scope="national",
                shares={payloads["first"]: 55.5, payloads["second"]: 44.5},
                counted_pct=70,
            ),
            round=2,
        ),
        Update(
            uid="evil:local",
            at=at(20, 52),
            source=source,
            kind=Kind.COUNT,
            text="Résultats locaux",
            seen=_SEEN,
            figures=Figures(
                scope=payloads["scope"],
                shares={payloads["first"]: 60.8, payloads["second"]: 39.2},
                counted_pct=100,
            ),
            round=2,
        ),
        Update(
            uid="evil:turnout",
            at=at(20, 53),
            source=source,
            kind=Kind.TURNOUT,
            text="Participation locale",
            seen=_SEEN,
            figures=Figures(scope=payloads["turnout_scope"], voters=18501, as_of="17:00"),
            round=2,
        ),
        Update(
            uid="evil:link",
            at=at(20, 54),
            source=source,
            kind=Kind.NEWS,
            text=payloads["link"],
            seen=_SEEN,
            round=2,
        ),
    ]


# -- the web page ----------------------------------------------------------------------------


def texts_of(selector: str) -> str:
    """JavaScript: the textContent of every element matching ``selector``."""
    return (
        f"Array.from(document.querySelectorAll({json.dumps(selector)})).map((e) => e.textContent)"
    )


@pytest.mark.browser
@pytest.mark.slow
async def test_html_in_every_field_is_shown_as_text_on_the_page(
    store: StreamStore, start_broadcaster: BroadcasterStarter, browser: webdriver.Chrome
) -> None:
    """Text, speaker, source, candidates, scopes, title and health errors: text, never HTML."""
    p = HTML_PAYLOADS
    await store.append_many(hostile_night_updates(p))
    failed = SourceHealth(source=p["health_source"], type="liveblog", url="http://127.0.0.1/x")
    failed = failed.failed(
        now=datetime.now(UTC), outcome="http_error", error=p["health_error"], status=500,
        poll_seconds=0.1,
    )  # fmt: skip
    await record_poll(store.redis, store.stream, failed)
    night = {**night_info(find_night().night), "title": p["title"]}
    running = await start_broadcaster(night=night)
    await asyncio.to_thread(browser.get, running.http_url("/"))
    await wait_js(browser, "document.documentElement.dataset.connection === 'live'")
    await wait_js(browser, "document.querySelectorAll('#feed > li').length === 5")
    await wait_js(browser, "document.querySelectorAll('#source-list li').length === 1")

    assert (
        await run_js(browser, "return document.getElementById('night-title').textContent")
        == (p["title"])
    )
    assert await run_js(browser, "return document.title") == f"{p['title']} · en direct"
    feed_texts = await run_js(browser, f"return {texts_of('#feed .item-text')};")
    assert p["text"] in feed_texts
    assert p["link"] in feed_texts
    assert await run_js(browser, f"return {texts_of('#feed .item-speaker')};") == [p["speaker"]]
    assert set(await run_js(browser, f"return {texts_of('#feed .item-source')};")) == {p["source"]}
    figures = " ".join(await run_js(browser, f"return {texts_of('#feed .item-figures')};"))
    for name in ("first", "second", "scope", "turnout_scope"):
        assert p[name] in figures, name
    bars = await run_js(browser, f"return {texts_of('#scoreboard-bars .bar-name')};")
    assert bars == [p["first"], p["second"]]
    candidates = await run_js(
        browser,
        "return Array.from(document.querySelectorAll('#scoreboard-bars li'))"
        ".map((li) => li.dataset.candidate);",
    )
    assert candidates == [p["first"], p["second"]]
    meta = await run_js(browser, "return document.getElementById('scoreboard-meta').textContent")
    assert p["source"] in meta
    # Local turnout is a result by scope (the board's), in the scopes table.
    scopes = await run_js(browser, f"return {texts_of('#scopes-body .scope-name')};")
    assert p["turnout_scope"] in scopes
    assert await run_js(browser, f"return {texts_of('#source-list .source-name')};") == [
        p["health_source"]
    ]
    detail = " ".join(await run_js(browser, f"return {texts_of('#source-list .source-detail')};"))
    assert p["health_error"] in detail

    # Nothing became an element, nothing ran, nothing was even attempted (a CSP report would
    # show an inline handler that was refused).
    # (The page's own charts are <svg class="chart-svg"> elements: those are not payloads.)
    created = await run_js(
        browser,
        f"return Array.from(document.body.querySelectorAll({json.dumps(DANGEROUS)}))"
        ".filter((node) => !node.matches('svg.chart-svg')).length",
    )
    assert created == 0
    assert await run_js(browser, "return window.__pwned === undefined;")
    with pytest.raises(NoAlertPresentException):
        await asyncio.to_thread(lambda: browser.switch_to.alert.text)
    assert await run_js(browser, "return getComputedStyle(document.body).display") != "none"
    errors = [
        entry["message"]
        for entry in await asyncio.to_thread(browser.get_log, "browser")
        if entry["level"] == "SEVERE" and "/favicon" not in entry["message"]
    ]
    assert errors == [], errors


# -- the terminal ---------------------------------------------------------------------------------

# rich's own styles: SGR sequences (ESC [ params m), nothing else.
_SGR: Final = re.compile(r"\x1b\[[0-9;]*m")
_ESCAPE_PAYLOADS: Final = {
    "title": "Soirée",
    "text": ESC_TEXT,
    "speaker": ESC_SPEAKER,
    "source": ESC_SOURCE,
    "first": ESC_NAME,
    "second": ESC_OTHER,
    "scope": ESC_SCOPE,
    "turnout_scope": ESC_SCOPE,
    "link": "[link=http://evil]lien[/link]",
}
#: What each payload shows as, once escapes are stripped: markup stays, literally.
SHOWN: Final = {
    "first": "[blink]Hamon[/blink]",
    "second": "Valls[link=http://evil]x[/link]",
    "scope": "[reverse]Loire[/reverse]",
    "speaker": "[bold red]Orateur[/]",
    "source": "flux[i]",
    "text": "[on red]cri[/] clignote esrevni",
    "link": "[link=http://evil]lien[/link]",
}


def assert_terminal_safe(output: str) -> str:
    """Check ``output`` holds no escape but rich's SGR colours; return it without them."""
    assert "\x1b]" not in output, "an OSC sequence (hyperlink, clipboard, title) got through"
    for raw in ("\x07", "\r", "\x9b", "\u202e"):
        assert raw not in output, repr(raw)
    plain = _SGR.sub("", output)
    assert "\x1b" not in plain, "an escape sequence other than rich's colours got through"
    assert "SGVsbG8" not in plain
    assert "pwned" not in plain
    return plain


def test_markup_and_escapes_in_every_field_stay_text_in_the_ticker(ticker: TickerKit) -> None:
    """Speaker, source, candidate names, scope: markup literal, no escape reaches the terminal."""
    view = ticker.view_at("20:45")
    updates = [
        u.with_stream(id=f"{900 + n}-0", op=u.op)
        for n, u in enumerate(hostile_night_updates(_ESCAPE_PAYLOADS))
    ]
    view.board.apply_all(updates)
    view.board.set_health({ESC_SOURCE: {"state": "error", "last_error": ESC_TEXT}})
    for width in (100, 160):
        output = ticker.render(TickerFrame(view, now=ticker.now), width=width, color=True)
        assert _SGR.search(output), "rendered with colours"
        plain = assert_terminal_safe(output)
        folded = " ".join(plain.split())
        for name in ("first", "second", "scope", "speaker", "source"):
            assert SHOWN[name] in folded, (name, width)


async def add_raw(store: StreamStore, uid: str, data: dict[str, Any]) -> str:
    """XADD an entry by hand (not through soiree): its fields are whatever the writer put."""
    entry_id = await store.redis.xadd(
        store.stream, {"uid": uid, "op": "add", "data": json.dumps(data, ensure_ascii=False)}
    )
    return str(entry_id)


def raw_data(payloads: dict[str, str]) -> list[tuple[str, dict[str, Any]]]:
    """The JSON of :func:`hostile_night_updates`, as raw stream entries (uid, data)."""
    entries = []
    for update in hostile_night_updates(payloads):
        data = update.to_json()
        uid = data.pop("uid")
        del data["op"]
        entries.append((uid, data))
    return entries


async def soiree(*args: str, env: dict[str, str] | None = None) -> tuple[int, bytes, bytes]:
    """Run ``soiree *args``; return its exit status, stdout and stderr (bytes, as printed)."""
    process = await asyncio.create_subprocess_exec(
        *soiree_command(*args),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60 * TIMEOUT_FACTOR)
    assert process.returncode is not None
    return process.returncode, stdout, stderr


@pytest.mark.slow
async def test_soiree_ticker_once_prints_markup_literally_and_no_escape(
    redis_url: str, store: StreamStore
) -> None:
    """`soiree ticker --once`, colours forced: hostile fields as text, only rich's own SGR."""
    for uid, data in raw_data(_ESCAPE_PAYLOADS):
        await add_raw(store, uid, data)
    await add_raw(store, RAW_UID, raw_data(_ESCAPE_PAYLOADS)[-1][1])
    status, stdout, stderr = await soiree(
        "ticker", "--once", "--redis-url", redis_url, "--stream", store.stream,
        env={"FORCE_COLOR": "1", "COLUMNS": "160", "LINES": "60", "NO_COLOR": ""},
    )  # fmt: skip
    assert status == 0, stderr.decode()
    output = stdout.decode()
    assert _SGR.search(output), "rendered with colours"
    folded = " ".join(assert_terminal_safe(output).split())
    for name in ("first", "scope", "speaker", "source", "text"):
        assert SHOWN[name] in folded, name
    assert_terminal_safe(stderr.decode())


# -- JSON: soiree dump and the websocket frames ---------------------------------------------------


def control_characters(text: str) -> list[str]:
    """The raw control characters in ``text`` (their names)."""
    return [unicodedata.name(c, repr(c)) for c in _RAW_CONTROL.findall(text)]


async def write_hostile_stream(store: StreamStore) -> list[str]:
    """Raw entries with every unsafe character, and a health record with them; return the ids."""
    unsafe = "\x1b[31m\x07\r\x9b2J\x7f\u2028\u2029\u202e\u2066"
    payloads = {name: f"{value}{unsafe}" for name, value in _ESCAPE_PAYLOADS.items()}
    ids = [await add_raw(store, uid, data) for uid, data in raw_data(payloads)]
    ids.append(await add_raw(store, RAW_UID, raw_data(payloads)[-1][1]))
    # A health record written by hand: its source name and error were never cleaned.
    name = f"evil{unsafe}"
    await store.redis.sadd(keys.sources_key(store.stream), name)
    await store.redis.hset(
        keys.health_key(store.stream, name),
        mapping={"state": "error", "last_error": f"HTTP 500 {unsafe}", "consecutive_errors": "1"},
    )
    return ids


@pytest.mark.slow
async def test_soiree_dump_prints_no_raw_control_character(
    redis_url: str, store: StreamStore
) -> None:
    """Every line parses back to the stored strings; no C0, C1, DEL, separator or bidi raw."""
    ids = await write_hostile_stream(store)
    stored = {u.id: u.to_json() for u in (await store.history()).updates}
    assert set(stored) == set(ids)
    status, stdout, stderr = await soiree(
        "-vv", "dump", "--redis-url", redis_url, "--stream", store.stream
    )
    assert status == 0, stderr.decode()
    output = stdout.decode("utf-8")
    lines = output.split("\n")
    assert lines[-1] == ""
    assert len(lines[:-1]) == len(ids)
    assert control_characters(output.replace("\n", "")) == []
    assert control_characters(stderr.decode().replace("\n", "")) == []
    for line in lines[:-1]:
        printed = json.loads(line)
        assert printed == stored[printed["id"]]
    by_id = {json.loads(line)["id"]: json.loads(line) for line in lines[:-1]}
    assert by_id[ids[-1]]["uid"] == RAW_UID  # round trip exact, even for what nobody cleans
    assert "[blink]Hamon[/blink]" in output


@pytest.mark.slow
async def test_websocket_frames_carry_no_raw_control_character(
    store: StreamStore, start_broadcaster: BroadcasterStarter
) -> None:
    """hello, snapshot (health included), backlog and live frames: escaped, exact round trip."""
    ids = await write_hostile_stream(store)
    running = await start_broadcaster()
    # Joined while the reader warms up, a client may get a board just before live (the board
    # changed while it caught up): the sequence below is the one of a client joining a warm
    # broadcaster.
    await running.broadcaster.wait_warm()
    raw_messages: list[str] = []
    async with (
        ws_connect(running.ws_url("since=0"), max_size=None) as ws,
        asyncio.timeout(10 * TIMEOUT_FACTOR),
    ):
        while not raw_messages or json.loads(raw_messages[-1])["type"] != "live":
            raw = await ws.recv()
            assert isinstance(raw, str)
            raw_messages.append(raw)
        _uid, data = raw_data(_ESCAPE_PAYLOADS)[0]
        ids.append(await add_raw(store, RAW_UID + "live", data))
        raw = await ws.recv()
        assert isinstance(raw, str)
        raw_messages.append(raw)
    for raw in raw_messages:
        assert control_characters(raw) == [], raw[:300]
    messages = [json.loads(raw) for raw in raw_messages]
    assert [m["type"] for m in messages] == [
        "hello", "snapshot", *["update"] * (len(ids) - 1), "live", "update",
    ]  # fmt: skip
    stored = {u.id: u.to_json() for u in (await store.history()).updates}
    for message in messages:
        if message["type"] == "update":
            assert {k: v for k, v in message.items() if k != "type"} == stored[message["id"]]
    assert messages[-1]["uid"] == RAW_UID + "live"
    assert messages[1]["health"] == await read_all_health(store.redis, store.stream)
    assert any(_RAW_CONTROL.search(name) for name in messages[1]["health"])
