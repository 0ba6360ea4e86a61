"""CSS selectors of a sources file, checked when the file is read. Pure."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser, SelectolaxError

__all__ = ["check_selector"]


def check_selector(selector: str) -> str:
    """Return ``selector`` if it is a CSS selector lexbor can run; raise ValueError if not."""
    if not selector.strip():
        raise ValueError("an empty CSS selector")
    try:
        LexborHTMLParser("<p></p>").css(selector)
    except SelectolaxError as error:
        raise ValueError(f"not a valid CSS selector: {selector!r}") from error
    return selector
