"""GraphQL types over the one model (``api.models``); field names are REST's, in camelCase.

These classes only describe the schema: they are never instantiated. Their fields are derived
from the models (``api.graphql.derive``); a class body holds only what GraphQL adds or does
differently. Values are the msgspec structs the read layer returns, and a field with no
resolver is read straight off the struct, so serving a draw costs no conversion. Where a type
is reached both with and without its details (``Category`` from a draw carries only slug and
name; a ``PoolSnapshot`` from ``poolSnapshots`` has no bands), the missing fields come from a
per-request DataLoader.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import TypeVar, cast

import msgspec
import strawberry
from strawberry.annotation import StrawberryAnnotation

from api import models, reads
from api.filters import FILTERS
from api.graphql.derive import (
    Info,
    choice_enum,
    derive_types,
    filter_input,
    object_type,
    rest_value,
    sort_doc,
    sort_name,
)
from api.graphql.limits import check_first
from api.graphql.loaders import CategoryPage
from api.graphql.trends import DrawContext

F = TypeVar("F")


def field(*, graphql_type: object = None, description: str | None = None) -> Callable[[F], F]:
    """``strawberry.field`` with options, typed so mypy still checks the resolver under it."""
    return cast(
        "Callable[[F], F]", strawberry.field(graphql_type=graphql_type, description=description)
    )


def gql(annotation: str) -> StrawberryAnnotation:
    """A GraphQL type of this module by its Python name, for resolvers that return structs."""
    return StrawberryAnnotation(annotation, namespace=globals())


@choice_enum(
    reads.SORTS,
    description="Orders of `draws`: the REST `sort` values, given in each value.",
    names=sort_name,
    docs=sort_doc,
)
class DrawSort(Enum):
    """One member per ``filters.SORTS`` value: ``DrawSort("-date")`` is ``DATE_DESC``."""


NEWEST_FIRST = DrawSort("-date")


@filter_input(description="Which draws: the REST query parameters of /v1/draws.")
class DrawFilter:
    """One field per filter of ``api.filters.FILTERS``, named as ``FilterField.graphql_name``."""

    def to_read_filter(self) -> reads.DrawFilter:
        # The read layer's filter checks itself (bounds, from <= to): nothing to check here.
        return reads.DrawFilter.from_fields(
            {spec.graphql_name: getattr(self, spec.attr) for spec in FILTERS}
        )


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


class DrawEdgeSource:
    """An edge of a page: its draw, and its cursor encoded only when asked for."""

    __slots__ = ("_index", "_page", "node")

    def __init__(self, page: reads.DrawRows, index: int) -> None:
        self.node = page.draws[index]
        self._page = page
        self._index = index

    @property
    def cursor(self) -> str:
        return self._page.cursors[self._index]


async def draw_page(
    info: Info,
    f: reads.DrawFilter,
    *,
    sort: DrawSort,
    first: int,
    after: str | None,
    total: int | None = None,
) -> DrawPageSource:
    rest_sort = rest_value(sort)
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
        return [DrawEdgeSource(page, i) for i in range(len(page.draws))]

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


@object_type(models.Draw)
class Draw:
    category: Category = strawberry.field(
        description="Its category line; slug and name cost nothing, other fields one query"
    )

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


derive_types(models.CategoryVersion, models.PoolBand)


def _complete_category(parent: models.CategoryRef, info: Info) -> Awaitable[models.Category | None]:
    return info.context.loaders.category.load(parent.slug)


@object_type(
    models.Category,
    summaries=(models.CategoryRef,),
    complete=_complete_category,
    description="A line of round types: a program or category, with every name IRCC gave it "
    "(REST /v1/categories/{slug}). The REST `draws` count is `draws { totalCount }`.",
)
class Category:
    @field(graphql_type=DrawConnection, description="Its rounds, newest first unless sorted")
    @staticmethod
    async def draws(
        parent: strawberry.Parent[models.Category | models.CategoryRef],
        info: Info,
        first: int = reads.DEFAULT_LIMIT,
        after: str | None = None,
        sort: DrawSort = NEWEST_FIRST,
    ) -> DrawPageSource:
        total = parent.draws if isinstance(parent, models.Category) else None
        rest_sort = rest_value(sort)
        # Batched: a page of draws asking each for its category's draws is one statement.
        key = CategoryPage(parent.slug, rest_sort, check_first(first), after)
        page = await info.context.loaders.category_draws.load(key)
        f = reads.DrawFilter(categories=(parent.slug,))
        return DrawPageSource(page, rest_sort, f, after, total, parent.slug)


def _complete_snapshot(
    parent: models.PoolSnapshotSummary, info: Info
) -> Awaitable[models.PoolSnapshot | None]:
    return info.context.loaders.pool_snapshot.load(parent.date)


@object_type(
    models.PoolSnapshot,
    summaries=(models.PoolSnapshotSummary,),
    complete=_complete_snapshot,
)
class PoolSnapshot:
    @field(graphql_type=list[Draw], description="Rounds that published this snapshot")
    @staticmethod
    def draws(
        parent: strawberry.Parent[models.PoolSnapshotSummary], info: Info
    ) -> Awaitable[list[models.Draw]]:
        return info.context.loaders.draws_by_snapshot.load(parent.date)


# --- stats and status --------------------------------------------------------------------


@object_type(models.YearlyStat)
class YearlyStat:
    category: Category | None = strawberry.field(description="Set with groupByCategory")


derive_types(models.IngestSummary, models.Status)
