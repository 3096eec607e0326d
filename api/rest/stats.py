"""/v1/stats and /v1/status."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.datastructures import CacheControlHeader

from api import reads
from api.columns import YEARLY, YEARLY_BY_CATEGORY
from api.filters import parse_choice
from api.models import Status, YearlyStat
from api.rest.formats import Listing, Output, respond, tabular_routes
from api.rest.params import Database, text_query

GROUPINGS = ("category",)
GroupBy = Annotated[
    str | None,
    text_query(
        "group_by",
        "`category`: one row per year and category line",
        type="string",
        enum=list(GROUPINGS),
    ),
]


async def yearly_stats(
    request: Request[Any, Any, Any], db: Database, output: Output, group_by: GroupBy = None
) -> Response[Any]:
    by_category = (
        group_by is not None and parse_choice("group_by", group_by, GROUPINGS) == "category"
    )
    stats = await reads.yearly_stats(db, by_category=by_category)
    table = YEARLY_BY_CATEGORY if by_category else YEARLY
    return await respond(request, db, output, Listing(table=table, rows=stats, json=stats))


YEARLY_ROUTES = tabular_routes(
    "/v1/stats/yearly",
    yearly_stats,
    json_model=list[YearlyStat],
    summary="Per year: rounds, invitations, lowest/highest/mean cut-off CRS",
    file_operation="getYearlyStats",
    file_summary="Per-year aggregates",
    description="`group_by=category` gives one row per year and category line.",
)


class StatusController(Controller):
    path = "/v1/status"
    tags = ("status",)

    @get(
        "/",
        summary="Freshness: last ingest, newest round, data_version",
        # Every ingest run shows here, also one that changed no data: never cached.
        cache_control=CacheControlHeader(no_store=True),
    )
    async def status(self, db: Database) -> Status:
        return await reads.status(db)
