"""Tests for the ticker's renderables: frames of the night rendered to a Console, read as text."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from ingest.model.update import Figures, Kind, Op, Update
from ticker.terminal.render_departments import DepartmentsPanel
from ticker.terminal.render_feed import FeedPanel
from ticker.terminal.render_frame import TickerFrame
from ticker.terminal.render_header import Header
from ticker.terminal.render_health import HealthPanel
from ticker.terminal.render_scoreboard import ScoreboardPanel
from ticker.terminal.ticker_view import Connection, ConnectionState, TickerView
from ticker.wire.replay_clock import ReplayClock

if TYPE_CHECKING:  # imported by pytest_plugins at run time, so that pytest rewrites its asserts
    from tests.plugins.ticker import TickerKit


# rich's own styles: SGR sequences (ESC [ params m), nothing else.
_SGR = re.compile(r"\x1b\[[0-9;]*m")

HOSTILE = (
    "[bold red]x[/] [link=http://evil]y[/link] \x1b[31mrouge\x1b[0m"
    " \x1b]52;c;SGVsbG8=\x07presse-papiers \x07cloche \rretour \x1b]8;;http://evil\x1b\\lien"
)


def line_with(text: str, needle: str) -> str:
    """The first line of ``text`` containing ``needle``."""
    return next(line for line in text.splitlines() if needle in line)


def hostile_update(uid: str = "evil:1", *, kind: Kind = Kind.SPEECH) -> Update:
    """An update whose text and speaker hold markup and terminal escapes (as an untrusted
    stream or relay could carry: built directly, never cleaned by ``Update.from_json``)."""
    return Update(
        uid=uid,
        at=datetime(2017, 1, 29, 20, 58, tzinfo=UTC) + timedelta(hours=-1),
        source="evil\x1b[2J",
        kind=kind,
        text=HOSTILE,
        seen=datetime(2017, 1, 29, 20, 0, tzinfo=UTC),
        speaker="[blink]Orateur[/blink]\x07",
        id="999-0",
    )


@pytest.mark.parametrize("width", [80, 120])
def test_frame_at_20h45_shows_scoreboard_and_turnout(ticker: TickerKit, width: int) -> None:
    """At 20h45: Hamon 58,65 %, Valls 41,35 %, 60 % counted; the 17h turnout 1 306 852."""
    frame = ticker.render(TickerFrame(ticker.view_at("20:45"), now=ticker.now), width=width)
    assert "Primaire de la gauche, second tour" in frame
    assert "Résultats · second tour" in frame
    assert re.search(r"Benoît Hamon .*58,65 %", frame)
    assert re.search(r"Manuel Valls .*41,35 %", frame)
    assert re.search(r"Dépouillement .* 60 %", frame)
    five_pm = line_with(frame, "1 306 852")
    assert "17:00" in five_pm
    assert "75 %" in five_pm
    assert "1 000 000 (70 %)" in five_pm
    assert "+30,7 %" in five_pm
    assert "567 563" in frame
    assert "1,7\u20132 M" in frame
    # No speech yet at 20h45: Manuel Valls speaks from 20h52.
    assert "DISCOURS" not in frame
    assert max(len(line) for line in frame.splitlines()) <= width


@pytest.mark.parametrize("width", [80, 120])
def test_frame_shows_latest_speeches_newest_first(ticker: TickerKit, width: int) -> None:
    """At 20h56 the feed opens with Valls' speech, the 20h52 line included, newest first."""
    frame = ticker.render(TickerFrame(ticker.view_at("20:56"), now=ticker.now), width=width)
    first = line_with(frame, "20:52")
    assert "DISCOURS" in first
    assert "Manuel Valls : " in first
    assert "Je tiens" in first
    assert "chaleureusement" in frame
    assert frame.index("20:56") < frame.index("20:55") < frame.index("20:52")
    # Still the 20h41 count on the scoreboard.
    assert "58,65 %" in frame


def test_wide_frame_puts_the_feed_beside_the_figures(ticker: TickerKit) -> None:
    """From 110 columns the feed has a column of its own, next to the scoreboard."""
    frame = ticker.render(TickerFrame(ticker.view_at("20:56"), now=ticker.now), width=120)
    top = line_with(frame, "Résultats")
    assert "Le fil" in top


def test_frame_changes_since_previous_count(ticker: TickerKit) -> None:
    """At 23h45: 58,72 % with +0,07, 41,28 % with -0,07, since the 20h41 point."""
    frame = ticker.render(TickerFrame(ticker.view_at("23:45"), now=ticker.now))
    assert re.search(r"Benoît Hamon .*58,72 % +\+0,07", frame)
    assert re.search(r"Manuel Valls .*41,28 % +-0,07", frame)
    assert "écart depuis le point de 20:41 (60 % dépouillés)" in frame
    assert "plus de 2 M" in frame


