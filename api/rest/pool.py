"""/v1/pool: snapshots of the CRS distribution of everyone in the pool."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, get
from litestar.params import FromPath, QueryParameter

from api import reads
from api.models import PoolSnapshot, PoolSnapshotSummary
from api.rest.draws import PAST_ROUND
from api.rest.params import Database, path_date


class PoolController(Controller):
    path = "/v1/pool"
    tags = ("pool",)

    @get("/", summary="Snapshot dates and totals, newest first")
    async def list_pool_snapshots(
        self,
        db: Database,
        date_from: Annotated[date | None, QueryParameter(name="from")] = None,
        date_to: Annotated[date | None, QueryParameter(name="to")] = None,
    ) -> list[PoolSnapshotSummary]:
        return await reads.list_pool_snapshots(db, date_from, date_to)

    @get("/latest", summary="The newest snapshot with its CRS bands")
    async def latest_pool_snapshot(self, db: Database) -> PoolSnapshot:
        return await reads.latest_pool_snapshot(db)

    @get(
        "/{snapshot_date:str}",
        summary="The snapshot of one date with its CRS bands",
        cache_control=PAST_ROUND,
    )
    async def get_pool_snapshot(self, db: Database, snapshot_date: FromPath[str]) -> PoolSnapshot:
        return await reads.get_pool_snapshot(db, path_date(snapshot_date))
