"""The report's charts as inline SVG strings, drawn in Python with no charting library.

A report built this way is a few hundred kilobytes at most, opens offline and makes no request; plotly made
every report 4.9 MB. Charts are drawn on a 480-unit-wide viewBox with 13-unit text so they stay readable
when the page is 400 px wide; each has a legend, and each bar has a <title> (its exact value on hover).
Every string that reaches the SVG is escaped.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 480
FONT = 13
TEXT = "#0f172a"
MUTED = "#475569"
GRID = "#e2e8f0"


@dataclass(frozen=True)
class Series:
    name: str
    color: str
    values: Sequence[int]


def _text(
    x: float, y: float, text: str, *, anchor: str = "start", color: str = TEXT, size: int = FONT
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{color}" text-anchor="{anchor}">'
        f"{escape(text)}</text>"
    )


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _nice_max(value: int) -> int:
    """A round axis maximum at or above `value` (1, 2, 5 x 10^n)."""
    if value <= 0:
        return 1
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover


def legend(series: Sequence[tuple[str, str]], y: float) -> tuple[str, float]:
    """Swatches and names, wrapped over as many rows as needed; returns the SVG and the height used."""
    parts: list[str] = []
    x, row = 0.0, 0
    for name, color in series:
        width = 22 + 7.5 * len(name)
        if x and x + width > WIDTH:
            x, row = 0.0, row + 1
        top = y + row * 20
        parts.append(f'<rect x="{x:.1f}" y="{top:.1f}" width="12" height="12" rx="2" fill="{color}"/>')
        parts.append(_text(x + 16, top + 11, name, size=12))
        x += width + 10
    return "".join(parts), (row + 1) * 20


def _svg(title: str, body: str, height: float) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height:.0f}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="Inter, Segoe UI, Helvetica, Arial, sans-serif">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def stacked_columns(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    partial: Collection[int] = (),
    line: Series | None = None,
) -> str:
    """Columns stacked by series (opened per day by severity), an optional line (resolved per day), and
    the `partial` columns (days the period covers only in part, such as today so far) drawn hatched and
    labelled, so a short column does not read as a drop."""
    keys = [(s.name, s.color) for s in series] + ([(line.name, line.color)] if line else [])
    legend_svg, legend_height = legend(keys, 0)
    if partial:
        legend_svg += _text(0, legend_height + 10, "hatched: a partial day (today so far)", color=MUTED)
        legend_height += 16
    top, left, bottom = legend_height + 14, 44.0, 28.0
    plot_height = 200.0
    height = top + plot_height + bottom
    count = max(1, len(labels))
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    peak = max([*totals, *(line.values if line else [])], default=0)
    axis_max = _nice_max(peak)
    scale = plot_height / axis_max
    step = (WIDTH - left) / count
    bar = max(1.0, step * 0.7)
    parts = [legend_svg]
    parts.append(
        '<defs><pattern id="partial" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)">'
        '<rect width="3" height="6" fill="#ffffff" opacity="0.6"/></pattern></defs>'
    )
    for fraction in (0.0, 0.5, 1.0):
        y = top + plot_height * (1 - fraction)
        parts.append(f'<line x1="{left}" x2="{WIDTH}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        parts.append(_text(left - 6, y + 4, f"{round(axis_max * fraction):,}", anchor="end", color=MUTED))
    for i, label in enumerate(labels):
        x = left + i * step + (step - bar) / 2
        y = top + plot_height
        for s in series:
            value = s.values[i]
            if not value:
                continue
            h = value * scale
            y -= h
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{s.color}"><title>{escape(label)}: {value:,} {escape(s.name)}</title></rect>'
            )
        if i in partial and totals[i]:
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{top + plot_height - y:.1f}" '
                f'fill="url(#partial)"><title>{escape(label)}: so far (partial)</title></rect>'
            )
    every = max(1, round(count / 6))
    for i, label in enumerate(labels):
        if i % every == 0 or i == count - 1:
            x = left + i * step + step / 2
            anchor = "end" if i == count - 1 and count > 1 else "middle"  # the last one stays inside
            x = WIDTH if anchor == "end" else x
            parts.append(_text(x, top + plot_height + 18, label[5:], anchor=anchor, color=MUTED, size=11))
    if line and labels:
        points = " ".join(
            f"{left + i * step + step / 2:.1f},{top + plot_height - v * scale:.1f}"
            for i, v in enumerate(line.values)
        )
        parts.append(f'<polyline points="{points}" fill="none" stroke="{line.color}" stroke-width="2"/>')
    return _svg(title, "".join(parts), height)


def stacked_bars(
    title: str, rows: Sequence[tuple[str, Sequence[int]]], series: Sequence[tuple[str, str]]
) -> str:
    """Horizontal bars stacked by series (age buckets or accounts by severity), value at the end."""
    legend_svg, legend_height = legend(series, 0)
    top, left, row_height = legend_height + 10, 150.0, 26.0
    height = top + row_height * max(1, len(rows)) + 6
    peak = max((sum(values) for _label, values in rows), default=0)
    axis_max = _nice_max(peak)
    scale = (WIDTH - left - 56) / axis_max
    parts = [legend_svg]
    if not rows:
        parts.append(_text(0, top + 18, "nothing to show", color=MUTED))
    for r, (label, values) in enumerate(rows):
        y = top + r * row_height
        parts.append(f"<g><title>{escape(label)}</title>{_text(0, y + 17, _short(label, 20))}</g>")
        x = left
        for (name, color), value in zip(series, values, strict=True):
            if not value:
                continue
            w = value * scale
            parts.append(
                f'<rect class="bar" x="{x:.1f}" y="{y + 4:.1f}" width="{w:.1f}" '
                f'height="{row_height - 8:.1f}" '
                f'fill="{color}"><title>{escape(label)}: {value:,} {escape(name)}</title></rect>'
            )
            x += w
        parts.append(_text(x + 6, y + 17, f"{sum(values):,}", color=MUTED))
    return _svg(title, "".join(parts), height)
