"""Tests for ingest.sources.html_text: HTML to plain text with paragraphs, and safe decoding."""

from __future__ import annotations

import encodings
import encodings.aliases
import pkgutil
import random
import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st
from selectolax.lexbor import LexborHTMLParser

from ingest.model.text_cleaning import clean_text
from ingest.sources.html_text import (
    NOT_CHARSETS,
    charset_codec,
    decode_html,
    fragment_text,
    node_text,
)


def test_paragraphs_joined_by_blank_line() -> None:
    """Each block is a paragraph; paragraphs are separated by one blank line."""
    assert fragment_text("<p>one</p><p>two</p>\n<div>three</div>") == "one\n\ntwo\n\nthree"


def test_br_inline_and_entities() -> None:
    """<br> breaks a line, inline elements join, entities decode, spaces collapse."""
    text = fragment_text("<p>a &amp; <b>b</b>\n   c<br>d&nbsp;e</p>")
    assert text == "a & b c\nd e"


def test_scripts_styles_and_comments_vanish() -> None:
    """Content that is not for readers is dropped."""
    html = "<p>kept<script>alert(1)</script><style>p{}</style><!-- note --></p>"
    html += "<template>t</template>"
    assert fragment_text(html) == "kept"


def test_lists_and_nesting() -> None:
    """List items are paragraphs, text around nested blocks keeps its order."""
    assert fragment_text("intro<ul><li>x</li><li>y</li></ul>outro") == "intro\n\nx\n\ny\n\noutro"


def test_escape_sequences_and_controls_removed() -> None:
    """Terminal escapes and control characters never survive."""
    assert fragment_text("<p>a\x1b[31mred\x07</p>") == "ared"


def test_plain_text_fast_path() -> None:
    """Text without markup is only cleaned."""
    assert fragment_text("  juste du texte  ") == "juste du texte"


def test_deep_nesting_does_not_exhaust_the_stack() -> None:
    """A page nested thousands deep is read without recursion."""
    assert fragment_text("<div>" * 5000 + "deep" + "</div>" * 5000) == "deep"


def test_node_text_skips_given_nodes() -> None:
    """node_text leaves out the nodes it is told to skip (a time element)."""
    tree = LexborHTMLParser("<article><time>21h15</time><p>Texte</p></article>")
    article = tree.css_first("article")
    time_node = tree.css_first("time")
    assert article is not None
    assert time_node is not None
    assert node_text(article, skip=[time_node]) == "Texte"


def test_decode_declared_wrong_and_unknown_charsets() -> None:
    """Declared charset first, then <meta charset>, then UTF-8; bad bytes become U+FFFD."""
    assert decode_html("déjà".encode("latin-1"), "iso-8859-1") == "déjà"
    assert decode_html("déjà".encode("latin-1"), "utf-8") == "d\ufffdj\ufffd"
    assert decode_html("déjà".encode(), "klingon") == "déjà"
    meta = '<meta charset="windows-1252"><p>é</p>'.encode("cp1252")
    assert decode_html(meta, None).endswith("<p>é</p>")


@given(st.text())
def test_any_text_in_a_paragraph_comes_out_clean(text: str) -> None:
    """Whatever the text, the result is already clean (clean_text leaves it alone)."""
    result = fragment_text("<p>" + text.replace("<", "&lt;").replace("&", "&amp;") + "</p>")
    assert clean_text(result) == result


@pytest.mark.parametrize(
    ("declared", "codec"),
    [
        ("UTF-8", "utf-8"), ("latin1", "iso8859-1"), ("windows-1252", "cp1252"),
        ("ISO-8859-15", "iso8859-15"), ("utf-16", "utf-16"), ("Shift_JIS", "shift_jis"),
        ("koi8-r", "koi8-r"), ("gb18030", "gb18030"), ("utf-8-sig", "utf-8-sig"),
    ],
)  # fmt: skip
def test_character_sets_of_pages_are_codecs(declared: str, codec: str) -> None:
    """A real character set, whatever its spelling, names its codec."""
    assert charset_codec(declared) == codec


@pytest.mark.parametrize(
    "declared",
    [
        "unicode_escape", "Unicode-Escape", "raw_unicode_escape", "idna", "punycode",
        "undefined", "UTF-7", "base64", "hex", "zlib", "rot13", "uu", "quopri", "bz2",
        "klingon", "", "utf\x00-8",
    ],
)  # fmt: skip
def test_codecs_that_are_no_character_set_are_refused(declared: str) -> None:
    """Escapes, transfer encodings, host-name codecs, UTF-7 and unknown names give None."""
    assert charset_codec(declared) is None


@pytest.mark.parametrize("declared", sorted(NOT_CHARSETS - {"mbcs", "oem"}))
def test_a_page_declaring_no_character_set_is_read_as_utf8_without_warning(declared: str) -> None:
    """Each refused codec falls back to UTF-8, silently (unicode_escape used to warn)."""
    body = "\\\x00 élu +AGE-".encode()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert decode_html(body, declared) == body.decode()


def _accepted_codecs() -> list[str]:
    """Every codec of the standard library that :func:`charset_codec` lets a page declare."""
    names = {module.name for module in pkgutil.iter_modules(encodings.__path__)}
    names |= set(encodings.aliases.aliases)
    return sorted({codec for name in names if (codec := charset_codec(name)) is not None})


ACCEPTED = _accepted_codecs()
#: Bytes that trip decoders: escapes, BOMs, a UTF-7 shift, ISO-2022 and HZ escapes, lone lead
#: bytes, a lone surrogate in UTF-16, every byte; then random bytes, the same on every run.
_RANDOM = random.Random(20)
AWKWARD: list[bytes] = [
    b"\\", b"\\x", b"\\\x00", b"\\N{", b"+AGE", b"\xff\xfe\x00", b"\xfe\xff\xd8\x00",
    b"\x00\xd8", b"\x1b$B", b"\x1b(J\x1b$)C", b"~{", b"~}~~", b"\x8e\xff", b"\xef\xbb",
    bytes(range(256)), bytes(range(255, -1, -1)),
    *(bytes(_RANDOM.randrange(256) for _ in range(_RANDOM.randrange(1, 24))) for _ in range(200)),
]  # fmt: skip


def test_the_accepted_codecs_are_the_character_sets_of_pages() -> None:
    """Real character sets are accepted; no escape, transfer or host-name codec is."""
    assert {"utf-8", "cp1252", "iso8859-15", "shift_jis", "utf-16", "gb18030"} <= set(ACCEPTED)
    assert len(ACCEPTED) > 90
    refused = {"raw_unicode_escape", "unicode_escape", "idna", "punycode", "utf_7", "undefined"}
    assert not refused & {codec.replace("-", "_") for codec in ACCEPTED}


@pytest.mark.parametrize("codec", ACCEPTED)
def test_any_bytes_in_any_accepted_charset_decode_silently_with_that_charset(codec: str) -> None:
    """No warning, no error: undecodable bytes become U+FFFD in the declared charset itself."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for body in AWKWARD:
            assert decode_html(body, codec) == body.decode(codec, errors="replace"), body
