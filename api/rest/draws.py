"""/v1/draws: rounds of invitations."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get
from litestar.datastructures import CacheControlHeader
from litestar.params import FromPath, QueryParameter

from api import reads
from api.models import Draw, DrawPage, DrawRevision
from api.reads import DrawFilter, DrawSort
from api.rest.params import Database

CategoryParam = Annotated[
    list[str] | None,
    QueryParameter(name="category", description="Category slug (repeatable); see /v1/categories"),
]
FromParam = Annotated[
    date | None, QueryParameter(name="from", description="On or after (ISO date)")
]
ToParam = Annotated[date | None, QueryParameter(name="to", description="On or before (ISO date)")]
MinCrsParam = Annotated[int | None, QueryParameter(name="min_crs", ge=0, le=1200)]
MaxCrsParam = Annotated[int | None, QueryParameter(name="max_crs", ge=0, le=1200)]
MinInvParam = Annotated[int | None, QueryParameter(name="min_invitations", ge=0)]
SortParam = Annotated[DrawSort, QueryParameter(name="sort")]


def draw_filter(
    category: list[str] | None,
    date_from: date | None,
    date_to: date | None,
    min_crs: int | None,
    max_crs: int | None,
    min_invitations: int | None,
) -> DrawFilter:
    return DrawFilter(
        categories=tuple(dict.fromkeys(category or ())),
        date_from=date_from,
        date_to=date_to,
        min_crs=min_crs,
        max_crs=max_crs,
        min_invitations=min_invitations,
    )


def next_link(request: Request[Any, Any, Any], cursor: str) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
    params.append(("cursor", cursor))
    return f'<{request.url.path}?{urlencode(params)}>; rel="next"'


# A past round rarely changes (IRCC edits are rare), and an edit changes its ETag anyway.
PAST_ROUND = CacheControlHeader(public=True, max_age=3600, stale_while_revalidate=86400)


class DrawsController(Controller):
    path = "/v1/draws"
    tags = ("draws",)

    @get(
        "/",
        summary="List rounds of invitations",
        description="Newest first by default. Keyset pagination: follow `next_cursor` or the "
        "`Link: rel=next` header until it is null.",
    )
    async def list_draws(
        self,
        request: Request[Any, Any, Any],
        db: Database,
        category: CategoryParam = None,
        date_from: FromParam = None,
        date_to: ToParam = None,
        min_crs: MinCrsParam = None,
        max_crs: MaxCrsParam = None,
        min_invitations: MinInvParam = None,
        sort: SortParam = "-date",
        limit: Annotated[int, QueryParameter(name="limit", ge=1, le=reads.MAX_LIMIT)] = 50,
        cursor: Annotated[str | None, QueryParameter(name="cursor", max_length=200)] = None,
    ) -> Response[DrawPage]:
        f = draw_filter(category, date_from, date_to, min_crs, max_crs, min_invitations)
        page = await reads.list_draws(db, f, sort=sort, limit=limit, cursor=cursor)
        headers = {"Link": next_link(request, page.next_cursor)} if page.next_cursor else {}
        return Response(page, headers=headers)

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