def test_departments_panel(ticker: TickerKit) -> None:
    """The morning after, the départements' results and turnout are listed by name."""
    frame = ticker.render(TickerFrame(ticker.view_at("09:30", day=30), now=ticker.now))
    loire = line_with(frame, "Loire ")
    assert "Hamon 60,8 %" in loire
    assert "Valls 39,2 %" in loire
    assert "18 501 votants (+25,9 %)" in loire
    assert "plus de 10 000 votants" in line_with(frame, "Aveyron ")
    assert "Var " not in frame  # a first-round result, recalled in an article


def test_estimate_before_counts(ticker: TickerKit) -> None:
    """Before the first count the scoreboard says it is an estimate."""
    frame = ticker.render(ScoreboardPanel(ticker.view_at("19:30"), now=ticker.now))
    assert "Estimation · second tour" in frame
    assert "58 %" in frame
    assert "estimation, avant les premiers résultats" in frame


def test_waiting_for_results(ticker: TickerKit) -> None:
    """In the morning, the panels say what they wait for."""
    frame = ticker.render(TickerFrame(ticker.view_at("08:30"), now=ticker.now))
    assert "En attente des premiers résultats" in frame
    assert "Pas encore de chiffre de participation" in frame


def test_hostile_text_is_shown_as_text(ticker: TickerKit) -> None:
    """Markup shows literally; injected escapes, OSC, bells and CRs never reach the terminal."""
    view = ticker.view_at("20:45")
    view.board.apply(hostile_update())
    view.title = "[reverse]Titre[/reverse]\x1b]0;pwned\x07"
    view.board.set_health({"evil\x1b[5m": {"state": "error", "last_error": HOSTILE}})
    for width in (80, 120):
        output = ticker.render(TickerFrame(view, now=ticker.now), width=width, color=True)
        assert _SGR.search(output), "rendered with colours"
        assert "\x1b]" not in output  # no OSC: clipboard (52), title (0), hyperlink (8)
        assert "\x07" not in output
        assert "\r" not in output
        assert "\x1b[31mrouge" not in output
        plain = _SGR.sub("", output)
        assert "\x1b" not in plain  # every escape left is one of rich's own SGR styles
        assert "red]x[/]" in plain
        assert "[link=http://evil]y[/link]" in plain
        assert "[blink]Orateur[/blink] : " in plain
        assert "[reverse]Titre[/reverse]" in plain
        assert "SGVsbG8" not in plain
        assert "pwned" not in plain
    feed = ticker.render(FeedPanel(view, now=ticker.now, limit=1), width=200, color=True)
    assert "[bold red]x[/] [link=http://evil]y[/link] rouge presse-papiers cloche" in _SGR.sub(
        "", feed
    )


def test_edit_and_delete_in_the_feed(ticker: TickerKit) -> None:
    """An edit replaces the item's text, marked "(modifié)"; a delete strikes it, "(retiré)"."""
    view = ticker.view_at("20:56")
    (latest,) = view.board.feed(limit=1)
    edited = replace(latest.update, text='Manuel Valls: "Texte corrigé"', op=Op.EDIT)
    view.board.apply(edited, now=ticker.now)
    frame = ticker.render(FeedPanel(view, now=ticker.now, limit=3))
    assert 'Manuel Valls : "Texte corrigé" (modifié)' in frame
    assert "Nous devons rester mobilisés" not in frame
    view.board.apply(replace(edited, op=Op.DELETE))
    frame = ticker.render(FeedPanel(view, now=ticker.now, limit=3))
    assert "(retiré)" in line_with(frame, "20:56")
    colored = ticker.render(FeedPanel(view, now=ticker.now, limit=3), color=True)
    assert "\x1b[2;9m" in colored or "\x1b[9;2m" in colored  # dim, struck through


def test_an_undated_item_says_its_time_is_when_it_was_seen(ticker: TickerKit) -> None:
    """``undated`` (the source gave no date: ``at`` is when soiree first saw it) is said, so
    that the time shown is not read as the article's."""
    view = ticker.view_at("20:56")
    (latest,) = view.board.feed(limit=1)
    undated = replace(
        latest.update, uid="articles:x", source="articles", kind=Kind.NEWS, speaker=None,
        text="Article sans date", at=latest.update.at + timedelta(minutes=1), undated=True,
    )  # fmt: skip
    view.board.apply(undated, now=ticker.now)
    frame = ticker.render(FeedPanel(view, now=ticker.now, limit=3))
    assert "Article sans date (non daté : vu à cette heure)" in frame
    assert "non daté" not in line_with(frame, "20:56")


def test_new_items_are_highlighted_briefly(ticker: TickerKit) -> None:
    """A count that just came in marks the scoreboard "nouveau"; seconds later it does not."""
    view = ticker.view_at("20:40")
    (count,) = [update for update in ticker.updates_until("20:41") if update.uid.endswith("2041")][
        -1:
    ]
    view.board.apply(count, now=ticker.now)
    assert "● nouveau" in ticker.render(ScoreboardPanel(view, now=ticker.now + 2))
    assert "● nouveau" not in ticker.render(ScoreboardPanel(view, now=ticker.now + 30))
    fresh = ticker.render(FeedPanel(view, now=ticker.now + 2, limit=1), color=True)
    later = ticker.render(FeedPanel(view, now=ticker.now + 30, limit=1), color=True)
    assert "\x1b[1;7m" in fresh  # bold reverse time
    assert "\x1b[1;7m" not in later


