"""HTML whose markup was escaped once too often, read until no tag is left. Pure.

Some CMSs escape an item's HTML twice: ``&amp;lt;img src="x"/&amp;gt;`` in the feed, so that
one reading through the HTML reader gives the text ``<img src="x"/>``, which a reader would see
as raw markup. :func:`text_without_markup` reads such a text again as HTML, up to
:data:`MAX_READINGS` times in all, while it still holds a tag of an HTML element (``<p>``,
``</a>``, ``<img ...>``, ``<br/>``), a comment, or such a tag escaped (``&lt;p&gt;``). A
``<`` or ``>`` that makes no such tag (``a < b``, ``Hamon <3``) is text and stays.
"""

from __future__ import annotations

import re
from typing import Final

from ingest.sources.html_text import BLOCK_TAGS, SKIPPED_TAGS, fragment_text

__all__ = ["MAX_READINGS", "holds_markup", "text_without_markup"]

#: Readings of one value in all: escaped twice, or three times, is still read.
MAX_READINGS: Final = 3
_INLINE_TAGS: Final = frozenset(
    {
        "a", "abbr", "audio", "b", "big", "br", "button", "canvas", "cite", "code", "del",
        "dfn", "em", "embed", "font", "form", "i", "img", "input", "ins", "kbd", "label",
        "link", "mark", "meta", "picture", "q", "s", "samp", "select", "small", "source",
        "span", "strike", "strong", "sub", "sup", "textarea", "time", "u", "var", "video",
        "wbr", "html", "body", "title", "base", "caption", "td", "th", "thead", "tbody",
    }
)  # fmt: skip
_ELEMENTS: Final = "|".join(sorted(BLOCK_TAGS | SKIPPED_TAGS | _INLINE_TAGS, key=len, reverse=True))
# A whole tag of a known element ("<img src=x>", "</p>", "<br/>"), or a comment's opening; or
# such a tag still escaped ("&lt;p&gt;": escaped three times). Attributes are bounded, so that
# a hostile text of many unclosed tags costs a linear scan, not a quadratic one.
_MARKUP: Final = re.compile(
    rf"<(?:!--|/?(?:{_ELEMENTS})(?:[\s/][^<>]{{0,1000}})?>)"
    rf"|&lt;/?(?:{_ELEMENTS})(?:[\s/][^<>]{{0,1000}}?)?&gt;",
    re.IGNORECASE,
)


def holds_markup(text: str) -> bool:
    """Whether ``text`` holds a tag of an HTML element or a comment (or one still escaped)."""
    return ("<" in text or "&lt;" in text) and _MARKUP.search(text) is not None


def text_without_markup(html: str) -> str:
    """The plain text of an HTML fragment, read again while it still holds markup.

    Each further reading is of each line alone, so the paragraphs and lines the first one
    found stay as they are.
    """
    text = fragment_text(html)
    for _ in range(MAX_READINGS - 1):
        if not holds_markup(text):
            break
        paragraphs = (
            "\n".join(filter(None, (_again(line) for line in paragraph.split("\n"))))
            for paragraph in text.split("\n\n")
        )
        text = "\n\n".join(filter(None, paragraphs))
    return text


def _again(line: str) -> str:
    return fragment_text(line) if holds_markup(line) else line
