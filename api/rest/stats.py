"""/v1/stats and /v1/status."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, get
from litestar.datastructures import CacheControlHeader
from litestar.params import QueryParameter

from api import reads
from api.models import Status, YearlyStat
from api.rest.params import Database


class StatsController(Controller):
    path = "/v1"
    tags = ("stats",)

    @get(
        "/stats/yearly",
        summary="Per year: rounds, invitations, lowest/highest/mean cut-off CRS",
        description="`group_by=category` gives one row per year and category line.",
    )
    async def yearly_stats(
        self,
        db: Database,
        group_by: Annotated[Literal["category"] | None, QueryParameter(name="group_by")] = None,
    ) -> list[YearlyStat]:
        return await reads.yearly_stats(db, by_category=group_by == "category")


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
