"""/v1/draws: rounds of invitations."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get
from litestar.datastructures import CacheControlHeader
from litestar.params import FromPath, QueryParameter

from api import reads
from api.filters import DrawQuery
from api.models import Draw, DrawPage, DrawRevision
from api.rest.params import DRAW_PAGE, Database


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
        dependencies={"draw_query": DRAW_PAGE},
        summary="List rounds of invitations",
        description="Newest first by default. Keyset pagination: follow `next_cursor` or the "
        "`Link: rel=next` header until it is null.",
    )
    async def list_draws(
        self, request: Request[Any, Any, Any], db: Database, draw_query: DrawQuery
    ) -> Response[DrawPage]:
        page = (await reads.list_draws(db, draw_query)).page()
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
