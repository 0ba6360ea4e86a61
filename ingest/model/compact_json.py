"""An update's JSON text: compact UTF-8, byte for byte what the standard library writes.

Every JSON text of an update is compact UTF-8 (``ensure_ascii=False``, ``separators=(",", ":")``)
and must stay byte for byte what the standard library writes: the content digest is a hash of
that text, and the digests already stored in a stream's dedupe hash must keep matching. orjson
writes the same bytes for every string, key order and integer of 64 bits, and for every float
except two cases where it picks another, equally valid, spelling: floats below 1e-4 in
magnitude (``0.00001`` for ``1e-05``) and integers beyond 64 bits (which it refuses). Content
holding either goes through the standard library; everything else through orjson, about ten
times faster (this is most of an append's client-side cost).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

import orjson

__all__ = ["compact_json", "dumps_json", "fast_json_ok"]

_ORJSON_MIN_FLOAT: Final = 1e-4
_ORJSON_INT_RANGE: Final = range(-(2**63), 2**64)


def _orjson_safe(tree: Mapping[str, Any]) -> bool:
    """Whether orjson writes ``tree`` (figures' JSON: numbers, strings, objects of those)
    exactly as :mod:`json` does."""
    for value in tree.values():
        kind = type(value)
        if kind is float:
            if value != 0 and abs(value) < _ORJSON_MIN_FLOAT:
                return False
        elif kind is int:
            if value not in _ORJSON_INT_RANGE:
                return False
        elif kind is dict:
            if not _orjson_safe(value):
                return False
        elif kind is not str:
            return False
    return True


def fast_json_ok(data: Mapping[str, Any]) -> bool:
    """Whether orjson may write ``data``, an update's JSON (only ``figures`` holds numbers
    orjson could spell differently; the rest are strings and small integers)."""
    figures = data.get("figures")
    return figures is None or (isinstance(figures, dict) and _orjson_safe(figures))


def dumps_json(data: Mapping[str, Any], *, sort_keys: bool, fast: bool) -> bytes:
    """``data`` as compact UTF-8 JSON; through orjson when ``fast`` (see the module docstring)."""
    if fast:
        try:
            return orjson.dumps(data, option=orjson.OPT_SORT_KEYS if sort_keys else 0)
        except TypeError:
            pass  # a lone surrogate or a huge integer: let the standard library decide
    text = json.dumps(data, ensure_ascii=False, sort_keys=sort_keys, separators=(",", ":"))
    return text.encode("utf-8")


def compact_json(data: Mapping[str, Any], *, sort_keys: bool = False) -> bytes:
    """An update's JSON ``data`` as compact UTF-8, exactly as ``json.dumps(data,
    ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys)`` writes it."""
    return dumps_json(data, sort_keys=sort_keys, fast=fast_json_ok(data))
