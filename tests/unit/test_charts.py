"""The usage chart's geometry and its table alternative."""

from __future__ import annotations

import re

from jinja2 import Environment, FileSystemLoader

from portal import i18n
from portal.web.charts import ChartPoint, bar_chart, nice_step
from portal.web.templating import TEMPLATE_DIR


def points() -> list[ChartPoint]:
    return [
        ChartPoint("Jan", "January 2026", 4000),
        ChartPoint("Feb", "February 2026", 0, estimated=True),
        ChartPoint("Mar", "March 2026", 9100, highlight=True),
    ]


def test_nice_steps_are_round_numbers() -> None:
    assert nice_step(9100) == 2500
    assert nice_step(12) == 5
    assert nice_step(0) == 1


def test_bars_are_scaled_from_zero_and_the_tallest_fits() -> None:
    chart = bar_chart(points(), title="Water use", unit="gallons", width=360, height=180)
    heights = [bar.height for bar in chart.bars]
    assert heights[1] == 0
    plot_height = 180 - 10 - 24
    # scale top is 10,000 (4 steps of 2,500): 9,100 gal is 91% of the plot
    assert heights[2] == round(plot_height * 0.91, 1)
    assert heights[0] == round(plot_height * 0.40, 1)
    assert all(bar.y + bar.height <= 180 - 24 + 0.1 for bar in chart.bars)
    assert [g.text for g in chart.gridlines] == ["0", "2,500", "5,000", "7,500", "10,000"]
    assert "Highest: March 2026, 9,100 gallons" in chart.description
    assert "This period: 9,100 gallons" in chart.description


def test_the_component_draws_an_svg_with_a_name_and_a_table_with_the_same_figures() -> None:
    env = Environment(loader=FileSystemLoader(TEMPLATE_DIR), extensions=["jinja2.ext.i18n"], autoescape=True)
    env.install_gettext_callables(  # type: ignore[attr-defined]  # jinja2.ext.i18n adds it to the environment
        lambda m, **kw: i18n.gettext(m) % kw if kw else i18n.gettext(m),
        lambda s, p, n, **kw: s if n == 1 else p,
        newstyle=True,
    )
    macro = env.from_string('{% from "components/charts.html" import usage_chart %}{{ usage_chart(chart, "u") }}')
    html = macro.render(chart=bar_chart(points(), title="Water use", unit="gallons"))
    assert 'role="img" aria-labelledby="u-title u-desc"' in html
    assert len(re.findall(r"<rect ", html)) == 3
    assert "chart__bar--current" in html and "chart__bar--estimated" in html
    rows = re.findall(r'<th scope="row">([^<]+)</th>\s*<td class="num">([^<]+)</td>', html)
    assert [(label.strip(), value.strip()) for label, value in rows] == [
        ("January 2026", "4,000"),
        ("February 2026", "0 (estimated)"),
        ("March 2026 (current period)", "9,100"),
    ]
    assert "Use (gallons)" in html  # the unit is in the heading, once


def test_an_empty_chart_says_so() -> None:
    chart = bar_chart([], title="Water use", unit="gallons")
    assert chart.empty and chart.description == ""


def test_a_year_before_comparison_draws_a_second_bar_beside_and_a_table_column() -> None:
    compared = [ChartPoint("Jan", "January 2026", 4000, previous=5000), ChartPoint("Feb", "February 2026", 3000)]
    chart = bar_chart(compared, title="Water use", unit="gallons", width=360, height=180)
    first, second = chart.bars
    assert chart.any_previous and first.previous_height is not None and second.previous_height is None
    assert first.previous_x + first.width <= first.x + 0.1  # side by side, last year on the left
    assert first.previous_height > first.height  # 5,000 is taller than 4,000 on the same scale
    env = Environment(loader=FileSystemLoader(TEMPLATE_DIR), extensions=["jinja2.ext.i18n"], autoescape=True)
    env.install_null_translations(newstyle=True)
    html = env.from_string(
        '{% from "components/charts.html" import usage_chart %}{{ usage_chart(chart, "u") }}'
    ).render(chart=chart)
    assert "chart__bar--previous" in html and "A year before" in html and "5,000 gallons" in html