def test_health_panel(ticker: TickerKit) -> None:
    """Each source's state: ok with its last success, errors with their count and status."""
    view = ticker.view_at("20:45")
    ok_at = datetime.fromtimestamp(ticker.now - 4, UTC).isoformat()
    view.board.set_health(
        {
            "liveblog": {"state": "ok", "last_success": ok_at, "entries_seen": 43},
            "results": {
                "state": "error",
                "consecutive_errors": 3,
                "last_status": 503,
                "last_error": "HTTP 503 Service Unavailable",
                "last_success": ok_at,
            },
            "articles": {
                "state": "ok",
                "next_poll": datetime.fromtimestamp(ticker.now - 120, UTC).isoformat(),
                "interval": 5.0,
            },
        }
    )
    frame = ticker.render(HealthPanel(view, now=ticker.now))
    assert re.search(r"liveblog +ok +il y a 4 s · 43 entrées", frame)
    assert re.search(r"results +erreur \u00d73 +HTTP 503 · HTTP 503 Service Unavailable", frame)
    assert re.search(r"articles +silencieux", frame)
    compact = ticker.render(HealthPanel(view, now=ticker.now, compact=True))
    assert "● results erreur \u00d73" in compact
    assert len(compact.splitlines()) == 1


def test_header_shows_replay_clock_and_connection(ticker: TickerKit) -> None:
    """During a replay the header shows the virtual time, extrapolated by speed."""
    view = TickerView(title="Soirée", connection=Connection(ConnectionState.LIVE))
    view.set_clock(
        ReplayClock(
            virtual=datetime(2017, 1, 29, 19, 41, tzinfo=UTC), wall=1000.0, speed=60, paused=False
        )
    )
    header = ticker.render(Header(view, now=1001.5))
    assert "20:42:30" in header
    assert "replay \u00d760" in header
    assert "● EN DIRECT" in header
    view.toggle_pause(1003.0)
    assert "pause demandée…" in ticker.render(Header(view, now=1004.0))
    assert "sans réponse du replay" in ticker.render(Header(view, now=1010.0))
    view.set_connection(
        Connection(ConnectionState.RECONNECTING, detail="Connection refused", retry_at=1013.0)
    )
    lost = ticker.render(Header(view, now=1010.0))
    assert "reconnexion dans 3 s" in lost
    assert "Connection refused" in lost


def test_header_wall_clock_in_paris(ticker: TickerKit) -> None:
    """Without a replay, the header shows the wall clock in Paris time."""
    header = ticker.render(Header(ticker.view_at("20:45"), now=ticker.now))
    assert "21:00:00  heure de Paris" in header


@pytest.mark.parametrize(("width", "height"), [(80, 24), (80, 40), (120, 30), (100, 18)])
def test_live_frame_fills_the_terminal(ticker: TickerKit, width: int, height: int) -> None:
    """A live frame is exactly as high as the terminal, the feed taking what is left."""
    frame = ticker.render(
        TickerFrame(ticker.view_at("23:45"), now=ticker.now, height=height), width=width
    )
    lines = frame.splitlines()
    assert len(lines) == height
    assert max(len(line) for line in lines) <= width
    assert "58,72 %" in frame
    assert "Le fil" in frame


def test_long_text_is_cut(ticker: TickerKit) -> None:
    """A whole article shows its first paragraph, cut, in the feed."""
    view = ticker.view_at("20:45")
    article = Update(
        uid="articles:long",
        at=datetime(2017, 1, 29, 19, 50, tzinfo=UTC),
        source="articles",
        kind=Kind.COUNT,
        text="Titre de l'article\n\n" + "mot " * 2000,
        seen=datetime(2017, 1, 29, 20, 0, tzinfo=UTC),
        figures=Figures(shares={"Benoît Hamon": 58.72}),
    )
    view.board.apply(article)
    frame = ticker.render(FeedPanel(view, now=ticker.now, limit=1))
    assert "Titre de l'article …" in frame
    assert "mot" not in frame


def test_a_commune_known_by_its_votes_shows_them(ticker: TickerKit) -> None:
    """A local scope with votes and no shares lists the votes, not an empty line."""
    view = TickerView(title="Soirée")
    loudun = Figures(
        scope="Loudun", scope_kind="commune", votes={"Anthony Brottier": 1204, "Alain Claeys": 998}
    )
    view.board.apply(
        Update(
            uid="liveblog:loudun",
            at=datetime(2020, 6, 28, 20, 0, tzinfo=UTC),
            source="liveblog",
            kind=Kind.COUNT,
            text="texte",
            seen=datetime(2020, 6, 28, 20, 0, tzinfo=UTC),
            figures=loudun,
            round=2,
        )
    )
    line = line_with(ticker.render(DepartmentsPanel(view, now=ticker.now), width=100), "Loudun")
    assert "Brottier 1 204 voix · Claeys 998 voix" in line
