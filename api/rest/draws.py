"""/v1/draws: rounds of invitations."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.datastructures import CacheControlHeader
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import SkipValidation
from litestar.response import Redirect

from api import reads
from api.columns import DRAWS
from api.filters import DrawQuery
from api.models import Draw, DrawPage, DrawRevision
from api.rest.formats import Listing, Output, respond, tabular_routes
from api.rest.params import DRAW_EXPORT, DRAW_PAGE, CategorySlugs, Database, RoundNumber

# A past round rarely changes (IRCC edits are rare), and an edit changes its ETag anyway.
PAST_ROUND = CacheControlHeader(public=True, max_age=3600, stale_while_revalidate=86400)


async def list_draws(
    request: Request[Any, Any, Any],
    db: SkipValidation[reads.CopyDb],
    draw_query: DrawQuery,
    output: Output,
) -> Response[Any]:
    if output.format.name == "csv":
        # PostgreSQL's COPY writes the lines: no struct per row, no Python per cell.
        csv = await reads.draws_csv(db, draw_query)
        listing = Listing(
            table=DRAWS,
            rows=(),
            json=None,
            name_parts=draw_query.filter.describe(),
            next_cursor=csv.next_cursor,
            csv_lines=csv.lines,
        )
        return await respond(request, db, output, listing)
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
    "`Link: rel=next` header until it is null. A file (CSV, XLSX) holds every matching round "
    "unless `limit` is given; its columns: docs/exports.md.",
    # A JSON page holds 50 rounds unless `limit` says otherwise; a file holds them all.
    dependencies=lambda fmt: {"draw_query": DRAW_PAGE if fmt is None else DRAW_EXPORT},
)


CANONICAL = ResponseSpec(
    None,
    description="Moved Permanently: the round's one URL, for another spelling of its number "
    "(`/v1/draws/00385` to `/v1/draws/385`, `91B` to `91b`); see `Location`",
)


def canonical_redirect(number: str, rest: str = "") -> Redirect:
    """301 to a round's one URL: ``/v1/draws/00385`` is ``/v1/draws/385``."""
    return Redirect(f"/v1/draws/{number}{rest}", status_code=301)


class DrawsController(Controller):
    path = "/v1/draws"
    tags = ("draws",)

    @get(
        "/latest",
        summary="The newest round, optionally the newest of some categories",
        description="`category` (repeatable): the newest round in any of them.",
    )
    async def latest_draw(
        self,
        db: Database,
        category: CategorySlugs = None,
    ) -> Draw:
        return await reads.latest_draw(db, category or ())

    @get(
        "/{number:str}",
        summary="One round by its number (e.g. 385, 91b)",
        responses={301: CANONICAL},
        cache_control=PAST_ROUND,
    )
    async def get_draw(self, db: Database, number: RoundNumber) -> Response[Draw]:
        canonical = reads.normalise_draw_number(number)
        if canonical != number:
            return canonical_redirect(canonical)
        return Response(await reads.get_draw(db, number))

    @get(
        "/{number:str}/revisions",
        summary="Edits IRCC made to a past round",
        responses={301: CANONICAL},
        description="Each time an ingest found the published round changed: `changes` lists "
        "each changed value by the API's field name (`crs_min`) beside IRCC's key (`drawCRS`), "
        "old and new as published; `old_values`/`new_values` keep IRCC's keys.",
    )
    async def draw_revisions(
        self, db: Database, number: RoundNumber
    ) -> Response[list[DrawRevision]]:
        canonical = reads.normalise_draw_number(number)
        if canonical != number:
            return canonical_redirect(canonical, "/revisions")
        return Response(await reads.draw_revisions(db, number))
