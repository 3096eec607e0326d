"""Vega-Lite specs of the charts, built with altair: pure functions from rows to a spec.

No geometry is written here: altair describes the chart, Vega-Lite lays it out, and
vl-convert draws it (``api.charts.render``). See docs/decisions/0004-charts-vega-lite.md.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

# altair is imported where a spec is built, not with the app: it adds ~0.4 s to a worker's start.
if TYPE_CHECKING:
    import altair as alt

# Okabe & Ito's palette, told apart with every common colour-vision deficiency; its yellow is
# left out (too faint on white for a thin line). Past seven lines the hues repeat as lighter
# tints, and lines also get a dash, so no category is told from another by hue alone.
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
TINTS = ("#7FB8D8", "#EAAE7F", "#7FCEB9", "#E5BCD3", "#F2CF7F", "#AAD9F4", "#7F7F7F")
SOLID: list[float] = [1, 0]
DASHED: list[float] = [6, 3]

DEFAULT_WIDTH = 640
TWO_LEGEND_COLUMNS = 720
MIN_WIDTH = 320
MAX_WIDTH = 1600
# Left axis and its title, and the right padding: what the plot leaves of the total width.
_GUTTER = 80
_FONT = "Helvetica, Arial, sans-serif"
_INK = "#1a1a1a"
_MUTED = "#4d4d4d"
_TITLE_SIZE = 18
_SUBTITLE_SIZE = 14


class Words(NamedTuple):
    """What a chart says in words: its heading, what it shows (for screen readers), its source."""

    title: str
    subtitle: str | list[str]
    description: str
    source: str


class Style(NamedTuple):
    """How one category is drawn, the same in every chart whatever else is on it."""

    name: str
    colour: str
    dash: list[float]


def category_styles(names: Sequence[str]) -> list[Style]:
    """A style per category, in the order given (most rounds first, so those get full hues)."""
    cycle = OKABE_ITO + TINTS
    return [
        Style(name, cycle[i % len(cycle)], SOLID if i % len(cycle) < len(OKABE_ITO) else DASHED)
        for i, name in enumerate(names)
    ]


def _plot_width(width: int, gutter: int = _GUTTER) -> int:
    return max(width - gutter, 200)


def _legend(width: int, *, symbol: str) -> alt.Legend:
    import altair as alt

    # Two columns only where the longest names (~45 characters at 13 px) fit whole in each.
    two = width >= TWO_LEGEND_COLUMNS
    return alt.Legend(
        orient="bottom",
        direction="vertical",
        columns=2 if two else 1,
        labelLimit=(width - 80) // 2 if two else width - 40,
        symbolType=symbol,
        symbolStrokeWidth=2.5,
        title=None,
    )


def _by_category(
    channel: Callable[..., Any], styles: Sequence[Style], values: list[Any], width: int, symbol: str
) -> Any:
    """``channel`` (colour, dash) of ``category``: one value per style, in the styles' order."""
    import altair as alt

    scale = alt.Scale(domain=[s.name for s in styles], range=values)
    return channel("category:N", scale=scale, legend=_legend(width, symbol=symbol))


def fit_lines(text: str | list[str], width: int, font_size: float) -> str | list[str]:
    """``text`` broken into lines that fit ``width`` pixels (Vega does not wrap titles).

    A line holds about width / (0.5 * font size) characters of a sans-serif face.
    """
    lines = [text] if isinstance(text, str) else text
    chars = int((width - 24) / (0.5 * font_size))
    fitted = [part for line in lines for part in textwrap.wrap(line, chars) or [""]]
    return fitted[0] if len(fitted) == 1 else fitted


def _figure(body: alt.Chart | alt.LayerChart, words: Words, width: int) -> dict[str, Any]:
    import altair as alt

    # The heading is the chart's own title; the source line is the figure's, at the bottom, so
    # it stays under the legend however many rows the legend takes.
    headed = body.properties(
        title=alt.Title(
            fit_lines(words.title, width, _TITLE_SIZE),
            subtitle=fit_lines(words.subtitle, width, _SUBTITLE_SIZE),
            anchor="start",
            offset=12,
        )
    )
    figure = alt.vconcat(headed).properties(
        title=alt.Title(
            fit_lines(words.source, width, 12),
            orient="bottom",
            anchor="start",
            fontSize=12,
            fontWeight="normal",
            color=_MUTED,
            offset=18,
        ),
        description=words.description,
        padding={"left": 8, "right": 16, "top": 10, "bottom": 10},
    )
    spec: dict[str, Any] = (
        figure.configure(font=_FONT, background="white")
        .configure_axis(
            labelFontSize=13,
            titleFontSize=14,
            labelColor=_INK,
            titleColor=_INK,
            titleFontWeight="normal",
            gridColor="#e3e3e3",
        )
        .configure_legend(labelFontSize=13, labelColor=_INK, rowPadding=4)
        .configure_title(
            fontSize=_TITLE_SIZE, subtitleFontSize=_SUBTITLE_SIZE, color=_INK, subtitleColor=_MUTED
        )
        .configure_view(stroke=None)
        .to_dict(validate=False)
    )
    return spec


