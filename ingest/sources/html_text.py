"""HTML to plain text: paragraphs joined by a blank line, as a reader sees them.

Block elements (``p``, ``div``, ``li``, headings...) become paragraphs separated by ``"\\n\\n"``,
``<br>`` a line break, runs of whitespace one space; scripts, styles, templates and comments
vanish. The result goes through :func:`ingest.model.text_cleaning.clean_text`, so no control
character or escape sequence survives. Pure: :func:`fragment_text` for an HTML string (a feed item's
description), :func:`node_text` for an element of a page already parsed (a liveblog entry).
The walk is iterative, so a hostile page nested thousands deep cannot exhaust the stack.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Collection
from typing import Final

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ingest.model.text_cleaning import clean_text

__all__ = [
    "BLOCK_TAGS",
    "NOT_CHARSETS",
    "SKIPPED_TAGS",
    "charset_codec",
    "decode_html",
    "fragment_text",
    "node_text",
]

#: Elements that start and end a paragraph.
BLOCK_TAGS: Final = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tr",
        "ul",
    }
)
#: Elements whose content is never text for a reader.
SKIPPED_TAGS: Final = frozenset(
    {"script", "style", "template", "noscript", "head", "iframe", "object", "svg", "math"}
)

_SPACES: Final = re.compile(r"[ \t\n\r\f]+")
_PARAGRAPH: Final = "\x00P"
_LINE: Final = "\x00L"
_META_CHARSET: Final = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
#: Codecs Python decodes bytes with that are no character set of a web page: escape and
#: transfer syntaxes (``unicode_escape`` even warns on bad input), host names, the codec that
#: refuses everything, and UTF-7, which the WHATWG Encoding Standard forbids (it smuggles
#: markup past filters). Bytes-to-bytes codecs (base64, zlib, rot13...) are refused by
#: :func:`charset_codec` through ``_is_text_encoding``.
NOT_CHARSETS: Final = frozenset(
    {
        "unicode_escape",
        "raw_unicode_escape",
        "idna",
        "punycode",
        "undefined",
        "utf_7",
        "mbcs",
        "oem",
    }
)


def node_text(node: LexborNode, *, skip: Collection[LexborNode] = ()) -> str:
    """The plain text of ``node`` and its descendants, leaving out the nodes in ``skip``."""
    skipped = {item.mem_id for item in skip}
    parts: list[str] = []
    # (node, leaving): elements are pushed twice, to close their paragraph on the way out.
    stack: list[tuple[LexborNode, bool]] = [(node, False)]
    while stack:
        current, leaving = stack.pop()
        if leaving:
            parts.append(_PARAGRAPH)
            continue
        if current.is_text_node:
            parts.append(_SPACES.sub(" ", current.text_content or ""))
            continue
        if not current.is_element_node or current.mem_id in skipped:
            continue
        tag = current.tag or ""
        if tag in SKIPPED_TAGS:
            continue
        if tag == "br":
            parts.append(_LINE)
            continue
        if tag in BLOCK_TAGS:
            parts.append(_PARAGRAPH)
            stack.append((current, True))
        stack.extend((child, False) for child in reversed(list(current.iter(include_text=True))))
    return _assemble(parts)


def _assemble(parts: list[str]) -> str:
    paragraphs: list[str] = []
    lines: list[str] = []
    line: list[str] = []

    def end_line() -> None:
        text = "".join(line).strip()
        line.clear()
        if text:
            lines.append(text)

    def end_paragraph() -> None:
        end_line()
        if lines:
            paragraphs.append("\n".join(lines))
            lines.clear()

    for part in parts:
        if part == _PARAGRAPH:
            end_paragraph()
        elif part == _LINE:
            end_line()
        else:
            line.append(part)
    end_paragraph()
    return clean_text("\n\n".join(paragraphs))


def fragment_text(html: str) -> str:
    """The plain text of an HTML fragment (``"<p>a</p><p>b</p>"`` -> ``"a\\n\\nb"``)."""
    if "<" not in html and "&" not in html:
        return clean_text(html)
    # Parsed as a document: its body holds the fragment (lexbor's fragment mode hands back only
    # the first top-level node as root).
    body = LexborHTMLParser(html).body
    return "" if body is None else node_text(body)


def charset_codec(name: str) -> str | None:
    """The codec of a declared charset, or None when the name is no character set of a page.

    A page may declare anything: unknown names, names with a NUL in them, and codecs that are
    not character sets (:data:`NOT_CHARSETS`, bytes-to-bytes codecs) all give None.
    """
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):  # unknown, or a NUL in the name
        return None
    # CodecInfo marks bytes-to-bytes and str-to-str codecs (base64, rot13...) as no text
    # encoding; the attribute is private but stable since Python 3.4 (bytes.decode reads it).
    if not getattr(info, "_is_text_encoding", True) or info.name.replace("-", "_") in NOT_CHARSETS:
        return None
    return info.name


def decode_html(body: bytes, charset: str | None) -> str:
    """Decode a page: its declared charset, else a ``<meta charset>``, else UTF-8.

    A declared name that is no character set (:func:`charset_codec`) is passed over;
    undecodable bytes (a wrong charset) become U+FFFD instead of failing.
    """
    candidates: list[str] = []
    if charset:
        candidates.append(charset)
    meta = _META_CHARSET.search(body[:4096])
    if meta:
        candidates.append(meta.group(1).decode("ascii", "replace"))
    for candidate in candidates:
        codec = charset_codec(candidate)
        if codec is None:
            continue
        try:
            return body.decode(codec, errors="replace")
        except UnicodeError:  # a codec that cannot replace: fall back to UTF-8
            continue
    return body.decode("utf-8", errors="replace")
