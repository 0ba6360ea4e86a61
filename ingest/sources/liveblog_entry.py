"""One liveblog entry as found on a page, before its identity is derived. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from selectolax.lexbor import LexborNode

__all__ = ["RawEntry", "element_id"]

_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,119}")


@dataclass(frozen=True, slots=True)
class RawEntry:
    """One entry as found on the page, before identity: its element id, instant and text."""

    element_id: str | None
    at: datetime
    text: str


def element_id(node: LexborNode) -> str | None:
    """The ``id`` attribute of ``node`` if it is one soiree keeps as a key, else None."""
    value = node.attributes.get("id")
    if value is None:
        return None
    value = value.strip()
    return value if _ID.fullmatch(value) else None
