"""How a liveblog reaches its older entries: the ``next`` / ``next_url`` keys of a sources file
and the catch-up's bounds, read and checked. Pure.

``docs/ingest.md`` (the liveblog keys, and "Catch-up through older pages") and
``docs/sources.md`` ("Pagination"). :func:`read_pagination` raises :class:`PaginationError` with a
message that :mod:`ingest.sources.config` prefixes with the file and the source.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urljoin, urlsplit

from ingest.runtime.log_redaction import redact_url
from ingest.sources.css_selectors import check_selector

__all__ = [
    "DEFAULT_CATCH_UP_AGE",
    "DEFAULT_CATCH_UP_PAGES",
    "MAX_CATCH_UP_PAGES",
    "NEXT_URL_PLACEHOLDERS",
    "PAGINATION_KEYS",
    "Pagination",
    "PaginationError",
    "read_pagination",
]

#: Older pages a catch-up walks at most (``catch_up_pages``), and how far back in time it goes
#: below the newest entry of the page (``catch_up_age``, seconds).
DEFAULT_CATCH_UP_PAGES: Final = 10
DEFAULT_CATCH_UP_AGE: Final = 24 * 3600.0
#: The most older pages a catch-up may be allowed (politeness: a walk is one burst of GETs).
MAX_CATCH_UP_PAGES: Final = 100
#: The placeholders a ``next_url`` template may hold (one of them).
NEXT_URL_PLACEHOLDERS: Final = ("{page}", "{before}")
#: The keys of a liveblog source this module reads.
PAGINATION_KEYS: Final = frozenset({"next", "next_url", "catch_up_pages", "catch_up_age"})


class PaginationError(ValueError):
    """A bad pagination key (the message does not name the file nor the source)."""


@dataclass(frozen=True, slots=True)
class Pagination:
    """How a liveblog reaches its older entries.

    Exactly one of ``next`` (a CSS selector of the link to older entries, read on each page)
    and ``next_url`` (an absolute URL template holding ``{page}``, the page number from 2, or
    ``{before}``, the key of the oldest entry read so far). A catch-up walks at most
    ``max_pages`` older pages, and no further back than ``max_age`` seconds below the newest
    entry of the page it starts from.
    """

    next: str | None = None
    next_url: str | None = None
    max_pages: int = DEFAULT_CATCH_UP_PAGES
    max_age: float = DEFAULT_CATCH_UP_AGE


def read_pagination(raw: Mapping[str, Any], *, url: str, base_url: str | None) -> Pagination | None:
    """A liveblog's pagination from its ``[[source]]`` table (None: none set).

    ``url`` is the source's absolute URL; a relative ``next_url`` resolves against
    ``base_url`` like the source's ``url`` does, else against ``url``.
    """
    link, template = raw.get("next"), raw.get("next_url")
    bounds = [key for key in ("catch_up_pages", "catch_up_age") if key in raw]
    if link is None and template is None:
        if bounds:
            raise PaginationError(f"{bounds[0]} needs next or next_url")
        return None
    if link is not None and template is not None:
        raise PaginationError("next and next_url: set one of them, not both")
    if link is not None:
        if not isinstance(link, str):
            raise PaginationError("next must be a CSS selector string")
        try:
            link = check_selector(link)
        except ValueError as error:
            raise PaginationError(f"next: {error}") from None
    else:
        template = _next_url_template(template, url=url, base_url=base_url)
    pages = raw.get("catch_up_pages", DEFAULT_CATCH_UP_PAGES)
    if isinstance(pages, bool) or not isinstance(pages, int) or pages < 1:
        raise PaginationError(f"catch_up_pages must be a whole number of at least 1, got {pages!r}")
    if pages > MAX_CATCH_UP_PAGES:
        raise PaginationError(f"catch_up_pages must be at most {MAX_CATCH_UP_PAGES}, got {pages}")
    age = raw.get("catch_up_age", DEFAULT_CATCH_UP_AGE)
    if isinstance(age, bool) or not isinstance(age, int | float):
        raise PaginationError(f"catch_up_age must be a number of seconds, got {age!r}")
    if not math.isfinite(age) or age <= 0:
        raise PaginationError(f"catch_up_age must be a positive number, got {age!r}")
    return Pagination(next=link, next_url=template, max_pages=pages, max_age=float(age))


def _next_url_template(value: object, *, url: str, base_url: str | None) -> str:
    """A ``next_url`` template, checked and made absolute."""
    if not isinstance(value, str) or not value.strip():
        raise PaginationError("next_url must be a non-empty URL template string")
    template = value.strip()
    held = [name for name in NEXT_URL_PLACEHOLDERS if name in template]
    if len(held) != 1:
        raise PaginationError(
            "next_url must hold exactly one of {page} or {before},"
            f" got {redact_url(template)!r}"
        )
    rest = template.replace(held[0], "")
    if "{" in rest or "}" in rest or template.count(held[0]) != 1:
        raise PaginationError(
            f"next_url may hold {held[0]} once and no other braces, got {redact_url(template)!r}"
        )
    marked = template.replace(held[0], "soiree-placeholder")
    if urlsplit(marked).scheme:
        resolved = marked
    elif base_url is not None:
        base = base_url if base_url.endswith("/") else base_url + "/"
        resolved = urljoin(base, marked.lstrip("/"))
    else:
        resolved = urljoin(url, marked)
    parts, home = urlsplit(resolved), urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.netloc != home.netloc:
        raise PaginationError(f"next_url must lead to the source's own host ({home.netloc})")
    return resolved.replace("soiree-placeholder", held[0])
