"""Text from sources and servers, made safe to show: always data, never markup or escapes.

Everything a source wrote (an update's text, a speaker, a département, a source's error
message, a night's title sent by a broadcaster) goes through :func:`untrusted` and into a
``rich.text.Text``: ``Text`` never parses markup, so ``[bold]`` or ``[link=...]`` is shown as
written, and :func:`ingest.model.text_cleaning.clean_text` strips terminal escape sequences (CSI,
OSC...), bells and carriage returns. Updates read from Redis were cleaned when they were built; this
is applied again on display, because a broadcaster relay or an untrusted stream may not have been.
"""

from __future__ import annotations

from typing import Final

from rich.text import Text

from ingest.model.text_cleaning import clean_text

__all__ = ["first_paragraph", "untrusted", "untrusted_text"]

#: Longest name, message or field shown in one cell.
MAX_FIELD_LENGTH: Final = 300


def untrusted(value: object, *, max_length: int = MAX_FIELD_LENGTH) -> str:
    """``value`` as one line of plain text, at most ``max_length`` characters."""
    raw = value if isinstance(value, str) else str(value)
    return " ".join(clean_text(raw, max_length=max_length).split())


def untrusted_text(value: object, style: str = "", *, max_length: int = MAX_FIELD_LENGTH) -> Text:
    """``value`` as a one-line :class:`rich.text.Text` in ``style``."""
    return Text(untrusted(value, max_length=max_length), style=style)


def first_paragraph(text: str, *, max_length: int) -> str:
    """The first paragraph of a cleaned ``text``, cut at ``max_length`` ("…" if more is left)."""
    cleaned = clean_text(text)
    paragraph, _, rest = cleaned.partition("\n")
    paragraph = " ".join(paragraph.split())
    if len(paragraph) > max_length:
        return paragraph[: max_length - 1].rstrip() + "…"
    return paragraph + (" …" if rest.strip() else "")
