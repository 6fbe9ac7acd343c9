"""Horizontal bar charts as inline SVG: no chart library, nothing to download, readable on a phone.

Each chart carries its title and every value as text, so a screen reader reads it and it
prints; the page beside it keeps the numbers in a table too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
LABEL_WIDTH = 210
VALUE_WIDTH = 70
ROW_HEIGHT = 26
BAR_HEIGHT = 18
BAR_COLOR = "#1d5fa8"
OVER_COLOR = "#b3261e"
LIMIT_COLOR = "#1b1b1b"


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    limit: int | None = None  # a maximum to mark on the bar (caseload vs the policy)


def bar_chart(title: str, bars: Sequence[Bar], *, unit: str = "") -> Markup:
    """One bar per row, scaled to the largest value or limit; bars over their limit in red."""
    top = max([1, *(b.value for b in bars), *(b.limit or 0 for b in bars)])
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = max(1, len(bars)) * ROW_HEIGHT + 8
    parts = [
        f'<svg class="grafico" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for row, bar in enumerate(bars):
        y = 4 + row * ROW_HEIGHT
        length = round(span * bar.value / top)
        over = bar.limit is not None and bar.value > bar.limit
        label = bar.label if len(bar.label) <= 28 else bar.label[:27] + "…"
        value = f"{bar.value}{'/' + str(bar.limit) if bar.limit else ''}{unit}"
        parts.append(
            f"<g><title>{escape(bar.label)}: {escape(value)}</title>"
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 14}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" '
            f'fill="{OVER_COLOR if over else BAR_COLOR}"/>'
        )
        if bar.limit:
            x = LABEL_WIDTH + round(span * bar.limit / top)
            parts.append(
                f'<line x1="{x}" x2="{x}" y1="{y - 2}" y2="{y + BAR_HEIGHT + 2}" '
                f'stroke="{LIMIT_COLOR}" stroke-width="2" stroke-dasharray="3 2"/>'
            )
        parts.append(
            f'<text x="{LABEL_WIDTH + length + 6}" y="{y + 14}">{escape(value)}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


COLUMN_CHART_HEIGHT = 150
COLUMN_AREA = 110


def column_chart(title: str, bars: Sequence[Bar]) -> Markup:
    """One column per bar, for short labels in a fixed order (the 24 months of the plan)."""
    top = max([1, *(b.value for b in bars)])
    slot = WIDTH / max(1, len(bars))
    parts = [
        f'<svg class="grafico" viewBox="0 0 {WIDTH} {COLUMN_CHART_HEIGHT}" width="100%" '
        f'role="img" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    base = 16 + COLUMN_AREA
    for index, bar in enumerate(bars):
        x = index * slot
        height = round(COLUMN_AREA * bar.value / top)
        middle = x + slot / 2
        parts.append(
            f"<g><title>{escape(bar.label)}: {bar.value}</title>"
            f'<rect x="{x + 2:.1f}" y="{base - height}" width="{slot - 4:.1f}" '
            f'height="{height}" fill="{BAR_COLOR}"/>'
            f'<text x="{middle:.1f}" y="{base + 16}" text-anchor="middle">'
            f"{escape(bar.label)}</text>"
        )
        if bar.value:
            parts.append(
                f'<text x="{middle:.1f}" y="{base - height - 4}" text-anchor="middle">'
                f"{bar.value}</text>"
            )
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))
