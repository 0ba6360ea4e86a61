"""A horizontal share bar that fills the width it is given (``58,65 %`` of a scoreboard line).

Filled cells are full blocks with eighth-block precision at the tip; the rest of the track is a
light shade, so that a bar reads the same without colour (``NO_COLOR``, a log file).
"""

from __future__ import annotations

from typing import Final

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style

__all__ = ["ShareBar", "sparkline"]

_FULL: Final = "█"
_EIGHTHS: Final = " ▏▎▍▌▋▊▉"
_TRACK: Final = "░"
_MIN_WIDTH: Final = 4
_SPARKS: Final = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], *, top: float) -> str:
    """One block per value, its height the value's share of ``top`` (``"▄█"``)."""
    if top <= 0:
        return ""
    last = len(_SPARKS) - 1
    return "".join(_SPARKS[max(0, min(last, round(value / top * last)))] for value in values)


class ShareBar:
    """``pct`` (0-100) of the available width, in ``style``; ``width`` fixes the width."""

    def __init__(self, pct: float, *, style: str | Style = "", width: int | None = None) -> None:
        self.pct = min(100.0, max(0.0, pct))
        self.style = style
        self.width = width

    def cells(self, width: int) -> tuple[str, str]:
        """The bar's filled part and its track, ``width`` cells in all."""
        eighths = round(self.pct / 100 * width * 8)
        full, part = divmod(eighths, 8)
        filled = _FULL * full + (_EIGHTHS[part] if part else "")
        return filled, _TRACK * (width - len(filled))

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = min(self.width or options.max_width, options.max_width)
        filled, track = self.cells(width)
        if isinstance(self.style, Style):
            yield Segment(filled, self.style)
        else:
            yield Segment(filled, Style.parse(self.style) if self.style else None)
        yield Segment(track, Style(dim=True))
        yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        if self.width is not None:
            return Measurement(self.width, self.width)
        return Measurement(_MIN_WIDTH, options.max_width)
