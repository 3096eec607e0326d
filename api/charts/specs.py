"""Vega-Lite specs of the charts, built with altair: pure functions from rows to a spec.

No geometry is written here: altair describes the chart, Vega-Lite lays it out, and
vl-convert draws it (``api.charts.render``). See docs/decisions/0004-charts-vega-lite.md.
"""

from __future__ import annotations

import datetime as dt
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
# More lines than this and only this many are drawn in colour, the rest in grey (as Our World in
# Data does): six hues stay apart for every reader, fourteen never did.
MOST_COLOURED = 6
GREY = "#bdbdbd"
# ``width`` is the whole image's width. Vega-Lite sizes a concatenated view (the source line
# under the legend needs one) from its content and cannot "fit" it, so every part of the layout
# is given a fixed room and the plot gets what is left: the padding, the left axis's labels
# (``label_room``, per chart, wide enough for its longest label), the axis title's gap and
# height. Titles, legends and x labels are held inside the plot's width.
_PADDING = {"left": 8, "right": 16, "top": 10, "bottom": 10}
_AXIS_TITLE_GAP = 6
_AXIS_TITLE_SIZE = 14
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


def plot_width(width: int, label_room: int) -> int:
    """The plot's width in an image ``width`` wide whose left axis labels take ``label_room``."""
    return (
        width
        - _PADDING["left"]
        - _PADDING["right"]
        - label_room
        - _AXIS_TITLE_GAP
        - (_AXIS_TITLE_SIZE)
    )


def _left_axis(label_room: int, **options: Any) -> alt.Axis:
    import altair as alt

    # minExtent = maxExtent: the labels' room is fixed, so the axis title and the plot sit at
    # the same place whatever the labels say; a label longer than the room is cut, never moved.
    return alt.Axis(
        minExtent=label_room,
        maxExtent=label_room,
        labelLimit=label_room - 8,
        titlePadding=_AXIS_TITLE_GAP,
        **options,
    )


def _legend(plot: int, *, symbol: str) -> alt.Legend:
    import altair as alt

    # Two columns only where the longest names (~45 characters at 13 px) fit whole in each;
    # a column's symbol, gap and label stay inside the plot's width.
    two = plot + 80 >= TWO_LEGEND_COLUMNS
    return alt.Legend(
        orient="bottom",
        direction="vertical",
        columns=2 if two else 1,
        labelLimit=(plot - 80) // 2 if two else plot - 40,
        symbolType=symbol,
        symbolStrokeWidth=2.5,
        title=None,
    )


