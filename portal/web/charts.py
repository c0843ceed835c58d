"""Small usage charts drawn on the server: the geometry of an SVG bar chart plus the same figures for a table.

No JavaScript and no chart library: `bar_chart(...)` returns plain values and `templates/components/charts.html`
(`usage_chart(chart, id)`) draws them as an SVG with a title and description, followed by a table alternative.
Styling comes from classes in app.css (the CSP allows no inline styles).

    from portal.web.charts import ChartPoint, bar_chart
    chart = bar_chart([ChartPoint("Jul", "July 2026", 6200), ...], title=_("Water use"), unit=_("gallons"))
    {% from "components/charts.html" import usage_chart %} {{ usage_chart(chart, "usage") }}
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from portal import i18n


@dataclass(frozen=True)
class ChartPoint:
    short_label: str  # under the bar: "Jul"
    label: str  # in the table and the bar's tooltip: "July 2026"
    value: float
    highlight: bool = False  # the current period
    estimated: bool = False
    previous: float | None = None  # the same period a year before: drawn as a lighter bar beside this one


@dataclass(frozen=True)
class Bar:
    point: ChartPoint
    value_text: str
    x: float
    y: float
    width: float
    height: float
    label_x: float
    # the same period a year before, beside the bar (None when the point has none)
    previous_x: float | None = None
    previous_y: float | None = None
    previous_height: float | None = None
    previous_text: str | None = None
    # the figures alone, for the table under the chart whose headings name the unit (with it, the Spanish table was
    # wider than a phone)
    figure: str = ""
    previous_figure: str | None = None


@dataclass(frozen=True)
class Gridline:
    y: float
    text: str


@dataclass(frozen=True)
class BarChart:
    title: str
    description: str  # what a screen reader says for the picture
    unit: str
    bars: tuple[Bar, ...]
    gridlines: tuple[Gridline, ...]
    width: int
    height: int
    plot_left: float
    plot_right: float
    label_y: float
    any_estimated: bool
    any_previous: bool = False

    @property
    def empty(self) -> bool:
        return not self.bars


def nice_step(maximum: float, lines: int = 4) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about `lines` gridlines up to the maximum."""
    if maximum <= 0:
        return 1
    raw = maximum / lines
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def _fmt(value: float) -> str:
    return i18n.format_number(int(value) if float(value).is_integer() else round(value, 1))


def bar_chart(
    points: Sequence[ChartPoint],
    *,
    title: str,
    unit: str,
    width: int = 360,
    height: int = 180,
) -> BarChart:
    """Lay out one bar per point, oldest first, on a scale that starts at zero."""
    top, bottom, left, right = 10.0, 24.0, 44.0, 6.0
    plot_height = height - top - bottom
    plot_width = width - left - right
    any_previous = any(p.previous is not None for p in points)
    maximum = max([p.value for p in points] + [p.previous for p in points if p.previous is not None], default=0)
    step = nice_step(maximum)
    scale_top = step * max(1, math.ceil(maximum / step)) if maximum > 0 else step
    gridlines = []
    value = 0.0
    while value <= scale_top + 1e-9:
        y = top + plot_height - plot_height * value / scale_top
        gridlines.append(Gridline(round(y, 1), _fmt(value)))
        value += step
    slot = plot_width / max(1, len(points))
    # With a year-before comparison each slot holds two bars side by side: last year's (left), this year's.
    bar_width = max(2.0, slot * (0.4 if any_previous else 0.7))
    bars = []
    for index, point in enumerate(points):
        bar_height = plot_height * max(0.0, point.value) / scale_top
        x = left + index * slot + (slot - bar_width) / 2 + (bar_width / 2 if any_previous else 0)
        previous: dict[str, Any] = {}  # Bar's previous_* fields, when there is a year before
        if point.previous is not None:
            previous_height = plot_height * max(0.0, point.previous) / scale_top
            previous = {
                "previous_x": round(x - bar_width, 1),
                "previous_y": round(top + plot_height - previous_height, 1),
                "previous_height": round(previous_height, 1),
                "previous_text": f"{_fmt(point.previous)} {unit}",
                "previous_figure": _fmt(point.previous),
            }
        bars.append(
            Bar(
                point,
                f"{_fmt(point.value)} {unit}",
                round(x, 1),
                round(top + plot_height - bar_height, 1),
                round(bar_width, 1),
                round(bar_height, 1),
                round(x + bar_width / 2 - (bar_width / 2 if any_previous else 0), 1),
                figure=_fmt(point.value),
                **previous,
            )
        )
    description = ""
    if points:
        highest = max(points, key=lambda p: p.value)
        description = i18n.gettext(
            "%(count)s periods from %(first)s to %(last)s. Highest: %(high_label)s, %(high)s %(unit)s.",
            count=len(points),
            first=points[0].label,
            last=points[-1].label,
            high_label=highest.label,
            high=_fmt(highest.value),
            unit=unit,
        )
        current = [p for p in points if p.highlight]
        if current:
            description += " " + i18n.gettext(
                "This period: %(value)s %(unit)s.", value=_fmt(current[-1].value), unit=unit
            )
    return BarChart(
        title=title,
        description=description,
        unit=unit,
        bars=tuple(bars),
        gridlines=tuple(gridlines),
        width=width,
        height=height,
        plot_left=left,
        plot_right=width - right,
        label_y=height - 8,
        any_estimated=any(p.estimated for p in points),
        any_previous=any_previous,
    )
