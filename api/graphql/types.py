"""GraphQL types over the one model (``api.models``); field names are REST's, in camelCase.

These classes only describe the schema: they are never instantiated. Their values are the
msgspec structs the read layer returns, and a field with no resolver is read straight off the
struct, so serving a draw costs no conversion. Where a type is reached both with and without
its details (``Category`` from a draw carries only slug and name; a ``PoolSnapshot`` from
``poolSnapshots`` has no bands), the missing fields come from a per-request DataLoader.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any, TypeVar, cast

import msgspec
import strawberry
from strawberry.annotation import StrawberryAnnotation
from strawberry.utils.str_converters import to_camel_case

from api import models, reads
from api.graphql.context import Context
from api.graphql.limits import check_first
from api.graphql.loaders import CategoryPage
from api.graphql.trends import DrawContext

Info = strawberry.Info[Context, None]
F = TypeVar("F")


def field(*, graphql_type: object = None, description: str | None = None) -> Callable[[F], F]:
    """``strawberry.field`` with options, typed so mypy still checks the resolver under it."""
    return cast(
        "Callable[[F], F]", strawberry.field(graphql_type=graphql_type, description=description)
    )


def gql(annotation: str) -> StrawberryAnnotation:
    """A GraphQL type of this module by its Python name, for resolvers that return structs."""
    return StrawberryAnnotation(annotation, namespace=globals())


@strawberry.enum(description="Orders of `draws`: the REST `sort` values, given in each value.")
class DrawSort(Enum):
    DATE_ASC = strawberry.enum_value("date", description="REST sort=date: oldest first")
    DATE_DESC = strawberry.enum_value("-date", description="REST sort=-date: newest first")
    CRS_MIN_ASC = strawberry.enum_value("crs_min", description="REST sort=crs_min")
    CRS_MIN_DESC = strawberry.enum_value("-crs_min", description="REST sort=-crs_min")
    INVITATIONS_ASC = strawberry.enum_value("invitations", description="REST sort=invitations")
    INVITATIONS_DESC = strawberry.enum_value("-invitations", description="REST sort=-invitations")


@strawberry.input(description="Which draws: the REST query parameters of /v1/draws.")
class DrawFilter:
    categories: list[str] | None = strawberry.field(
        default=None, description="Category slugs (any of them); see `categories { slug }`"
    )
    from_: dt.date | None = strawberry.field(name="from", default=None, description="On or after")
    to: dt.date | None = strawberry.field(default=None, description="On or before")
    min_crs: int | None = None
    max_crs: int | None = None
    min_invitations: int | None = None

    def to_read_filter(self) -> reads.DrawFilter:
        # The read layer's filter checks itself (bounds, from <= to): nothing to check here.
        return reads.DrawFilter.from_fields(
            {
                f.graphql_name or to_camel_case(f.python_name): getattr(self, f.python_name)
                for f in DRAW_FILTER_FIELDS
            }
        )


DRAW_FILTER_FIELDS = DrawFilter.__strawberry_definition__.fields  # type: ignore[attr-defined]


# --- connections -------------------------------------------------------------------------


class DrawPageSource(msgspec.Struct, frozen=True):
    """What a ``DrawConnection`` resolves from: a page and the question that made it."""

    page: reads.DrawRows
    sort: str
    filter: reads.DrawFilter
    after: str | None
    # Known without a query when the connection hangs off a Category that counted its draws.
    total: int | None = None
    # The category line whose draws these are (counted in one batch with its siblings').
    category: str | None = None


class DrawEdgeSource(msgspec.Struct, frozen=True):
    node: models.Draw
    cursor: str


async def draw_page(
    info: Info,
    f: reads.DrawFilter,
    *,
    sort: DrawSort,
    first: int,
    after: str | None,
    total: int | None = None,
) -> DrawPageSource:
    # Each DrawSort value is REST's spelling (typed as strawberry's wrapper, hence str()).
    rest_sort = str(sort.value)
    query = reads.DrawQuery(filter=f, sort=rest_sort, limit=check_first(first), cursor=after)
    page = await reads.list_draws(info.context.db, query)
    return DrawPageSource(page, rest_sort, f, after, total)


@strawberry.type(description="Relay page info.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool = strawberry.field(
        description="True when the page was asked for `after` a cursor"
    )
    start_cursor: str | None
    end_cursor: str | None = strawberry.field(
        description="Pass as `after` for the next page (the REST `next_cursor` when there is one)"
    )


@strawberry.type
class DrawEdge:
    node: Draw

    cursor: str = strawberry.field(description="The row's own cursor, from its sort key")


@strawberry.type(description="A page of draws (Relay connection).")
class DrawConnection:
    @field(graphql_type=gql("list[DrawEdge]"))
    @staticmethod
    def edges(parent: strawberry.Parent[DrawPageSource]) -> list[DrawEdgeSource]:
        page = parent.page
        return [DrawEdgeSource(d, c) for d, c in zip(page.draws, page.cursors, strict=True)]

    @field(graphql_type=gql("list[Draw]"), description="The drawn nodes, no edges")
    @staticmethod
    def nodes(parent: strawberry.Parent[DrawPageSource]) -> list[models.Draw]:
        return parent.page.draws

    @strawberry.field
    @staticmethod
    def page_info(parent: strawberry.Parent[DrawPageSource]) -> PageInfo:
        cursors = parent.page.cursors
        return PageInfo(
            has_next_page=parent.page.next_cursor is not None,
            has_previous_page=parent.after is not None,
            start_cursor=cursors[0] if cursors else None,
            end_cursor=cursors[-1] if cursors else None,
        )

    @field(description="Draws matching the filter, on every page")
    @staticmethod
    async def total_count(parent: strawberry.Parent[DrawPageSource], info: Info) -> int:
        if parent.total is not None:
            return parent.total
        if parent.category is not None:
            return await info.context.loaders.category_draw_count.load(parent.category)
        return await reads.count_draws(info.context.db, parent.filter)


# --- draws, categories, pool -------------------------------------------------------------


@strawberry.type(description="One round of invitations (REST /v1/draws/{number}).")
class Draw:
    number: str = strawberry.field(description="As IRCC numbers it: 385, 91b")
    date: dt.date
    category: Category = strawberry.field(
        description="Its category line; slug and name cost nothing, other fields one query"
    )
    name: str = strawberry.field(description="Round type exactly as IRCC named it")
    invitations: int
    crs_min: int = strawberry.field(description="Lowest CRS score invited (the cut-off)")
    programs: str
    run_at: dt.datetime | None
    tie_break_at: dt.datetime | None
    pool_snapshot_date: dt.date | None
    flags: list[str]

    @field(description="Version of the category the round was under (REST `category.version`)")
    @staticmethod
    def category_version(parent: strawberry.Parent[models.Draw]) -> int | None:
        return parent.category.version

    @field(graphql_type=gql("PoolSnapshot | None"))
    @staticmethod
    def pool_snapshot(
        parent: strawberry.Parent[models.Draw], info: Info
    ) -> Awaitable[models.PoolSnapshot | None] | None:
        if parent.pool_snapshot_date is None:
            return None
        return info.context.loaders.pool_snapshot.load(parent.pool_snapshot_date)

    @field(
        graphql_type=DrawContext,
        description="Its rank in the year and in its line, the line's year so far, the round "
        "before it in its line, its pool snapshot (REST /v1/draws/{number}/context)",
    )
    @staticmethod
    async def context(parent: strawberry.Parent[models.Draw], info: Info) -> models.DrawContext:
        # One query for every draw of the page that asks (a DataLoader).
        found = await info.context.loaders.draw_context.load(parent.number)
        if found is None:
            raise RuntimeError(f"round {parent.number} has no context")
        return found


CategorySource = models.Category | models.CategoryRef


def _category_detail(parent: CategorySource, info: Info, name: str) -> Any:
    if isinstance(parent, models.Category):
        return getattr(parent, name)
    return _loaded_detail(info.context.loaders.category.load(parent.slug), name)


async def _loaded_detail(pending: Awaitable[models.Category | None], name: str) -> Any:
    category = await pending
    if category is None:
        raise RuntimeError("a draw's category line is missing from the categories")
    return getattr(category, name)


@strawberry.type(description="One version of a category line, with the names it went by.")
class CategoryVersion:
    version: int | None
    names: list[str]
    draws: int = strawberry.field(description="Number of rounds under this version")
    first_draw_date: dt.date
    last_draw_date: dt.date


@strawberry.type(
    description="A line of round types: a program or category, with every name IRCC gave it "
    "(REST /v1/categories/{slug}). The REST `draws` count is `draws { totalCount }`."
)
class Category:
    slug: str
    name: str

    @field(graphql_type=str, description="general, program or category")
    @staticmethod
    def kind(parent: strawberry.Parent[CategorySource], info: Info) -> Any:
        return _category_detail(parent, info, "kind")

    @field(graphql_type=list[str])
    @staticmethod
    def aliases(parent: strawberry.Parent[CategorySource], info: Info) -> Any:
        return _category_detail(parent, info, "aliases")

    @field(graphql_type=list[CategoryVersion])
    @staticmethod
    def versions(parent: strawberry.Parent[CategorySource], info: Info) -> Any:
        return _category_detail(parent, info, "versions")

    @field(graphql_type=int, description="Invitations over all its rounds")
    @staticmethod
    def invitations(parent: strawberry.Parent[CategorySource], info: Info) -> Any:
        return _category_detail(parent, info, "invitations")

    @field(graphql_type=dt.date | None)
    @staticmethod
    def first_draw_date(parent: strawberry.Parent[CategorySource], info: Info) -> Any:
        return _category_detail(parent, info, "first_draw_date")

    @field(graphql_type=dt.date | None)
    @staticmethod
    def last_draw_date(parent: strawberry.Parent[CategorySource], info: Info) -> Any:
        return _category_detail(parent, info, "last_draw_date")

    @field(graphql_type=str | None, description="Number of its first round")
    @staticmethod
    def first_draw(parent: strawberry.Parent[CategorySource], info: Info) -> Any:
        return _category_detail(parent, info, "first_draw")

    @field(graphql_type=str | None, description="Number of its newest round")
    @staticmethod
    def last_draw(parent: strawberry.Parent[CategorySource], info: Info) -> Any:
        return _category_detail(parent, info, "last_draw")

    @field(graphql_type=DrawConnection, description="Its rounds, newest first unless sorted")
    @staticmethod
    async def draws(
        parent: strawberry.Parent[CategorySource],
        info: Info,
        first: int = reads.DEFAULT_LIMIT,
        after: str | None = None,
        sort: DrawSort = DrawSort.DATE_DESC,
    ) -> DrawPageSource:
        total = parent.draws if isinstance(parent, models.Category) else None
        rest_sort = str(sort.value)
        # Batched: a page of draws asking each for its category's draws is one statement.
        key = CategoryPage(parent.slug, rest_sort, check_first(first), after)
        page = await info.context.loaders.category_draws.load(key)
        f = reads.DrawFilter(categories=(parent.slug,))
        return DrawPageSource(page, rest_sort, f, after, total, parent.slug)


@strawberry.type(description="One CRS band of a pool snapshot.")
class PoolBand:
    band: int
    crs_lo: int
    crs_hi: int
    candidates: int
    is_subtotal: bool = strawberry.field(description="A sum of the bands below it (dd3, dd9)")


PoolSnapshotSource = models.PoolSnapshot | models.PoolSnapshotSummary


async def _loaded_bands(pending: Awaitable[models.PoolSnapshot | None]) -> list[models.PoolBand]:
    snapshot = await pending
    return [] if snapshot is None else snapshot.bands


@strawberry.type(description="The CRS distribution of the whole pool on a date (REST /v1/pool).")
class PoolSnapshot:
    date: dt.date
    total: int
    source_draw: str = strawberry.field(description="The round that published it")
    flags: list[str]

    @field(graphql_type=list[PoolBand])
    @staticmethod
    def bands(parent: strawberry.Parent[PoolSnapshotSource], info: Info) -> Any:
        if isinstance(parent, models.PoolSnapshot):
            return parent.bands
        return _loaded_bands(info.context.loaders.pool_snapshot.load(parent.date))

    @field(graphql_type=list[Draw], description="Rounds that published this snapshot")
    @staticmethod
    def draws(
        parent: strawberry.Parent[PoolSnapshotSource], info: Info
    ) -> Awaitable[list[models.Draw]]:
        return info.context.loaders.draws_by_snapshot.load(parent.date)


# --- stats and status --------------------------------------------------------------------


@strawberry.type(description="One year (and category line): rounds, invitations, cut-offs.")
class YearlyStat:
    year: int
    category: Category | None = strawberry.field(description="Set with groupByCategory")
    draws: int = strawberry.field(description="Number of rounds")
    invitations: int
    crs_min: int
    crs_max: int
    crs_mean: float


@strawberry.type
class IngestSummary:
    finished_at: dt.datetime
    source: str
    sha256: str
    rounds_in_file: int
    rounds_new: int
    rounds_changed: int
    changed_data: bool


@strawberry.type(description="Freshness of the data (REST /v1/status).")
class Status:
    data_version: int
    data_changed_at: dt.datetime
    last_ingest: IngestSummary | None
    newest_draw: str | None
    newest_draw_date: dt.date | None
    draws: int = strawberry.field(description="Number of rounds")
    categories: int = strawberry.field(description="Number of category lines")
    pool_snapshots: int = strawberry.field(description="Number of pool snapshots served")
