"""/v1/charts: each chart as SVG, PNG, its Vega-Lite spec and the CSV of what it draws.

Twelve operations from two tables: ``CHARTS`` (each chart's parameters, gathered into a
``ChartOrder``) and ``FORMATS`` (its media types). The order is built and drawn in a chart
process (``api.charts.drawers``), never on the worker's event loop. A chart of rounds takes
the draw filter as one dependency (``DRAW_FILTER``), so a filter added to ``api.filters``
reaches every chart with no edit here (it travels in the order's ``draw_filter``); a chart's
own parameters (``width``, ``highlight``, ``focus``) are parsed like every other integer or
text parameter, with the same 400 problems, and a new one is a field of ``ChartOrder``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get
from litestar.di import Provide
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.params import QueryParameter

from api.charts.drawers import ChartDrawers, ChartOrder, DrawnChart
from api.charts.specs import DEFAULT_WIDTH, MAX_WIDTH, MIN_WIDTH, MOST_COLOURED
from api.filters import SLUG, DrawFilter, check_slug, parse_int
from api.reads import ROUND_NUMBER
from api.rest.formats import file_name
from api.rest.params import DRAW_FILTER, text_query

SVG = "image/svg+xml"
PNG = "image/png"
VEGA_LITE = "application/json"
CSV = "text/csv"

# --- parameters ------------------------------------------------------------------------------

WidthParam = Annotated[
    str,
    text_query(
        "width",
        "Width of the whole image in CSS pixels (PNG: twice as many device pixels)",
        type="integer",
        minimum=MIN_WIDTH,
        maximum=MAX_WIDTH,
        default=DEFAULT_WIDTH,
    ),
]
HighlightParam = Annotated[
    str | None,
    QueryParameter(
        name="highlight",
        description="A round to ring and label, e.g. `385`; one the draw filters leave out is "
        "not drawn, so not marked",
        max_length=12,
        pattern=ROUND_NUMBER.pattern,
    ),
]
FocusParam = Annotated[
    list[str] | None,
    QueryParameter(
        name="focus",
        description=f"Category slugs (repeatable) to draw in colour; the other lines drawn are "
        f"grey. By default every line is coloured, or past {MOST_COLOURED} lines the "
        f"{MOST_COLOURED} with the most rounds drawn",
        schema_extra={
            "type": OpenAPIType.ARRAY,
            "items": Schema(
                type=OpenAPIType.STRING, min_length=1, max_length=64, pattern=SLUG.pattern
            ),
            "one_of": None,
        },
    ),
]


def provide_width(width: WidthParam = str(DEFAULT_WIDTH)) -> int:
    # Digits only, as for every integer parameter: `1e3` is a 400, not 1000.
    return parse_int("width", width, MIN_WIDTH, MAX_WIDTH)


def provide_default_width() -> int:
    """The width of a format no width changes (a chart's CSV): no parameter."""
    return DEFAULT_WIDTH


# --- the charts: each one's parameters, as the signature of what orders it ------------------


def order_crs(
    draw_filter: DrawFilter,
    chart_width: int,
    highlight: HighlightParam = None,
    focus: FocusParam = None,
) -> ChartOrder:
    slugs = tuple(dict.fromkeys(focus or ()))
    for slug in slugs:
        check_slug("focus", slug)
    return ChartOrder(
        chart="crs", width=chart_width, draw_filter=draw_filter, highlight=highlight, focus=slugs
    )


def order_invitations(draw_filter: DrawFilter, chart_width: int) -> ChartOrder:
    return ChartOrder(chart="invitations", width=chart_width, draw_filter=draw_filter)


def order_pool(chart_width: int) -> ChartOrder:
    return ChartOrder(chart="pool", width=chart_width)


class ChartKind(msgspec.Struct, frozen=True):
    name: str
    summary: str
    description: str
    order: Callable[..., ChartOrder]


CHARTS = (
    ChartKind(
        "crs",
        "Cut-off CRS over time",
        "The cut-off CRS score of every round over time, one line per category. The draw "
        "filters of `/v1/draws` (`category`, repeatable, `from`, `to`, ...) choose the rounds; "
        "the time axis starts at `from` and ends at `to` when they are given. `focus` chooses "
        "the lines drawn in colour, the others are grey.",
        order_crs,
    ),
    ChartKind(
        "invitations",
        "Invitations per year by category",
        "Invitations issued per calendar year, stacked by category, of the rounds the draw "
        "filters of `/v1/draws` choose (`category`, repeatable, ...).",
        order_invitations,
    ),
    ChartKind(
        "pool",
        "Pool by CRS band",
        "The newest pool snapshot by CRS band, beside the snapshot before it.",
        order_pool,
    ),
)

# --- the formats -----------------------------------------------------------------------------


class ChartFormat(msgspec.Struct, frozen=True):
    suffix: str  # a key of api.charts.render.FORMATS, which makes the bytes
    media_type: str
    # "Cut-off CRS over time, <summary>"; "getChartCrs<operation>".
    summary: str
    operation: str
    # Whether `width` changes it (an image or its spec) or not (the data).
    sized: bool = True


FORMATS = (
    ChartFormat("svg", SVG, "SVG", "Svg"),
    ChartFormat("png", PNG, "PNG", "Png"),
    ChartFormat("vl.json", VEGA_LITE, "Vega-Lite spec", "VegaLite"),
    ChartFormat("csv", CSV, "its data", "Csv", sized=False),
)

# --- one handler per chart and format --------------------------------------------------------


def _answer(fmt: ChartFormat) -> Callable[..., Awaitable[Response[bytes]]]:
    async def answer_chart(
        chart_order: ChartOrder, request: Request[Any, Any, Any]
    ) -> Response[bytes]:
        # Built and drawn in a chart process (api/charts/drawers.py), off this event loop.
        drawers: ChartDrawers = request.app.state.chart_drawers
        order = msgspec.structs.replace(
            chart_order,
            format=fmt.suffix,
            data_version=request.app.state.response_cache.version.version,
        )
        drawn = await drawers.draw(order)
        return Response(
            drawn.body,
            media_type=fmt.media_type,
            headers={
                "Content-Disposition": f'inline; filename="{chart_file_name(drawn, fmt.suffix)}"'
            },
        )

    return answer_chart


def chart_file_name(chart: DrawnChart, suffix: str) -> str:
    """``eedraws-crs-healthcare-cec-from-2024-01-01-2026-04-15.csv``: named as every export is,
    for what was asked and the date the data is as of."""
    return file_name([chart.name, *chart.asked], chart.as_of, suffix)


def chart_route(kind: ChartKind, fmt: ChartFormat) -> HTTPRouteHandler:
    dependencies: dict[str, Any] = {
        "chart_order": Provide(kind.order, sync_to_thread=False),
        "draw_filter": DRAW_FILTER,
        # Not `width`: a dependency may not share its name with a query parameter.
        "chart_width": Provide(
            provide_width if fmt.sized else provide_default_width, sync_to_thread=False
        ),
    }
    return get(
        f"/v1/charts/{kind.name}.{fmt.suffix}",
        media_type=fmt.media_type,
        summary=f"{kind.summary}, {fmt.summary}",
        description=kind.description,
        operation_id=f"getChart{kind.name.title()}{fmt.operation}",
        tags=["charts"],
        dependencies=dependencies,
    )(_answer(fmt))


CHART_ROUTES = [chart_route(kind, fmt) for kind in CHARTS for fmt in FORMATS]
