"""Chart pieces that need no database: gaps, styles, accessible SVG."""

from __future__ import annotations

from api.charts import Chart, ChartTable
from api.charts.data import _with_gaps
from api.charts.render import accessible_svg
from api.charts.specs import category_styles, fit_lines


def test_a_pause_longer_than_half_a_year_breaks_the_line() -> None:
    points = [
        {"date": "2020-01-01", "category": "CEC", "crs_min": 470},
        {"date": "2020-02-01", "category": "PNP", "crs_min": 700},
        {"date": "2020-03-01", "category": "CEC", "crs_min": 460},
        {"date": "2021-03-01", "category": "CEC", "crs_min": 450},
    ]
    drawn = _with_gaps(points)
    gaps = [p for p in drawn if p["crs_min"] is None]
    assert gaps == [{"date": "2020-08-30", "category": "CEC", "crs_min": None}]
    assert [p for p in drawn if p["crs_min"] is not None] == points


def test_every_category_of_fourteen_is_drawn_differently() -> None:
    styles = category_styles([f"c{i}" for i in range(14)])
    assert len({(s.colour, tuple(s.dash)) for s in styles}) == 14
    assert len({s.colour for s in styles[:7]}) == 7, "the seven busiest lines get seven hues"


def test_svg_gets_an_escaped_title_and_description_for_screen_readers() -> None:
    chart = Chart(
        name="crs",
        title="Cut-offs <by> category & more",
        description='"Quoted" <script>',
        source="Source: IRCC",
        spec={},
        table=ChartTable(columns=(), headers=(), rows=[]),
    )
    svg = accessible_svg('<?xml version="1.0"?><svg width="10" height="10"><rect/></svg>', chart)
    assert svg.startswith(
        '<?xml version="1.0"?><svg width="10" height="10" role="img" '
        'aria-labelledby="eedraws-crs-title eedraws-crs-desc">'
        '<title id="eedraws-crs-title">Cut-offs &lt;by&gt; category &amp; more</title>'
    )
    assert "&quot;Quoted&quot; &lt;script&gt; Source: IRCC</desc><rect/>" in svg


def test_titles_break_into_lines_that_fit_a_narrow_chart() -> None:
    title = "Candidates in the pool on 2026-04-12, beside 2026-03-29; bands as IRCC publishes them"
    assert fit_lines(title, 640, 14) == title
    lines = fit_lines(title, 360, 14)
    assert isinstance(lines, list) and len(lines) > 1
    assert " ".join(lines) == title
    assert all(len(line) * 0.5 * 14 <= 360 for line in lines)
