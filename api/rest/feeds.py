"""/v1/draws.atom and /v1/draws.feed.json: the rounds as feeds, for readers that poll.

The same filters as /v1/draws (one definition, ``DRAW_FILTER``), newest first, ``limit`` rounds
(50 by default). Each answer is a normal 200, so the response cache keeps it per data version
with an ETag: a reader polling every few minutes gets 304s until an ingest adds a round. Links
are absolute, from ``api.public_origin`` (``EEDRAWS_PUBLIC_URL``, or the request's origin).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import msgspec
from litestar import Request, Response, get
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec

from api import feeds, reads
from api.filters import DEFAULT_LIMIT, MAX_LIMIT, DrawFilter, DrawQuery, parse_int
from api.public_origin import ABSOLUTE_LINKS, PublicOrigin
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
    # Links from the one configured origin (or the request's own): never from request.base_url.
    origin: PublicOrigin = request.app.state.public_origin
    base = origin.of(request.scope)
    query = request.scope["query_string"].decode("latin-1")
    entries = feeds.entries(rows.draws, pools, base + "/draws/{number}")
    stamp = await reads.data_stamp(db)
    return feeds.Feed(
        id=feeds.feed_id(draw_filter.categories),
        title=feeds.TITLE
        + (f" ({', '.join(draw_filter.categories)})" if draw_filter.categories else ""),
        self_url=base + request.scope["path"] + (f"?{query}" if query else ""),
        home_url=base + "/",
        updated=entries[0].updated if entries else stamp.data_changed_at,
        entries=entries,
    )


class FeedFormat(msgspec.Struct, frozen=True, kw_only=True):
    suffix: str
    media_type: str
    operation_id: str
    summary: str
    description: str
    body: str
    render: Callable[[feeds.Feed], bytes]


FEED_FORMATS = (
    FeedFormat(
        suffix="atom",
        media_type=ATOM,
        operation_id="getDrawsAtom",
        summary="Rounds as an Atom feed",
        description="Atom (RFC 4287), newest first: one entry per round, its id a `tag:` URI "
        "that never changes, `updated` the round's run time (its date when IRCC gave none), a "
        "link to the round's page. The filters of `/v1/draws`; `limit` rounds (50). Poll with "
        "`If-None-Match`: a 304 until a round is added.",
        body="An Atom feed",
        render=feeds.atom,
    ),
    FeedFormat(
        suffix="feed.json",
        media_type=JSON_FEED,
        operation_id="getDrawsJsonFeed",
        summary="Rounds as a JSON Feed",
        description="JSON Feed 1.1 with the same items as `/v1/draws.atom`.",
        body="A JSON Feed",
        render=feeds.json_feed,
    ),
)


def feed_route(fmt: FeedFormat) -> HTTPRouteHandler:
    async def feed(
        request: Request[Any, Any, Any],
        db: Database,
        draw_filter: DrawFilter,
        limit: LimitParam = None,
    ) -> Response[bytes]:
        found = await _feed(request, db, draw_filter, limit)
        return Response(fmt.render(found), media_type=fmt.media_type)

    return get(
        f"/v1/draws.{fmt.suffix}",
        operation_id=fmt.operation_id,
        summary=fmt.summary,
        description=fmt.description,
        media_type=fmt.media_type,
        responses={200: ResponseSpec(None, description=fmt.body, media_type=fmt.media_type)},
        tags=["draws"],
        dependencies={"draw_filter": DRAW_FILTER},
        opt={ABSOLUTE_LINKS: True},
    )(feed)


FEED_ROUTES = [feed_route(fmt) for fmt in FEED_FORMATS]
