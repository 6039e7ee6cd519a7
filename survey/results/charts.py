"""Bar charts with interval whiskers, drawn on the server as SVG (no script, no library).

Hand-written rather than a plotting library: the figure is a few rectangles and lines, and
a library would bring fonts, scripts or raster output that the accessibility rules forbid.
Each bar has its label and its figures written out above it, so neither colour nor the
reader's eye on a scale carries the meaning; the chart is drawn at the width of a phone
(340 units, shown at most that wide) so no text is ever smaller than 13 px, and it carries
a title and a text alternative. The page shows the same numbers in a table next to it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from markupsafe import Markup

WIDTH = 340
LEFT, RIGHT = 6, 14
FONT = 14
ROW = 52  # label line + bar
BAR = 18
INK, BAR_FILL, GRID = "#1b1b1b", "#0b4f8a", "#767676"

_ids = itertools.count(1)


@dataclass(frozen=True)
class Bar:
    label: str
    share: float | None  # None: withheld
    lower: float | None = None
    upper: float | None = None
    text: str = ""  # the figures written beside the label ("31 % (27–35)" or "–")


def _x(value: float) -> float:
    return LEFT + max(0.0, min(1.0, value)) * (WIDTH - LEFT - RIGHT)


def bar_chart(title: str, description: str, bars: Sequence[Bar],
              reference: tuple[float, str] | None = None) -> Markup:
    """An SVG of horizontal bars (0-100 %) with whiskers for the 95 % interval; ``reference``
    (share, label) draws a dashed line, e.g. the national figure."""
    number = next(_ids)
    top = 8
    height = top + ROW * len(bars) + 34 + (22 if reference else 0)
    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
             f'height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" '
             f'aria-labelledby="chart{number}-title chart{number}-desc" '
             f'font-family="system-ui, sans-serif" font-size="{FONT}">',
             f'<title id="chart{number}-title">{escape(title)}</title>',
             f'<desc id="chart{number}-desc">{escape(description)}</desc>']
    axis_bottom = top + ROW * len(bars)
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        x = _x(tick)
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{axis_bottom}" '
                     f'stroke="{GRID}" stroke-width="0.5"/>')
        anchor = "start" if tick == 0 else "end" if tick == 1 else "middle"
        parts.append(f'<text x="{x:.1f}" y="{axis_bottom + 18}" text-anchor="{anchor}" '
                     f'fill="{INK}">{int(tick * 100)} %</text>')
    for index, bar in enumerate(bars):
        y = top + ROW * index
        parts.append(f'<text x="{LEFT}" y="{y + 16}" fill="{INK}">'
                     f'{escape(bar.label)}: {escape(bar.text)}</text>')
        if bar.share is None:
            continue
        bar_y = y + 24
        parts.append(f'<rect x="{LEFT}" y="{bar_y}" width="{_x(bar.share) - LEFT:.1f}" '
                     f'height="{BAR}" fill="{BAR_FILL}"/>')
        if bar.lower is not None and bar.upper is not None:
            middle = bar_y + BAR / 2
            low, high = _x(bar.lower), _x(bar.upper)
            parts.append(f'<line x1="{low:.1f}" y1="{middle}" x2="{high:.1f}" y2="{middle}" '
                         f'stroke="{INK}" stroke-width="2"/>')
            for end in (low, high):
                parts.append(f'<line x1="{end:.1f}" y1="{bar_y - 3}" x2="{end:.1f}" '
                             f'y2="{bar_y + BAR + 3}" stroke="{INK}" stroke-width="2"/>')
    if reference:
        share, label = reference
        x = _x(share)
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{axis_bottom}" '
                     f'stroke="{INK}" stroke-width="2" stroke-dasharray="6 4"/>')
        parts.append(f'<text x="{LEFT}" y="{axis_bottom + 40}" fill="{INK}">'
                     f'- - - {escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