def crs_spec(
    rows: list[dict[str, Any]],
    styles: Sequence[Style],
    words: Words,
    *,
    width: int,
    highlight: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Cut-off over time, one line per category. ``rows``: date, category, crs_min (None: gap).

    ``highlight`` (a row, with ``label`` and ``align``): one round ringed and labelled.
    """
    import altair as alt

    line = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_line(
            strokeWidth=1.75,
            strokeJoin="round",
            point=alt.OverlayMarkDef(filled=True, size=16),
            interpolate="linear",
        )
        .encode(
            x=alt.X("date:T", title="Round date", axis=alt.Axis(tickCount=8, labelOverlap=True)),
            y=alt.Y(
                "crs_min:Q",
                title="Cut-off CRS score (points)",
                scale=alt.Scale(zero=False, nice=True),
            ),
            color=_by_category(alt.Color, styles, [s.colour for s in styles], width, "stroke"),
            strokeDash=_by_category(
                alt.StrokeDash, styles, [s.dash for s in styles], width, "stroke"
            ),
            tooltip=[
                alt.Tooltip("date:T", title="Date"),
                alt.Tooltip("number:N", title="Round"),
                alt.Tooltip("category:N", title="Category"),
                alt.Tooltip("crs_min:Q", title="Cut-off CRS"),
            ],
        )
        .properties(width=_plot_width(width), height=320)
    )
    body: alt.Chart | alt.LayerChart = line
    if highlight is not None:
        marked = alt.Chart(alt.InlineData(values=[highlight])).encode(
            x="date:T", y="crs_min:Q", text="label:N"
        )
        ring = marked.mark_point(size=220, strokeWidth=2.5, color=_INK, filled=False)
        left = highlight["align"] == "left"
        text = {
            "align": highlight["align"],
            "dx": 12 if left else -12,
            "dy": -14,
            "fontSize": 14,
            "fontWeight": "bold",
        }
        # A white outline under the label keeps it legible where it crosses a line.
        halo = marked.mark_text(**text, stroke="white", strokeWidth=4, strokeJoin="round")
        label = marked.mark_text(**text, color=_INK)
        body = alt.LayerChart(layer=[line, ring, halo, label])
    return _figure(body, words, width)


def invitations_spec(
    rows: list[dict[str, Any]], styles: Sequence[Style], words: Words, *, width: int
) -> dict[str, Any]:
    """Invitations per year, stacked by category. ``rows``: year, category, invitations."""
    import altair as alt

    bars = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_bar(stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X("year:O", title="Year", axis=alt.Axis(labelAngle=0, labelOverlap=True)),
            y=alt.Y(
                "invitations:Q",
                title="Invitations issued (candidates)",
                stack="zero",
                axis=alt.Axis(format=",d", tickCount=6),
            ),
            color=_by_category(alt.Color, styles, [s.colour for s in styles], width, "square"),
            order=alt.Order("rank:Q", sort="ascending"),
            tooltip=[
                alt.Tooltip("year:O", title="Year"),
                alt.Tooltip("category:N", title="Category"),
                alt.Tooltip("invitations:Q", title="Invitations", format=","),
                alt.Tooltip("draws:Q", title="Rounds"),
            ],
        )
        .properties(width=_plot_width(width), height=300)
    )
    return _figure(bars, words, width)


def pool_spec(
    rows: list[dict[str, Any]], snapshots: Sequence[str], words: Words, *, width: int
) -> dict[str, Any]:
    """Candidates per CRS band, one bar per snapshot. ``rows``: band, rank, snapshot, candidates.

    ``snapshots`` is oldest first; the newest is drawn dark, the one before it light, so the
    pair reads as "then" and "now" in lightness as well as in hue.
    """
    import altair as alt

    palette = ["#9ecae1", "#08519c"][-len(snapshots) :]
    bars = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_bar()
        .encode(
            y=alt.Y(
                "band:N",
                title="CRS score band (points)",
                sort=alt.EncodingSortField("rank", order="ascending"),
            ),
            yOffset=alt.YOffset("snapshot:N", sort=list(snapshots)),
            x=alt.X(
                "candidates:Q",
                title="Candidates in the pool",
                axis=alt.Axis(format=",d", tickCount=5),
            ),
            color=alt.Color(
                "snapshot:N",
                scale=alt.Scale(domain=list(snapshots), range=palette),
                legend=alt.Legend(orient="bottom", direction="horizontal", title="Pool as of"),
            ),
            tooltip=[
                alt.Tooltip("snapshot:N", title="Pool as of"),
                alt.Tooltip("band:N", title="CRS band"),
                alt.Tooltip("candidates:Q", title="Candidates", format=","),
            ],
        )
        .properties(width=_plot_width(width, gutter=120), height=alt.Step(9))
    )
    return _figure(bars, words, width)
