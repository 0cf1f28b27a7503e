"""Small server-rendered SVG bar charts: no script, no inline style, text on every bar.

A bar whose value is hidden by small-cell suppression is drawn as no bar, with its text label
("<10") in its place, so a suppressed figure is never turned into a length that can be read off.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from markupsafe import Markup

WIDTH = 640
LABEL_WIDTH = 150  # left column of horizontal charts
VALUE_ROOM = 70  # room right of the longest bar for its text
ROW = 28
BAR = 18


@dataclass(frozen=True)
class Bar:
    """One bar: ``value`` None means nothing to draw, ``text`` says why (``<10``, ``–``)."""

    label: str
    value: float | None
    text: str
    marker: float | None = None  # e.g. the SLA, drawn as a line across the bar's row
    hidden: bool = False  # suppressed: the text says so, and no bar is drawn

    @property
    def css(self) -> str:
        return "chart-value chart-suppressed" if self.hidden else "chart-value"


def _svg(chart_id: str, title: str, desc: str, height: int, body: list[str]) -> Markup:
    head = (
        f'<svg class="chart" id="{escape(chart_id)}" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _text(x: float, y: float, value: str, css: str, anchor: str = "start") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" class="{css}" text-anchor="{anchor}">{escape(value)}</text>'
    )


def _scale(bars: list[Bar]) -> float:
    values = [b.value for b in bars if b.value is not None]
    values += [b.marker for b in bars if b.marker is not None]
    return max(values, default=0) or 1


def horizontal_bars(
    chart_id: str,
    *,
    title: str,
    desc: str,
    bars: list[Bar],
    maximum: float | None = None,
    marker_label: str = "",
) -> Markup:
    """One row per bar, label on the left; an optional marker line per row (e.g. the SLA)."""
    top = 24 if marker_label else 8
    height = top + ROW * max(len(bars), 1) + 8
    span = WIDTH - LABEL_WIDTH - VALUE_ROOM
    scale = span / (maximum or _scale(bars))
    body = [_text(LABEL_WIDTH, 14, marker_label, "chart-legend")] if marker_label else []
    for i, bar in enumerate(bars):
        y = top + i * ROW
        mid = y + BAR / 2 + 4
        body.append(_text(LABEL_WIDTH - 8, mid, bar.label, "chart-label", "end"))
        length = 0 if bar.hidden else (bar.value or 0) * scale
        if bar.value is not None and not bar.hidden and length > 0:
            body.append(
                f'<rect class="chart-bar" x="{LABEL_WIDTH}" y="{y}" '
                f'width="{length:.1f}" height="{BAR}"/>'
            )
        body.append(_text(LABEL_WIDTH + length + 6, mid, bar.text, bar.css))
        if bar.marker is not None:
            x = LABEL_WIDTH + bar.marker * scale
            body.append(
                f'<line class="chart-marker" x1="{x:.1f}" x2="{x:.1f}" '
                f'y1="{y - 3}" y2="{y + BAR + 3}"/>'
            )
    return _svg(chart_id, title, desc, height, body)


def vertical_bars(chart_id: str, *, title: str, desc: str, bars: list[Bar]) -> Markup:
    """Columns (e.g. months) with the value above each and the label below."""
    plot_top, plot_height, bottom = 20, 160, 28
    height = plot_top + plot_height + bottom
    slot = (WIDTH - 16) / max(len(bars), 1)
    width = min(slot * 0.7, 60)
    scale = plot_height / _scale(bars)
    baseline = plot_top + plot_height
    body = [f'<line class="chart-axis" x1="8" x2="{WIDTH - 8}" y1="{baseline}" y2="{baseline}"/>']
    for i, bar in enumerate(bars):
        centre = 8 + slot * i + slot / 2
        length = 0 if bar.hidden else (bar.value or 0) * scale
        if bar.value is not None and not bar.hidden and length > 0:
            body.append(
                f'<rect class="chart-bar" x="{centre - width / 2:.1f}" '
                f'y="{baseline - length:.1f}" width="{width:.1f}" height="{length:.1f}"/>'
            )
        body.append(_text(centre, baseline - length - 5, bar.text, bar.css, "middle"))
        body.append(_text(centre, baseline + 18, bar.label, "chart-label", "middle"))
    return _svg(chart_id, title, desc, height, body)
