"""Text from sources made plain: no escape sequences, no control characters, tidy spaces. Pure.

Every text an update carries goes through :func:`clean_text` when it is built or read back, so
nothing ingested can drive a terminal or smuggle markup past a reader; rendering layers still
treat it as data (textContent on the web page, ``rich.text.Text`` in the ticker).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

__all__ = ["MAX_NAME_LENGTH", "MAX_TEXT_LENGTH", "clean_text"]

# Longest text we accept in one update: a whole article fits with room to spare; anything longer
# is a broken or hostile source and is cut rather than stored.
MAX_TEXT_LENGTH: Final = 20_000
MAX_NAME_LENGTH: Final = 200

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), other two-byte ESC sequences, and the C1 forms.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC, terminated by BEL or ST (or unterminated)
    r"|\x1b[P^_X][^\x1b]*(?:\x1b\\)?"  # DCS, PM, APC, SOS strings
    r"|\x1b[ -~]?"  # any other escape
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
    r"|[\x90\x9d\x9e\x9f][^\x9c\x07]*[\x9c\x07]?"  # 8-bit DCS/OSC/PM/APC strings
)
_HORIZONTAL_SPACE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
# Whitespace (for str.split) that clean_text removes as control characters, unlike line
# breaks, tabs and the spaces of French typography (no-break before ":", narrow no-break
# before "%"), which only need tidying: str.isprintable() counts none of them as printable.
_CONTROL_WHITESPACE: Final = re.compile(r"[\x0b\x0c\x1c-\x1f\x85]")


def clean_text(raw: str, *, max_length: int = MAX_TEXT_LENGTH) -> str:
    """Return ``raw`` as plain text: no escape sequences, no control characters, tidy spaces.

    Newlines between paragraphs are kept (collapsed to at most one blank line); every other
    control or format character (bell, carriage return, backspace, bidi overrides, zero-width
    joiners...) is removed, so the result is safe to print on a terminal as it is.
    """
    if raw.isprintable() or (
        "".join(raw.split()).isprintable() and not _CONTROL_WHITESPACE.search(raw)
    ):
        # No control, format or unassigned character but line breaks and tabs (so no escape
        # sequence either: ESC is a control character): nothing to remove, only spaces and
        # paragraphs to tidy, without a Python-level loop over every character.
        return _paragraphs(raw.replace("\r\n", "\n").replace("\r", "\n"), max_length)
    return _clean_any_text(raw, max_length=max_length)


def _paragraphs(text: str, max_length: int) -> str:
    """Spaces collapsed, lines stripped, at most one blank line between paragraphs, capped."""
    lines = [_HORIZONTAL_SPACE.sub(" ", line).strip() for line in text.split("\n")]
    paragraphs: list[str] = []
    blank = False
    for line in lines:
        if not line:
            blank = bool(paragraphs)
            continue
        if blank:
            paragraphs.append("")
            blank = False
        paragraphs.append(line)
    cleaned = "\n".join(paragraphs)
    if len(cleaned) > max_length:
        return cleaned[: max_length - 1].rstrip() + "…"
    return cleaned


def _clean_any_text(raw: str, *, max_length: int) -> str:
    """:func:`clean_text` for any text, character by character."""
    text = _ESCAPE_SEQUENCE.sub("", raw)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    kept: list[str] = []
    for char in text:
        if char in "\n\t":
            kept.append(char)
            continue
        category = unicodedata.category(char)
        # Cc: control characters; Cf: format characters (bidi overrides, zero-width...);
        # Cs: lone surrogates (cannot be encoded); Co/Cn: private use and unassigned.
        if category in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        kept.append(char)
    return _paragraphs("".join(kept), max_length)
