"""The terminal ticker on a local night: the seats panel, the lists' heads under their names,
the communes and cantons as territories; names from sources stay text (no rich markup).

The view is the one ``soiree ticker`` builds for the fictional municipal night
(``fixtures/2020-06-28-fictional``), and the one ``soiree ticker --ws`` builds from the
broadcaster's ``hello`` (its ``lists`` and ``seats``).
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta, timezone

from rich.console import Console

from ingest.model.update import Figures, Kind, Update
from replay.fixtures import find_night
from replay.timeline import night_updates
from tests.test_protocol import validator
from ticker.commands.serve import night_info
from ticker.commands.ticker import view_of_night
from ticker.terminal.relay_messages import Hello, parse_server_message
from ticker.terminal.render_departments import DepartmentsPanel
from ticker.terminal.render_frame import TickerFrame
from ticker.terminal.render_seats import SeatsPanel
from ticker.terminal.ticker_view import TickerView
from ticker.wire.client_filter import Filter
from ticker.wire.protocol import hello_message

NIGHT = "2020-06-28-fictional"
_SEEN = datetime(2020, 6, 28, 22, 0, tzinfo=UTC)
MARKUP = "[bold red]Bourg[/bold red]"


def render(renderable: object, *, width: int = 140) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None, legacy_windows=False)
    console.print(renderable)
    output = console.file
    assert isinstance(output, io.StringIO)
    return output.getvalue()


def local_view() -> TickerView:
    night = find_night(NIGHT)
    view = view_of_night(night.night)
    view.board.apply_all(night_updates(night, seen=_SEEN))
    return view


def test_the_frame_shows_seats_heads_and_territories() -> None:
    frame = render(TickerFrame(local_view(), now=_SEEN.timestamp()))
    assert "Sièges · 35 · majorité 18" in frame
    lines = frame.splitlines()
    first = next(line for line in lines if "24 / 35" in line)
    assert "Montlaur en commun" in first
    assert "majorité" in first.split("24 / 35")[1]
    assert any("2 / 35" in line and "Montlaur d'abord" in line for line in lines)
    for head in ("Claire Vasseur · DVG", "Hélène Marchand · LR-UDI", "Paul Rigaud · RN"):
        assert head in frame
    assert "Territoires" in frame
    assert "Départements" not in frame
    assert any("Saint-Ardoin commune" in line for line in lines)
    assert any("canton de Montlaur-1 canton" in line for line in lines)
    # A list keeps its full name by territory ("Montlaur en commun", not "en commun").
    territories = render(DepartmentsPanel(local_view(), now=_SEEN.timestamp())).splitlines()
    canton = next(line for line in territories if "canton de Montlaur-1 canton" in line)
    assert "Montlaur en commun 44,2 %" in canton


def test_no_seats_no_panel() -> None:
    """A night whose board has no seats shows no seats panel."""
    view = view_of_night(find_night("2017-01-29").night)
    assert render(SeatsPanel(view)).strip() == ""


def test_a_source_s_markup_is_shown_as_text() -> None:
    """A commune's name written with rich markup by a source prints those characters."""
    view = local_view()
    view.board.apply(
        Update(
            uid="test:markup",
            at=datetime(2020, 6, 28, 21, 30, tzinfo=timezone(timedelta(hours=2))),
            source="liveblog",
            kind=Kind.COUNT,
            text="texte",
            seen=_SEEN,
            round=2,
            figures=Figures(scope=MARKUP, scope_kind="commune", votes={"Montlaur d'abord": 640}),
        )
    )
    frame = render(TickerFrame(view, now=_SEEN.timestamp()))
    assert MARKUP in frame


def test_hello_carries_the_lists_and_seats_to_the_ws_ticker() -> None:
    """``hello`` names each list's head and label and the seats; the --ws ticker reads them."""
    text = hello_message(
        version="0",
        stream="s",
        night=night_info(find_night(NIGHT).night),
        since=None,
        filter=Filter(),
    )
    data = json.loads(text)
    validator("server_message").validate(data)
    assert data["night"]["lists"][0] == {
        "name": "Montlaur en commun",
        "head": "Claire Vasseur",
        "label": "DVG",
    }
    assert data["night"]["seats"] == {"total": 35, "rule": "majority-bonus"}
    hello = parse_server_message(text)
    assert isinstance(hello, Hello)
    assert hello.seats_total == 35
    assert ("Montlaur d'abord", "Paul Rigaud", "RN") in hello.lists
    # A presidential night has no lists' heads nor seats: nothing is made up.
    plain = json.loads(
        hello_message(
            version="0",
            stream="s",
            night=night_info(find_night("2017-01-29").night),
            since=None,
            filter=Filter(),
        )
    )
    validator("server_message").validate(plain)
    assert plain["night"]["seats"] is None
    assert all(item["head"] is None for item in plain["night"]["lists"])
    # Malformed lists from a server are left out, never a crash.
    odd = dict(data, night=dict(data["night"], lists=[{"head": "x"}, 3, {"name": "L"}]))
    parsed = parse_server_message(json.dumps(odd))
    assert isinstance(parsed, Hello)
    assert parsed.lists == (("L", None, None),)
