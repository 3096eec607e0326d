"""The /graphql schema: the root ``Query``, each field one call into the read layer.

Lookups of one thing (``draw``, ``category``, ``poolSnapshot``, ``latestDraw``) answer null
when it does not exist; invalid arguments are errors with a code (api/graphql/errors.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Awaitable
from typing import Annotated, Any, TypeVar

import msgspec
import strawberry
from graphql import GraphQLError
from strawberry.schema.types.base_scalars import DateTimeDefinition
from strawberry.types import ExecutionContext

from api import models, reads
from api.errors import NotFound
from api.graphql import errors, limits
from api.graphql.execution import FastLeavesExecutionContext
from api.graphql.trends import (
    BandHistory,
    CrsAgg,
    InvitationAgg,
    PoolChange,
    Series,
    SeriesFrequency,
    SeriesTransform,
    Standing,
    series_spec,
)
from api.graphql.types import (
    Category,
    Draw,
    DrawConnection,
    DrawFilter,
    DrawPageSource,
    DrawSort,
    Info,
    PoolSnapshot,
    Status,
    YearlyStat,
    draw_page,
    field,
)

T = TypeVar("T")
From = Annotated[dt.date | None, strawberry.argument(name="from", description="On or after")]
To = Annotated[dt.date | None, strawberry.argument(description="On or before")]


async def _or_none(lookup: Awaitable[T]) -> T | None:
    try:
        return await lookup
    except NotFound:
        return None


@strawberry.type(description="Express Entry rounds of invitations, as REST /v1 serves them.")
class Query:
    @field(graphql_type=DrawConnection, description="Draws, newest first by default")
    @staticmethod
    async def draws(
        info: Info,
        filter: DrawFilter | None = None,
        sort: DrawSort = DrawSort.DATE_DESC,
        first: int = reads.DEFAULT_LIMIT,
        after: str | None = None,
    ) -> DrawPageSource:
        f = filter.to_read_filter() if filter is not None else reads.DrawFilter()
        return await draw_page(info, f, sort=sort, first=first, after=after)

    @field(graphql_type=Draw | None, description="One round by number (385, 91b)")
    @staticmethod
    async def draw(info: Info, number: str) -> models.Draw | None:
        return await _or_none(reads.get_draw(info.context.db, number))

    @field(graphql_type=Draw | None, description="The newest round, of a category")
    @staticmethod
    async def latest_draw(info: Info, category: str | None = None) -> models.Draw | None:
        return await _or_none(reads.latest_draw(info.context.db, category))

    @field(graphql_type=list[Category], description="Most recently drawn first")
    @staticmethod
    async def categories(info: Info) -> list[models.Category]:
        return await reads.list_categories(info.context.db)

    @field(graphql_type=Category | None)
    @staticmethod
    async def category(info: Info, slug: str) -> models.Category | None:
        return await _or_none(reads.get_category(info.context.db, slug))

    @field(graphql_type=list[PoolSnapshot], description="Newest first")
    @staticmethod
    async def pool_snapshots(
        info: Info, from_: From = None, to: To = None
    ) -> list[models.PoolSnapshotSummary]:
        return await reads.list_pool_snapshots(info.context.db, from_, to)

    @field(graphql_type=PoolSnapshot | None, description="Of a date; the newest if none")
    @staticmethod
    async def pool_snapshot(info: Info, date: dt.date | None = None) -> models.PoolSnapshot | None:
        db = info.context.db
        if date is None:
            return await _or_none(reads.latest_pool_snapshot(db))
        return await _or_none(reads.get_pool_snapshot(db, date))

    @field(graphql_type=list[YearlyStat])
    @staticmethod
    async def yearly_stats(info: Info, group_by_category: bool = False) -> list[models.YearlyStat]:
        return await reads.yearly_stats(info.context.db, by_category=group_by_category)

    @field(graphql_type=Status)
    @staticmethod
    async def status(info: Info) -> models.Status:
        return await reads.status(info.context.db)

    @field(graphql_type=Series, description="The cut-off CRS over time (REST /v1/series/crs)")
    @staticmethod
    async def crs_series(
        info: Info,
        filter: DrawFilter | None = None,
        frequency: SeriesFrequency = SeriesFrequency.DRAW,
        agg: CrsAgg = CrsAgg.MIN,
        transform: SeriesTransform | None = None,
        window: int | None = None,
    ) -> models.Series:
        f = filter.to_read_filter() if filter is not None else reads.DrawFilter()
        spec = series_spec(f, frequency, agg, transform, window)
        return await reads.crs_series(info.context.db, spec)

    @field(graphql_type=Series, description="Invitations over time (REST /v1/series/invitations)")
    @staticmethod
    async def invitation_series(
        info: Info,
        filter: DrawFilter | None = None,
        frequency: SeriesFrequency = SeriesFrequency.DRAW,
        agg: InvitationAgg = InvitationAgg.SUM,
        transform: SeriesTransform | None = None,
        window: int | None = None,
    ) -> models.Series:
        f = filter.to_read_filter() if filter is not None else reads.DrawFilter()
        spec = series_spec(f, frequency, agg, transform, window)
        return await reads.invitation_series(info.context.db, spec)

    @field(
        graphql_type=BandHistory,
        description="One CRS band over every snapshot; `band` as 451-500 or its number",
    )
    @staticmethod
    async def pool_band_history(info: Info, band: str) -> models.BandHistory:
        return await reads.pool_band_history(info.context.db, band)

    @field(graphql_type=list[PoolChange], description="Per snapshot, each band's change")
    @staticmethod
    async def pool_changes(info: Info) -> list[models.PoolChange]:
        return await reads.pool_changes(info.context.db)

    @field(
        graphql_type=Standing,
        description="Where a CRS score stands (REST /v1/standing); `filter` chooses the rounds",
    )
    @staticmethod
    async def standing(
        info: Info,
        crs: int,
        filter: DrawFilter | None = None,
        last: int = reads.DEFAULT_LAST,
    ) -> models.Standing:
        f = filter.to_read_filter() if filter is not None else reads.DrawFilter()
        return await reads.standing(info.context.db, crs, f, last)


def _rfc3339(value: Any) -> str:
    # Spelt as msgspec spells it in REST (``...Z``), so both APIs give identical strings.
    return msgspec.json.encode(value)[1:-1].decode()


DATETIME = dataclasses.replace(
    DateTimeDefinition, description="Date with time, RFC 3339", serialize=_rfc3339
)


class EedrawsSchema(strawberry.Schema):
    def process_errors(
        self, errors_: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        errors.label(errors_)


schema = EedrawsSchema(
    query=Query,
    extensions=limits.schema_extensions(),
    scalar_overrides={dt.datetime: DATETIME},
    execution_context_class=FastLeavesExecutionContext,
)


def sdl() -> str:
    """The schema in SDL, as committed in schema/schema.graphql."""
    return schema.as_str() + "\n"
