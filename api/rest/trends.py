"""Trends: /v1/series/*, /v1/draws/{number}/context, /v1/pool/bands/history, /v1/pool/changes,
/v1/standing. Each handler is one call into the read layer; the figures come from SQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import Provide
from litestar.handlers import HTTPRouteHandler
from litestar.params import QueryParameter

from api import reads
from api.columns import SERIES
from api.filters import DrawFilter, parse_int
from api.models import BandHistory, DrawContext, PoolChange, Series, Standing
from api.reads import Db, SeriesSpec
from api.rest.draws import CANONICAL, PAST_ROUND, canonical_redirect
from api.rest.formats import Listing, Output, respond, tabular_routes
from api.rest.params import DRAW_FILTER, Database, RoundNumber, text_query

_FILTERED = {"draw_filter": DRAW_FILTER}


def _int_or_none(name: str, raw: str | None, lo: int, hi: int) -> int | None:
    return None if raw is None else parse_int(name, raw, lo, hi)


# Taken as text and checked by the read layer, so a wrong value's 400 names the allowed ones
# (and GraphQL gets the same check); the OpenAPI lists the values.
FrequencyParam = Annotated[
    str | None,
    text_query(
        "frequency",
        "`draw` (default): one point per round date (`period` is the date); `month` "
        "(`2025-12`), `quarter` (`2025-Q4`), `year` (`2025`): every period of the range, "
        "`value` null where no round fell",
        type="string",
        enum=list(reads.SERIES_FREQUENCIES),
    ),
]
TransformParam = Annotated[
    str | None,
    text_query(
        "transform",
        "`change` from the previous period, `pct_change` (percent), `yoy` (percent change from "
        "a year earlier; not with `frequency=draw`), `rolling_mean` over `window` periods",
        type="string",
        enum=list(reads.SERIES_TRANSFORMS),
    ),
]
WindowParam = Annotated[
    str | None,
    text_query(
        "window",
        f"Periods in a `rolling_mean` (default {reads.DEFAULT_WINDOW})",
        type="integer",
        minimum=1,
        maximum=reads.MAX_WINDOW,
    ),
]
CrsAggParam = Annotated[
    str | None,
    text_query(
        "agg",
        "Per period: lowest (`min`, default), highest (`max`), `mean` cut-off, or the cut-off "
        "of the `last` round",
        type="string",
        enum=list(reads.CRS_AGGS),
        title="CrsSeriesAgg",
    ),
]
InvitationAggParam = Annotated[
    str | None,
    text_query(
        "agg",
        "Per period: invitations (`sum`, default) or rounds (`count`)",
        type="string",
        enum=list(reads.INVITATION_AGGS),
        title="InvitationSeriesAgg",
    ),
]
_SERIES = (
    "Of the rounds matching the draw filters of `/v1/draws`: one series per `category` "
    "(repeatable), or all rounds together when none is given. Periods span `from`..`to` "
    "(default: the first to the last matching round) and are the same for every series. Rounds "
    "on one date are ordered by round number (91a before 91b)."
)


def provide_crs_agg(agg: CrsAggParam = None) -> str | None:
    return agg


def provide_invitation_agg(agg: InvitationAggParam = None) -> str | None:
    return agg


class Measure(msgspec.Struct, frozen=True, kw_only=True):
    """A series: what it measures (``/v1/series/{name}``), how the read layer computes it, and
    its own ``agg`` (the values differ per measure, so does the parameter's documentation)."""

    name: str
    read: Callable[[Db, SeriesSpec], Awaitable[Series]]
    agg: Callable[..., str | None]
    summary: str
    operation: str
    file_summary: str


MEASURES = (
    Measure(
        name="crs",
        read=reads.crs_series,
        agg=provide_crs_agg,
        summary="The cut-off CRS score over time",
        operation="getCrsSeries",
        file_summary="The cut-off CRS series",
    ),
    Measure(
        name="invitations",
        read=reads.invitation_series,
        agg=provide_invitation_agg,
        summary="Invitations (or rounds) over time",
        operation="getInvitationSeries",
        file_summary="The invitations series",
    ),
)


def series_spec(
    draw_filter: DrawFilter,
    frequency: str | None,
    agg: str | None,
    transform: str | None,
    window: str | None,
) -> SeriesSpec:
    """A series' parameters as /v1/series/{name} reads them (and the MCP series tools)."""
    return SeriesSpec(
        filter=draw_filter,
        # An empty `frequency=` is refused as any bad value is, not read as "not given".
        frequency="draw" if frequency is None else frequency,
        agg=agg,
        transform=transform,
        window=None if window is None else parse_int("window", window, 1, reads.MAX_WINDOW),
    )


def standing_args(crs: str, last: str | None) -> tuple[int, int]:
    """The score and the rounds to count, as /v1/standing reads them (and the MCP tool)."""
    score = parse_int("crs", crs, 0, reads.MAX_CRS_SCORE)
    return score, _int_or_none("last", last, 1, reads.MAX_LAST) or reads.DEFAULT_LAST


def series_view(measure: Measure) -> Callable[..., Awaitable[Response[Any]]]:
    async def series(
        request: Request[Any, Any, Any],
        db: Database,
        output: Output,
        draw_filter: DrawFilter,
        series_agg: str | None,
        frequency: FrequencyParam = None,
        transform: TransformParam = None,
        window: WindowParam = None,
    ) -> Response[Any]:
        spec = series_spec(draw_filter, frequency, series_agg, transform, window)
        found = await measure.read(db, spec)
        asked = (measure.name, *(found.meta.categories or ()), found.meta.frequency)
        listing = Listing(table=SERIES, rows=found.data, json=found, name_parts=asked)
        return await respond(request, db, output, listing)

    return series


def series_routes(measure: Measure) -> list[HTTPRouteHandler]:
    # Not `agg`: a dependency may not share its name with a query parameter.
    dependencies = {
        "draw_filter": DRAW_FILTER,
        "series_agg": Provide(measure.agg, sync_to_thread=False),
    }
    return tabular_routes(
        f"/v1/series/{measure.name}",
        series_view(measure),
        operation_id=measure.operation,
        json_model=Series,
        summary=measure.summary,
        file_operation=measure.operation,
        file_summary=measure.file_summary,
        description=_SERIES,
        dependencies=lambda fmt: dependencies,
    )


SERIES_ROUTES = [route for measure in MEASURES for route in series_routes(measure)]


class TrendsController(Controller):
    # Each operation is tagged with its resource (the first path segment), as the others are.
    path = "/v1"

    @get(
        "/draws/{number:str}/context",
        summary="A round in context: its rank in the year and in its line, the line's year so "
        "far, the round before it in its line, and the pool snapshot published with it",
        description="Ranks order rounds by date, then by round number on one date (91a before "
        "91b). `year_to_date` and `category_year_to_date` cover the rounds of the calendar "
        "year up to and including this one.",
        cache_control=PAST_ROUND,
        tags=["draws"],
        responses={301: CANONICAL},
    )
    async def draw_context(self, db: Database, number: RoundNumber) -> Response[DrawContext]:
        canonical = reads.normalise_draw_number(number)
        if canonical != number:
            return canonical_redirect(canonical, "/context")
        return Response(await reads.draw_context(db, number))

    @get(
        "/pool/bands/history",
        summary="One CRS band's count over every pool snapshot, oldest first",
        tags=["pool"],
    )
    async def pool_band_history(
        self,
        db: Database,
        band: Annotated[
            str,
            QueryParameter(
                name="band",
                description="The band's range as `/v1/pool/{date}` gives it (`crs_lo-crs_hi`, "
                "e.g. `451-500`), or its `band` number (1 to 17)",
                schema_extra={"enum": list(reads.BAND_VALUES), "title": "PoolBandName"},
            ),
        ],
    ) -> BandHistory:
        return await reads.pool_band_history(db, band)

    @get(
        "/pool/changes",
        summary="Per snapshot (newest first), each band's change from the snapshot before it",
        tags=["pool"],
    )
    async def pool_changes(self, db: Database) -> list[PoolChange]:
        return await reads.pool_changes(db)

    @get(
        "/standing",
        dependencies=_FILTERED,
        tags=["standing"],
        summary="Where a CRS score stands: the pool at or above it, and recent rounds it met",
        description="`pool` comes from the newest snapshot's bands; when the score falls inside "
        "a band its candidates are assumed spread evenly over the band (`exact: false`, "
        "`method` says how). `draws`: per category line, of its `last` newest rounds how many "
        "had a cut-off at or below the score, and the newest round the score would have met; "
        "the draw filters of `/v1/draws` choose which rounds count.",
    )
    async def standing(
        self,
        db: Database,
        crs: Annotated[
            str,
            text_query(
                "crs",
                "A CRS score, an integer 0..1200",
                type="integer",
                minimum=0,
                maximum=reads.MAX_CRS_SCORE,
            ),
        ],
        draw_filter: DrawFilter,
        last: Annotated[
            str | None,
            text_query(
                "last",
                f"How many of each line's newest rounds to count (default {reads.DEFAULT_LAST})",
                type="integer",
                minimum=1,
                maximum=reads.MAX_LAST,
            ),
        ] = None,
    ) -> Standing:
        score, count = standing_args(crs, last)
        return await reads.standing(db, score, draw_filter, count)
