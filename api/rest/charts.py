"""/v1/charts: each chart as SVG, PNG, its Vega-Lite spec and the CSV of what it draws."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from litestar import Controller, Response, get
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.params import QueryParameter

from api.charts import Chart, crs_chart, invitations_chart, pool_chart, render
from api.charts.specs import DEFAULT_WIDTH, MAX_WIDTH, MIN_WIDTH
from api.filters import SLUG, DrawFilter
from api.rest.params import Database

SVG = "image/svg+xml"
PNG = "image/png"
VEGA_LITE = "application/json"
CSV = "text/csv"

WidthParam = Annotated[
    int,
    QueryParameter(
        name="width",
        ge=MIN_WIDTH,
        le=MAX_WIDTH,
        description="Width of the whole image in CSS pixels (PNG: twice as many device pixels)",
    ),
]

# What /v1/draws documents for `category`, so the spec says an empty or malformed slug is refused.
_SLUG = Schema(type=OpenAPIType.STRING, min_length=1, max_length=64, pattern=SLUG.pattern)
CategoryParam = Annotated[
    list[str] | None,
    QueryParameter(
        name="category",
        description="Category slug (repeatable); see /v1/categories",
        schema_extra={"type": OpenAPIType.ARRAY, "items": _SLUG, "one_of": None},
    ),
]
FromParam = Annotated[
    str | None,
    QueryParameter(
        name="from",
        description="Rounds on or after this date (YYYY-MM-DD)",
        schema_extra={"format": "date"},
    ),
]
ToParam = Annotated[
    str | None,
    QueryParameter(
        name="to",
        description="Rounds on or before this date (YYYY-MM-DD)",
        schema_extra={"format": "date"},
    ),
]


def _draw_filter(
    category: list[str] | None, date_from: str | None, date_to: str | None
) -> DrawFilter:
    """The draw filter's own parsing, so a bad value gets the same 400 as on /v1/draws."""
    raw = {
        "category": category or [],
        # An empty `from=` is a bad date, as on /v1/draws, not "no bound".
        "from": [] if date_from is None else [date_from],
        "to": [] if date_to is None else [date_to],
    }
    return DrawFilter.parse(raw)


HighlightParam = Annotated[
    str | None,
    QueryParameter(
        name="highlight",
        description="A round to ring and label, e.g. `385` (one of the rounds drawn)",
        max_length=12,
    ),
]

_Render = Callable[[Chart], Awaitable[bytes]]


async def _svg(chart: Chart) -> bytes:
    return await render.svg(chart)


async def _png(chart: Chart) -> bytes:
    return await render.png(chart)


async def _vega_lite(chart: Chart) -> bytes:
    return render.vega_lite_json(chart)


async def _csv(chart: Chart) -> bytes:
    return render.table_csv(chart)


_FORMATS: dict[str, tuple[str, _Render]] = {
    "svg": (SVG, _svg),
    "png": (PNG, _png),
    "vl.json": (VEGA_LITE, _vega_lite),
    "csv": (CSV, _csv),
}


async def _answer(chart: Chart, suffix: str) -> Response[bytes]:
    media_type, draw = _FORMATS[suffix]
    return Response(
        await draw(chart),
        media_type=media_type,
        headers={"Content-Disposition": f'inline; filename="eedraws-{chart.name}.{suffix}"'},
    )


_CRS = (
    "The cut-off CRS score of every round over time, one line per category. `category` "
    "(repeatable), `from` and `to` choose the rounds, as on `/v1/draws`."
)
_INVITATIONS = "Invitations issued per calendar year, stacked by category (`category`, repeatable)."
_POOL = "The newest pool snapshot by CRS band, beside the snapshot before it."


