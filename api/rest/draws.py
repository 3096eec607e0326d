"""/v1/draws: rounds of invitations."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.datastructures import CacheControlHeader
from litestar.params import FromPath, QueryParameter

from api import reads
from api.columns import DRAWS
from api.filters import DrawQuery
from api.models import Draw, DrawPage, DrawRevision
from api.rest.formats import Listing, Output, respond, tabular_routes
from api.rest.params import DRAW_EXPORT, DRAW_PAGE, Database

# A past round rarely changes (IRCC edits are rare), and an edit changes its ETag anyway.
PAST_ROUND = CacheControlHeader(public=True, max_age=3600, stale_while_revalidate=86400)


async def list_draws(
    request: Request[Any, Any, Any], db: Database, draw_query: DrawQuery, output: Output
) -> Response[Any]:
    rows = await reads.list_draws(db, draw_query)
    listing = Listing(
        table=DRAWS,
        rows=rows.draws,
        json=rows.page(),
        name_parts=draw_query.filter.describe(),
        next_cursor=rows.next_cursor,
    )
    return await respond(request, db, output, listing)


DRAW_LIST_ROUTES = tabular_routes(
    "/v1/draws",
    list_draws,
    json_model=DrawPage,
    summary="List rounds of invitations",
    file_operation="getDraws",
    file_summary="Rounds",
    description="Newest first by default. Keyset pagination: follow `next_cursor` or the "
    "`Link: rel=next` header until it is null. `/v1/draws.csv` and `/v1/draws.xlsx` (or "
    "`Accept: text/csv`) give the same rounds as a file: every matching round unless `limit` "
    "is given. Columns: docs/exports.md.",
    tags=["draws"],
    # A JSON page holds 50 rounds unless `limit` says otherwise; a file holds them all.
    dependencies=lambda fmt: {"draw_query": DRAW_PAGE if fmt is None else DRAW_EXPORT},
)


class DrawsController(Controller):
    path = "/v1/draws"
    tags = ("draws",)

    @get("/latest", summary="The newest round, optionally of one category")
    async def latest_draw(
        self,
        db: Database,
        category: Annotated[str | None, QueryParameter(name="category")] = None,
    ) -> Draw:
        return await reads.latest_draw(db, category)

    @get(
        "/{number:str}",
        summary="One round by its number (e.g. 385, 91b)",
        cache_control=PAST_ROUND,
    )
    async def get_draw(self, db: Database, number: FromPath[str]) -> Draw:
        return await reads.get_draw(db, number)

    @get(
        "/{number:str}/revisions",
        summary="Edits IRCC made to a past round",
        description="Each time an ingest found the published round changed: the keys that "
        "changed, with their old and new published values.",
    )
    async def draw_revisions(self, db: Database, number: FromPath[str]) -> list[DrawRevision]:
        return await reads.draw_revisions(db, number)