def _by_category(
    channel: Callable[..., Any],
    styles: Sequence[Style],
    values: list[Any],
    plot: int,
    symbol: str,
    field: str = "category",
) -> Any:
    """``channel`` (colour, dash) of ``field``: one value per style, in the styles' order."""
    import altair as alt

    scale = alt.Scale(domain=[s.name for s in styles], range=values)
    return channel(f"{field}:N", scale=scale, legend=_legend(plot, symbol=symbol))


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
    # it stays under the legend however many rows the legend takes. Both are broken into lines
    # that fit and limited to the width inside the padding (a longer word is cut, not spilt).
    inside = width - _PADDING["left"] - _PADDING["right"]
    headed = body.properties(
        title=alt.Title(
            fit_lines(words.title, inside, _TITLE_SIZE),
            subtitle=fit_lines(words.subtitle, inside, _SUBTITLE_SIZE),
            anchor="start",
            offset=12,
            limit=inside,
            subtitlePadding=4,
        )
    )
    figure = alt.vconcat(headed).properties(
        title=alt.Title(
            fit_lines(words.source, inside, 12),
            orient="bottom",
            anchor="start",
            fontSize=12,
            fontWeight="normal",
            color=_MUTED,
            offset=18,
            limit=inside,
        ),
        description=words.description,
        padding=_PADDING,
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


# Room for each chart's left axis labels: "1,200"; "120,000"; "1201-1200" (a band), at 13 px.
CRS_LABEL_ROOM = 44
INVITATIONS_LABEL_ROOM = 60
POOL_LABEL_ROOM = 76
# Pixels between the plot's edge and its outermost round: no point sits on an axis, and a
# ringed round (radius 8.4 and its stroke) stays inside the plot.
_EDGE = 12


class TimeSpan(NamedTuple):
    """Where the time axis starts and ends (ISO dates): the ``from`` and ``to`` asked, if any;
    an end not asked for is the outermost round's, with room around it."""

    start: str | None = None
    end: str | None = None


ANY_TIME = TimeSpan()


def _utc(moment: dt.datetime) -> alt.DateTime:
    import altair as alt

    # ISO dates in the data are read as UTC midnight; so are the axis's ends.
    return alt.DateTime(
        year=moment.year,
        month=moment.month,
        date=moment.day,
        hours=moment.hour,
        minutes=moment.minute,
        utc=True,
    )


def _time_scale(dates: Sequence[str], span: TimeSpan, plot: int) -> alt.Scale:
    """The time axis: from ``from`` (or ``_EDGE`` pixels before the first round) to ``to`` (or
    as far after the last). Vega's own ``padding`` would pad an end that was asked for too."""
    import altair as alt

    first, last = (dt.datetime.fromisoformat(day) for day in (min(dates), max(dates)))
    # The span plus a room at each end fills the plot: each room is _EDGE pixels of it.
    room = (last - first) * _EDGE / (plot - 2 * _EDGE) if last > first else dt.timedelta(days=30)
    start = dt.datetime.fromisoformat(span.start) if span.start else first - room
    end = dt.datetime.fromisoformat(span.end) if span.end else last + room
    return alt.Scale(domain=[_utc(start), _utc(end)])


def crs_spec(
    rows: list[dict[str, Any]],
    coloured: Sequence[Style],
    words: Words,
    *,
    width: int,
    span: TimeSpan = ANY_TIME,
    others: str | None = None,
    highlight: dict[str, Any] | None = None,
    estimates: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Cut-off over time, one line per category. ``rows``: date, category, ``shown`` (the
    category's name, or ``others`` for a grey line), crs_min (None: a gap).

    ``coloured``: the lines drawn in colour, in the legend's order; ``others``: the legend's
    words for the grey lines drawn under them (None: every line is coloured). ``highlight``
    (a row, with ``label`` and ``align``): one round ringed and labelled. ``estimates`` (rows
    of ``estimate_layers``): each line's next-round band after its last point.
    """
    import altair as alt

    plot = plot_width(width, CRS_LABEL_ROOM)
    legend = [*coloured, *([Style(others, GREY, SOLID)] if others is not None else [])]
    base = alt.Chart(alt.InlineData(values=rows)).encode(
        x=alt.X(
            "date:T",
            title="Round date",
            # The next round's band, when there is one, is inside the axis too.
            scale=_time_scale(
                [row["date"] for row in rows] + [e["end"] for e in estimates or ()], span, plot
            ),
            # A label that would stick out past the plot's end is left out (labelBound), so
            # the image keeps its width; one on the axis's very end is aligned inside it.
            axis=alt.Axis(tickCount=8, labelOverlap=True, labelBound=True, labelFlush=True),
        ),
        y=alt.Y(
            "crs_min:Q",
            title="Cut-off CRS score (points)",
            scale=alt.Scale(zero=False, nice=True, padding=_EDGE),
            axis=_left_axis(CRS_LABEL_ROOM),
        ),
        color=_by_category(alt.Color, legend, [s.colour for s in legend], plot, "stroke", "shown"),
        strokeDash=_by_category(
            alt.StrokeDash, legend, [s.dash for s in legend], plot, "stroke", "shown"
        ),
        tooltip=[
            alt.Tooltip("date:T", title="Date"),
            alt.Tooltip("number:N", title="Round"),
            alt.Tooltip("category:N", title="Category"),
            alt.Tooltip("crs_min:Q", title="Cut-off CRS"),
        ],
    )
    line = base.mark_line(
        strokeWidth=1.75,
        strokeJoin="round",
        point=alt.OverlayMarkDef(filled=True, size=16),
        interpolate="linear",
    )
    layers: list[alt.Chart] = []
    if others is not None:
        grey = alt.datum.shown == others
        # Under the coloured lines, thinner, one line per category (`detail`), no points.
        layers.append(
            base.transform_filter(grey)
            .mark_line(strokeWidth=1.1, strokeJoin="round", interpolate="linear")
            .encode(detail="category:N")
        )
        line = line.transform_filter(~grey)
    layers.append(line)
    if estimates:
        layers.extend(estimate_layers(estimates, legend, plot))
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
        layers.extend([ring, halo, label])
    body = alt.LayerChart(layer=layers) if len(layers) > 1 else layers[0]
    return _figure(body.properties(width=plot, height=320), words, width)


# The next round's band sits at least this many days after a line's last round, at least this
# wide (api/charts/data.py BandPlace widens both on long axes): its date is unknown (no estimate
# of timing is made), so the band marks "the next round", not a day.
ESTIMATE_GAP_DAYS = 14
ESTIMATE_BAND_DAYS = 8


def estimate_layers(rows: list[dict[str, Any]], styles: Sequence[Style], plot: int) -> list[Any]:
    """A line's next-round estimate after its last point: the 95% interval as a pale band, the
    80% one darker, the estimate as a tick, labelled "estimate" (api/forecasts.py).

    ``rows``: category, shown (as the line's rows), start, end (ISO dates of the band's sides),
    estimate, lower_80, upper_80, lower_95, upper_95, label; ``styles``: the legend's."""
    import altair as alt

    data = alt.Chart(alt.InlineData(values=rows))
    # The lines' own colour scale and legend: Vega-Lite merges them into the one legend.
    colours = [s.colour for s in styles]
    colour = _by_category(alt.Color, styles, colours, plot, "stroke", "shown")
    where = {"x": alt.X("start:T"), "x2": "end:T"}
    tooltip = [
        alt.Tooltip("category:N", title="Category"),
        alt.Tooltip("estimate:Q", title="Next round: estimate"),
        alt.Tooltip("lower_80:Q", title="80% from"),
        alt.Tooltip("upper_80:Q", title="80% to"),
        alt.Tooltip("lower_95:Q", title="95% from"),
        alt.Tooltip("upper_95:Q", title="95% to"),
    ]
    wide = data.mark_rect(opacity=0.18, ariaRoleDescription="estimate: 95% interval").encode(
        **where, y="lower_95:Q", y2="upper_95:Q", color=colour, tooltip=tooltip
    )
    narrow = data.mark_rect(opacity=0.35, ariaRoleDescription="estimate: 80% interval").encode(
        **where, y="lower_80:Q", y2="upper_80:Q", color=colour, tooltip=tooltip
    )
    tick = data.mark_rule(strokeWidth=2.5, ariaRoleDescription="estimate").encode(
        **where, y="estimate:Q", color=colour
    )
    # Above the band, ending at its right side: it stays inside the plot.
    label = data.mark_text(align="right", dy=-6, fontSize=12, fontStyle="italic").encode(
        x="end:T", y="upper_95:Q", text="label:N", color=colour
    )
    return [wide, narrow, tick, label]


def invitations_spec(
    rows: list[dict[str, Any]], styles: Sequence[Style], words: Words, *, width: int
) -> dict[str, Any]:
    """Invitations per year, stacked by category. ``rows``: year, category, invitations."""
    import altair as alt

    plot = plot_width(width, INVITATIONS_LABEL_ROOM)
    bars = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_bar(stroke="white", strokeWidth=0.5)
        .encode(
            x=alt.X("year:O", title="Year", axis=alt.Axis(labelAngle=0, labelOverlap=True)),
            y=alt.Y(
                "invitations:Q",
                title="Invitations issued (candidates)",
                stack="zero",
                axis=_left_axis(INVITATIONS_LABEL_ROOM, format=",d", tickCount=6),
            ),
            color=_by_category(alt.Color, styles, [s.colour for s in styles], plot, "square"),
            order=alt.Order("rank:Q", sort="ascending"),
            tooltip=[
                alt.Tooltip("year:O", title="Year"),
                alt.Tooltip("category:N", title="Category"),
                alt.Tooltip("invitations:Q", title="Invitations", format=","),
                alt.Tooltip("draws:Q", title="Rounds"),
            ],
        )
        .properties(width=plot, height=300)
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
                axis=_left_axis(POOL_LABEL_ROOM),
            ),
            yOffset=alt.YOffset("snapshot:N", sort=list(snapshots)),
            x=alt.X(
                "candidates:Q",
                title="Candidates in the pool",
                axis=alt.Axis(format=",d", tickCount=5, labelOverlap=True),
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
        .properties(width=plot_width(width, POOL_LABEL_ROOM), height=alt.Step(9))
    )
    return _figure(bars, words, width)
