"""JSON text that is safe to print: one object a line, no raw control character anywhere.

``json.dumps`` escapes C0 controls but, with ``ensure_ascii=False``, lets C1 controls (such as
the 8-bit CSI ``\\x9b``), DEL and the Unicode line separators through; those could drive a
terminal or split a line. They are escaped here, while accented letters stay readable.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["json_line"]

_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def json_line(data: Any) -> str:
    """``data`` as compact JSON on one line, with every unsafe character escaped."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return _UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
