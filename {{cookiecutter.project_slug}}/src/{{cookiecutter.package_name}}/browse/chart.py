"""The per-turn latency chart: a small SVG bar chart, drawn on the server.

One group of bars per agent reply, one bar per latency; colours come from the page's
stylesheet (``.lat-<key>`` classes), exact values from each bar's ``<title>``. No script.
"""

from __future__ import annotations

import math
from html import escape

from .review import LATENCIES, LatencyRow

BAR = 9
GAP = 10  # between groups
HEIGHT = 140
AXIS = 36  # left margin for the labels
BOTTOM = 18


def _scale_top(largest: float) -> float:
    """A round number of seconds at or above ``largest``: 0.5, 1, 2, 5, 10..."""
    if largest <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(largest))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= largest)


def latency_svg(rows: list[LatencyRow]) -> str:
    if not rows:
        return ""
    keys = [key for key, _, _ in LATENCIES]
    labels = {key: label for key, label, _ in LATENCIES}
    top = _scale_top(max(v for row in rows for v in row.values.values()))
    group = BAR * len(keys) + GAP
    width = AXIS + group * len(rows) + GAP
    plot = HEIGHT - BOTTOM
    parts = [
        f'<svg class="latency" role="img" width="{width}" height="{HEIGHT}" '
        f'viewBox="0 0 {width} {HEIGHT}" xmlns="http://www.w3.org/2000/svg">',
        "<title>Per-turn latency in seconds</title>",
        f'<line class="axis" x1="{AXIS}" y1="{plot}" x2="{width}" y2="{plot}"/>',
    ]
    for fraction in (0.5, 1.0):
        y = plot - plot * fraction + 6
        parts.append(
            f'<text class="tick" x="{AXIS - 4}" y="{y:.0f}" text-anchor="end">'
            f"{top * fraction:g}s</text>"
        )
        parts.append(
            f'<line class="grid" x1="{AXIS}" y1="{y - 6:.0f}" x2="{width}" y2="{y - 6:.0f}"/>'
        )
    for number, row in enumerate(rows):
        x0 = AXIS + GAP + number * group
        for index, key in enumerate(keys):
            value = row.values.get(key)
            if value is None:
                continue
            h = max(1.0, plot * min(value, top) / top)
            parts.append(
                f'<rect class="lat-{key}" x="{x0 + index * BAR}" y="{plot - h:.1f}" '
                f'width="{BAR - 1}" height="{h:.1f}">'
                f"<title>turn {row.turn}: {escape(labels[key])} {value:.3f} s</title></rect>"
            )
        parts.append(
            f'<text class="tick" x="{x0 + BAR * len(keys) / 2:.0f}" y="{HEIGHT - 4}" '
            f'text-anchor="middle">{row.turn}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
