"""Spreadsheet exports: /v1/draws.csv, /v1/draws.xlsx, /v1/stats/yearly.csv, /v1/pool.csv.

Same filters and errors as the JSON endpoints they mirror; every matching row, no pages.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from anyio import to_thread
from litestar import Controller, Response, get
from litestar.params import QueryParameter

from api import exports, reads
from api.filters import DrawQuery
from api.rest.params import DRAW_EXPORT, Database

# Litestar adds "; charset=utf-8" to every text/* type itself.
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FILTERS = "Same filters and sort as `/v1/draws`; every matching round, no pagination."


def _file(body: bytes, media_type: str, disposition: str, filename: str) -> Response[bytes]:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'{disposition}; filename="{filename}"'},
    )


def _csv(body: bytes, filename: str) -> Response[bytes]:
    # inline: IMPORTDATA and Power Query fetch the URL itself; a browser shows the text.
    return _file(body, CSV, "inline", filename)


class ExportsController(Controller):
    path = "/v1"

    @get(
        "/draws.csv",
        tags=["draws"],
        media_type=CSV,
        summary="Rounds as CSV",
        description=_FILTERS,
        dependencies={"draw_query": DRAW_EXPORT},
    )
    async def draws_csv(
        self,
        db: Database,
        draw_query: DrawQuery,
    ) -> Response[bytes]:
        draws = (await reads.list_draws(db, draw_query)).draws
        return _csv(exports.draws_csv(draws), "eedraws-draws.csv")

    @get(
        "/draws.xlsx",
        tags=["draws"],
        media_type=XLSX,
        dependencies={"draw_query": DRAW_EXPORT},
        summary="Rounds as an Excel workbook",
        description=_FILTERS,
    )
    async def draws_xlsx(
        self,
        db: Database,
        draw_query: DrawQuery,
    ) -> Response[bytes]:
        draws = (await reads.list_draws(db, draw_query)).draws
        # XlsxWriter's constant-memory mode writes temporary files: keep that off the loop.
        body = await to_thread.run_sync(exports.draws_xlsx, draws)
        return _file(body, XLSX, "attachment", "eedraws-draws.xlsx")

    @get(
        "/stats/yearly.csv",
        tags=["stats"],
        media_type=CSV,
        summary="Per-year aggregates as CSV",
        description="`group_by=category` gives one row per year and category line.",
    )
    async def yearly_stats_csv(
        self,
        db: Database,
        group_by: Annotated[Literal["category"] | None, QueryParameter(name="group_by")] = None,
    ) -> Response[bytes]:
        by_category = group_by == "category"
        stats = await reads.yearly_stats(db, by_category=by_category)
        name = "eedraws-yearly-by-category.csv" if by_category else "eedraws-yearly.csv"
        return _csv(exports.yearly_stats_csv(stats, by_category=by_category), name)

    @get("/pool.csv", tags=["pool"], media_type=CSV, summary="Pool snapshot dates and totals")
    async def pool_csv(
        self,
        db: Database,
        date_from: Annotated[date | None, QueryParameter(name="from")] = None,
        date_to: Annotated[date | None, QueryParameter(name="to")] = None,
    ) -> Response[bytes]:
        snapshots = await reads.list_pool_snapshots(db, date_from, date_to)
        return _csv(exports.pool_snapshots_csv(snapshots), "eedraws-pool.csv")
