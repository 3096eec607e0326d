"""/v1/pool: snapshots of the CRS distribution of everyone in the pool."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get

from api import reads
from api.columns import POOL, POOL_BANDS
from api.filters import parse_date
from api.models import PoolBandRow, PoolSnapshot, PoolSnapshotSummary
from api.rest.draws import PAST_ROUND
from api.rest.formats import Listing, Output, respond, rows_view, tabular_routes
from api.rest.params import Database, SnapshotDate, path_date, text_query

From = Annotated[
    str | None,
    text_query(
        "from", "Snapshots on or after this date (YYYY-MM-DD)", type="string", format="date"
    ),
]
To = Annotated[
    str | None,
    text_query(
        "to",
        "Snapshots on or before this date (YYYY-MM-DD); not before `from` (a 400 when it is)",
        type="string",
        format="date",
    ),
]


async def list_pool_snapshots(
    request: Request[Any, Any, Any],
    db: Database,
    output: Output,
    date_from: From = None,
    date_to: To = None,
) -> Response[Any]:
    snapshots = await reads.list_pool_snapshots(
        db,
        parse_date("from", date_from) if date_from is not None else None,
        parse_date("to", date_to) if date_to is not None else None,
    )
    asked = tuple(f"{n}-{v}" for n, v in (("from", date_from), ("to", date_to)) if v)
    listing = Listing(table=POOL, rows=snapshots, json=snapshots, name_parts=asked)
    return await respond(request, db, output, listing)


POOL_ROUTES = tabular_routes(
    "/v1/pool",
    list_pool_snapshots,
    json_model=list[PoolSnapshotSummary],
    summary="Snapshot dates and totals, newest first",
    file_operation="getPool",
    file_summary="Pool snapshot dates and totals",
    description="`from` and `to` choose the snapshots.",
)


POOL_BAND_ROUTES = tabular_routes(
    "/v1/pool/bands",
    rows_view(reads.pool_band_rows, POOL_BANDS),
    operation_id="listPoolBands",
    json_model=list[PoolBandRow],
    summary="Every snapshot's CRS bands as one long table",
    file_operation="getPoolBands",
    file_summary="Pool bands, one row per snapshot and band",
    description="One row per snapshot and band, newest snapshot first. Subtotal bands "
    "(`is_subtotal`) sum finer bands: leave them out when adding up.",
)


class PoolController(Controller):
    path = "/v1/pool"
    tags = ("pool",)

    @get("/latest", summary="The newest snapshot with its CRS bands")
    async def latest_pool_snapshot(self, db: Database) -> PoolSnapshot:
        return await reads.latest_pool_snapshot(db)

    @get(
        "/{snapshot_date:str}",
        summary="The snapshot of one date with its CRS bands",
        cache_control=PAST_ROUND,
    )
    async def get_pool_snapshot(self, db: Database, snapshot_date: SnapshotDate) -> PoolSnapshot:
        return await reads.get_pool_snapshot(db, path_date(snapshot_date))
