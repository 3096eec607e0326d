"""/v1/charts: each chart as SVG, PNG, its Vega-Lite spec and the CSV of what it draws.

Twelve operations from two tables: ``CHARTS`` (what each chart draws, from which parameters)
and ``FORMATS`` (how a chart becomes bytes). A chart of rounds takes the draw filter as one
dependency (``DRAW_FILTER``), so a filter added to ``api.filters`` reaches every chart with no
edit here; a chart's own parameters (``width``, ``highlight``) are parsed like every other
integer or text parameter, with the same 400 problems.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import msgspec
from litestar import Response, get
from litestar.di import Provide
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.params import QueryParameter

from api.charts import Chart, crs_chart, invitations_chart, pool_chart, render
from api.charts.specs import DEFAULT_WIDTH, MAX_WIDTH, MIN_WIDTH, MOST_COLOURED
from api.filters import SLUG, DrawFilter, check_slug, parse_int
from api.rest.formats import file_name
from api.rest.params import DRAW_FILTER, Database, text_query

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
        description="A round to ring and label, e.g. `385` (one of the rounds drawn)",
        max_length=12,
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


# --- the charts: each one's parameters, as the signature of what draws it --------------------


async def draw_crs(
    db: Database,
    draw_filter: DrawFilter,
    chart_width: int,
    highlight: HighlightParam = None,
    focus: FocusParam = None,
) -> Chart:
    slugs = tuple(dict.fromkeys(focus or ()))
    for slug in slugs:
        check_slug("focus", slug)
    return await crs_chart(db, draw_filter, width=chart_width, highlight=highlight, focus=slugs)


async def draw_invitations(db: Database, draw_filter: DrawFilter, chart_width: int) -> Chart:
    return await invitations_chart(db, draw_filter, width=chart_width)


async def draw_pool(db: Database, chart_width: int) -> Chart:
    return await pool_chart(db, width=chart_width)


class ChartKind(msgspec.Struct, frozen=True):
    name: str
    summary: str
    description: str
    draw: Callable[..., Awaitable[Chart]]


CHARTS = (
    ChartKind(
        "crs",
        "Cut-off CRS over time",
        "The cut-off CRS score of every round over time, one line per category. The draw "
        "filters of `/v1/draws` (`category`, repeatable, `from`, `to`, ...) choose the rounds; "
        "the time axis starts at `from` and ends at `to` when they are given. `focus` chooses "
        "the lines drawn in colour, the others are grey.",
        draw_crs,
    ),
    ChartKind(
        "invitations",
        "Invitations per year by category",
        "Invitations issued per calendar year, stacked by category, of the rounds the draw "
        "filters of `/v1/draws` choose (`category`, repeatable, ...).",
        draw_invitations,
    ),
    ChartKind(
        "pool",
        "Pool by CRS band",
        "The newest pool snapshot by CRS band, beside the snapshot before it.",
        draw_pool,
    ),
)

# --- the formats -----------------------------------------------------------------------------


async def _vega_lite(chart: Chart) -> bytes:
    return render.vega_lite_json(chart)


async def _csv(chart: Chart) -> bytes:
    return render.table_csv(chart)


class ChartFormat(msgspec.Struct, frozen=True):
    suffix: str
    media_type: str
    # "Cut-off CRS over time, <summary>"; "getChartCrs<operation>".
    summary: str
    operation: str
    render: Callable[[Chart], Awaitable[bytes]]
    # Whether `width` changes it (an image or its spec) or not (the data).
    sized: bool = True


FORMATS = (
    ChartFormat("svg", SVG, "SVG", "Svg", render.svg),
    ChartFormat("png", PNG, "PNG", "Png", render.png),
    ChartFormat("vl.json", VEGA_LITE, "Vega-Lite spec", "VegaLite", _vega_lite),
    ChartFormat("csv", CSV, "its data", "Csv", _csv, sized=False),
)

# --- one handler per chart and format --------------------------------------------------------


def _answer(fmt: ChartFormat) -> Callable[[Chart], Awaitable[Response[bytes]]]:
    async def answer_chart(chart: Chart) -> Response[bytes]:
        return Response(
            await fmt.render(chart),
            media_type=fmt.media_type,
            headers={
                "Content-Disposition": f'inline; filename="{chart_file_name(chart, fmt.suffix)}"'
            },
        )

    return answer_chart


def chart_file_name(chart: Chart, suffix: str) -> str:
    """``eedraws-crs-healthcare-cec-from-2024-01-01-2026-04-15.csv``: named as every export is,
    for what was asked and the date the data is as of."""
    return file_name([chart.name, *chart.asked], chart.as_of, suffix)


def chart_route(kind: ChartKind, fmt: ChartFormat) -> HTTPRouteHandler:
    dependencies: dict[str, Any] = {
        "chart": Provide(kind.draw),
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
