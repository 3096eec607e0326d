"""/v1/export.zip: everything at once, described (api/bulk.py)."""

from __future__ import annotations

from litestar import Response, get
from litestar.openapi.datastructures import ResponseSpec

from api import bulk, reads
from api.rest.params import Database

ZIP = "application/zip"


@get(
    "/v1/export.zip",
    operation_id="getExportZip",
    summary="Every table as CSV, with a Frictionless datapackage.json",
    description="draws.csv, categories.csv (every published name), pool.csv (snapshot dates "
    "and totals), pool-bands.csv (one row per snapshot and band), yearly.csv, and "
    "datapackage.json (field types, primary and foreign keys, licence, source, data_version). "
    "The same bytes for the same data: cached per data version, with an ETag.",
    tags=["export"],
    media_type=ZIP,
    responses={200: ResponseSpec(None, description="A zip archive", media_type=ZIP)},
)
async def export_zip(db: Database) -> Response[bytes]:
    stamp = await reads.data_stamp(db)
    rows = await bulk.table_rows(db)
    as_of = str(stamp.newest_draw_date or stamp.data_changed_at.date())
    return Response(
        bulk.zip_bytes(rows, stamp),
        media_type=ZIP,
        headers={"Content-Disposition": f'attachment; filename="eedraws-{as_of}.zip"'},
    )
