"""/v1/draws.atom and /v1/draws.feed.json: the rounds as feeds, for readers that poll.

The same filters as /v1/draws (one definition, ``DRAW_FILTER``), newest first, ``limit`` rounds
(50 by default). Each answer is a normal 200, so the response cache keeps it per data version
with an ETag: a reader polling every few minutes gets 304s until an ingest adds a round.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.openapi.datastructures import ResponseSpec

from api import feeds, reads
from api.filters import DEFAULT_LIMIT, MAX_LIMIT, DrawFilter, DrawQuery, parse_int
from api.rest.params import DRAW_FILTER, Database, text_query

ATOM = "application/atom+xml"
JSON_FEED = "application/feed+json"

LimitParam = Annotated[
    str | None,
    text_query(
        "limit",
        f"Newest rounds in the feed (default {DEFAULT_LIMIT}, at most {MAX_LIMIT})",
        type="integer",
        minimum=1,
        maximum=MAX_LIMIT,
    ),
]


async def _feed(
    request: Request[Any, Any, Any], db: Database, draw_filter: DrawFilter, limit: str | None
) -> feeds.Feed:
    count = DEFAULT_LIMIT if limit is None else parse_int("limit", limit, 1, MAX_LIMIT)
    rows = await reads.list_draws(db, DrawQuery(filter=draw_filter, sort="-date", limit=count))
    pools = {p.date: p for p in await reads.list_pool_snapshots(db)}
    base = str(request.base_url).rstrip("/")
    entries = feeds.entries(rows.draws, pools, base + "/draws/{number}")
    stamp = await reads.data_stamp(db)
    return feeds.Feed(
        id=feeds.feed_id(draw_filter.categories),
        title=feeds.TITLE
        + (f" ({', '.join(draw_filter.categories)})" if draw_filter.categories else ""),
        self_url=str(request.url),
        home_url=base + "/",
        updated=entries[0].updated if entries else stamp.data_changed_at,
        entries=entries,
    )


class FeedsController(Controller):
    path = "/v1"
    tags = ["draws"]  # noqa: RUF012
    dependencies = {"draw_filter": DRAW_FILTER}  # noqa: RUF012

    @get(
        "/draws.atom",
        operation_id="getDrawsAtom",
        summary="Rounds as an Atom feed",
        description="Atom (RFC 4287), newest first: one entry per round, its id a `tag:` URI "
        "that never changes, `updated` the round's run time (its date when IRCC gave none), a "
        "link to the round's page. The filters of `/v1/draws`; `limit` rounds (50). Poll with "
        "`If-None-Match`: a 304 until a round is added.",
        media_type=ATOM,
        responses={200: ResponseSpec(None, description="An Atom feed", media_type=ATOM)},
    )
    async def atom(
        self,
        request: Request[Any, Any, Any],
        db: Database,
        draw_filter: DrawFilter,
        limit: LimitParam = None,
    ) -> Response[bytes]:
        feed = await _feed(request, db, draw_filter, limit)
        return Response(feeds.atom(feed), media_type=ATOM)

    @get(
        "/draws.feed.json",
        operation_id="getDrawsJsonFeed",
        summary="Rounds as a JSON Feed",
        description="JSON Feed 1.1 with the same items as `/v1/draws.atom`.",
        media_type=JSON_FEED,
        responses={200: ResponseSpec(None, description="A JSON Feed", media_type=JSON_FEED)},
    )
    async def json_feed(
        self,
        request: Request[Any, Any, Any],
        db: Database,
        draw_filter: DrawFilter,
        limit: LimitParam = None,
    ) -> Response[bytes]:
        feed = await _feed(request, db, draw_filter, limit)
        return Response(feeds.json_feed(feed), media_type=JSON_FEED)