class ChartsController(Controller):
    path = "/v1/charts"
    tags = ("charts",)

    async def _crs(
        self,
        db: Database,
        suffix: str,
        category: list[str] | None,
        date_from: str | None,
        date_to: str | None,
        width: int,
        highlight: str | None = None,
    ) -> Response[bytes]:
        f = _draw_filter(category, date_from, date_to)
        chart = await crs_chart(
            db, f.categories, f.date_from, f.date_to, width=width, highlight=highlight
        )
        return await _answer(chart, suffix)

    @get("/crs.svg", media_type=SVG, summary="Cut-off CRS over time, SVG", description=_CRS)
    async def crs_svg(
        self,
        db: Database,
        category: CategoryParam = None,
        date_from: FromParam = None,
        date_to: ToParam = None,
        width: WidthParam = DEFAULT_WIDTH,
        highlight: HighlightParam = None,
    ) -> Response[bytes]:
        return await self._crs(db, "svg", category, date_from, date_to, width, highlight)

    @get("/crs.png", media_type=PNG, summary="Cut-off CRS over time, PNG", description=_CRS)
    async def crs_png(
        self,
        db: Database,
        category: CategoryParam = None,
        date_from: FromParam = None,
        date_to: ToParam = None,
        width: WidthParam = DEFAULT_WIDTH,
        highlight: HighlightParam = None,
    ) -> Response[bytes]:
        return await self._crs(db, "png", category, date_from, date_to, width, highlight)

    @get(
        "/crs.vl.json",
        media_type=VEGA_LITE,
        summary="Cut-off CRS over time, Vega-Lite spec",
        description=_CRS,
    )
    async def crs_vega_lite(
        self,
        db: Database,
        category: CategoryParam = None,
        date_from: FromParam = None,
        date_to: ToParam = None,
        width: WidthParam = DEFAULT_WIDTH,
        highlight: HighlightParam = None,
    ) -> Response[bytes]:
        return await self._crs(db, "vl.json", category, date_from, date_to, width, highlight)

    @get("/crs.csv", media_type=CSV, summary="Cut-off CRS over time, its data", description=_CRS)
    async def crs_csv(
        self,
        db: Database,
        category: CategoryParam = None,
        date_from: FromParam = None,
        date_to: ToParam = None,
    ) -> Response[bytes]:
        return await self._crs(db, "csv", category, date_from, date_to, DEFAULT_WIDTH)

    async def _invitations(
        self, db: Database, suffix: str, category: list[str] | None, width: int
    ) -> Response[bytes]:
        chart = await invitations_chart(
            db, _draw_filter(category, None, None).categories, width=width
        )
        return await _answer(chart, suffix)

    @get(
        "/invitations.svg",
        media_type=SVG,
        summary="Invitations per year by category, SVG",
        description=_INVITATIONS,
    )
    async def invitations_svg(
        self, db: Database, category: CategoryParam = None, width: WidthParam = DEFAULT_WIDTH
    ) -> Response[bytes]:
        return await self._invitations(db, "svg", category, width)

    @get(
        "/invitations.png",
        media_type=PNG,
        summary="Invitations per year by category, PNG",
        description=_INVITATIONS,
    )
    async def invitations_png(
        self, db: Database, category: CategoryParam = None, width: WidthParam = DEFAULT_WIDTH
    ) -> Response[bytes]:
        return await self._invitations(db, "png", category, width)

    @get(
        "/invitations.vl.json",
        media_type=VEGA_LITE,
        summary="Invitations per year by category, Vega-Lite spec",
        description=_INVITATIONS,
    )
    async def invitations_vega_lite(
        self, db: Database, category: CategoryParam = None, width: WidthParam = DEFAULT_WIDTH
    ) -> Response[bytes]:
        return await self._invitations(db, "vl.json", category, width)

    @get(
        "/invitations.csv",
        media_type=CSV,
        summary="Invitations per year by category, its data",
        description=_INVITATIONS,
    )
    async def invitations_csv(
        self, db: Database, category: CategoryParam = None
    ) -> Response[bytes]:
        return await self._invitations(db, "csv", category, DEFAULT_WIDTH)

    @get("/pool.svg", media_type=SVG, summary="Pool by CRS band, SVG", description=_POOL)
    async def pool_svg(self, db: Database, width: WidthParam = DEFAULT_WIDTH) -> Response[bytes]:
        return await _answer(await pool_chart(db, width=width), "svg")

    @get("/pool.png", media_type=PNG, summary="Pool by CRS band, PNG", description=_POOL)
    async def pool_png(self, db: Database, width: WidthParam = DEFAULT_WIDTH) -> Response[bytes]:
        return await _answer(await pool_chart(db, width=width), "png")

    @get(
        "/pool.vl.json",
        media_type=VEGA_LITE,
        summary="Pool by CRS band, Vega-Lite spec",
        description=_POOL,
    )
    async def pool_vega_lite(
        self, db: Database, width: WidthParam = DEFAULT_WIDTH
    ) -> Response[bytes]:
        return await _answer(await pool_chart(db, width=width), "vl.json")

    @get("/pool.csv", media_type=CSV, summary="Pool by CRS band, its data", description=_POOL)
    async def pool_csv(self, db: Database) -> Response[bytes]:
        return await _answer(await pool_chart(db), "csv")
