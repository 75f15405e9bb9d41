"""The report's charts as SVG drawn on the server: no script, no style attribute, colours by
class from ``static/hoso.css``, so the pages' strict CSP holds and the charts print.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` naming what it shows;
the figures themselves are in the page's tables beside it, for screen readers and for copying.
Texts arrive translated; every text and class is escaped here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from markupsafe import Markup, escape

WIDTH = 320
"""The width of every chart's view box: it scales to the page, at about its own size on a
360 px phone, so its text stays readable there."""
_FONT = 14
LINE = 20


class Series(NamedTuple):
    """One coloured part of the bars: its CSS class and its legend's text."""

    css: str
    label: str


def _svg(height: int, title: str, description: str, body: list[str]) -> Markup:
    return Markup(  # noqa: S704 - every text and class in it was escaped here
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>"
        + "".join(body) + "</svg>")


def _legend(series: Sequence[Series], y: int) -> list[str]:
    """A key line per series, from ``y`` down (``LINE`` each)."""
    parts = []
    for item in series:
        parts.append(f'<rect class="{escape(item.css)}" x="0" y="{y}" width="14" '
                     'height="14"></rect>'
                     f'<text x="20" y="{y + 12}" class="chart-text">{escape(item.label)}</text>')
        y += LINE
    return parts


def stacked_columns(title: str, description: str, labels: Sequence[str],
                    values: Sequence[Sequence[int]], series: Sequence[Series],
                    first: str = "", last: str = "") -> Markup:
    """Columns, one per label, each stacking its ``values`` (one per series) bottom up;
    ``first`` and ``last`` are written under the first and the last column."""
    top, plot = 10, 180
    peak = max((sum(column) for column in values), default=0) or 1
    step = WIDTH / max(len(labels), 1)
    body = [f'<line class="chart-axis" x1="0" y1="{top + plot}" x2="{WIDTH}" '
            f'y2="{top + plot}"></line>',
            f'<text class="chart-text" x="0" y="{top + _FONT}">{peak}</text>']
    for index, (label, column) in enumerate(zip(labels, values, strict=True)):
        base: float = top + plot
        for item, value in zip(series, column, strict=True):
            if not value:
                continue
            height = value / peak * (plot - _FONT - 4)
            base -= height
            body.append(f'<rect class="{escape(item.css)}" x="{index * step + step * 0.1:.1f}" '
                        f'y="{base:.1f}" width="{step * 0.8:.1f}" height="{height:.1f}">'
                        f"<title>{escape(label)} · {escape(item.label)}: {value}</title>"
                        "</rect>")
    axis = top + plot + _FONT + 4
    body.append(f'<text class="chart-text" x="0" y="{axis}">{escape(first)}</text>')
    body.append(f'<text class="chart-text chart-end" x="{WIDTH}" y="{axis}">'
                f"{escape(last)}</text>")
    body += _legend(series, axis + 10)
    return _svg(axis + 14 + LINE * len(series), title, description, body)


def bars(title: str, description: str, labels: Sequence[str],
         values: Sequence[Sequence[float]], series: Sequence[Series],
         written: Callable[[float], str] = str, percent: bool = False) -> Markup:
    """Horizontal bars, a row per label with one bar per series under its name, each value
    ``written`` beside its bar; with ``percent`` the values are rates from 0 to 1 drawn
    against 100 %."""
    peak = 1.0 if percent else max((v for row in values for v in row), default=0) or 1
    bar, y, body = 14, 0, []
    for label, row in zip(labels, values, strict=True):
        y += _FONT + 2
        body.append(f'<text class="chart-text" x="0" y="{y}">{escape(label)}</text>')
        y += 4
        for item, value in zip(series, row, strict=True):
            shown = written(value)
            width = max(value / peak * (WIDTH - 80), 0)
            body.append(f'<rect class="{escape(item.css)}" x="0" y="{y}" width="{width:.1f}" '
                        f'height="{bar}"><title>{escape(label)} · {escape(item.label)}: '
                        f"{shown}</title></rect>"
                        f'<text class="chart-text" x="{width + 6:.1f}" y="{y + 12}">'
                        f"{shown}</text>")
            y += bar + 3
        y += 6
    body += _legend(series, y + 4)
    return _svg(y + 8 + LINE * len(series), title, description, body)
