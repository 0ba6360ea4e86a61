"""docs/protocol.md's "Close codes" names every way a websocket connection ends.

Every close code the broadcaster sends (``ticker.wire.protocol_codes.Close``) has its row, and so do
the two ends a client sees without asking for them: the 4008 of a joining client whose backlog
page did not drain within the drain timeout (30 s, whether or not anything is live), and the
1006 of a client stalled past the close wait (5 s after the server's close frame).
"""

from __future__ import annotations

import re
from pathlib import Path

from ticker.broadcast.options import BroadcasterOptions
from ticker.wire.protocol_codes import Close

PROTOCOL = Path(__file__).resolve().parent.parent / "docs" / "protocol.md"


def close_codes_section() -> str:
    text = PROTOCOL.read_text(encoding="utf-8")
    start = text.index("\n## Close codes\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def rows() -> dict[int, str]:
    """The table's rows by code."""
    return {
        int(match[1]): match[0]
        for match in re.finditer(r"^\| (\d{4}) \|.*$", close_codes_section(), re.MULTILINE)
    }


def test_every_close_code_sent_has_its_row() -> None:
    assert set(rows()) >= {int(code) for code in Close}


def test_the_drain_timeout_and_its_4008_are_documented() -> None:
    """A joining client cut for not draining a page: 4008, the timeout as configured."""
    drain = BroadcasterOptions(stream="s").drain_timeout
    row = rows()[Close.TOO_SLOW]
    assert f"within {drain:g} s" in row
    assert "last_id=<id>" in row


def test_the_1006_of_a_stalled_client_is_documented() -> None:
    """The server's close wait, as configured, and what a client sees after it."""
    close_wait = BroadcasterOptions(stream="s").close_timeout
    section = close_codes_section()
    assert "**1006**" in section
    assert f"waits {close_wait:g} s for the client's answer" in section
