"""The /graphql schema: the root ``Query``, each field one call into the read layer.

Lookups of one thing (``draw``, ``category``, ``poolSnapshot``, ``latestDraw``) answer null
when it does not exist; invalid arguments are errors with a code (api/graphql/errors.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Annotated, Any, TypeVar

import msgspec
import strawberry
from graphql import GraphQLError
from strawberry.schema.types.base_scalars import DateTimeDefinition
from strawberry.types import ExecutionContext

import api.graphql.forecasts  # noqa: F401 (derives the forecasts' types first)
from api import models, reads
from api.errors import NotFound
from api.graphql import errors, limits
from api.graphql.derive import Info, graphql_annotation, graphql_type_of
from api.graphql.execution import FastLeavesExecutionContext
from api.graphql.trends import (
    CrsAgg,
    InvitationAgg,
    SeriesFrequency,
    SeriesTransform,
    series_spec,
)
from api.graphql.types import (
    NEWEST_FIRST,
    Category,
    Draw,
    DrawConnection,
    DrawFilter,
    DrawPageSource,
    DrawSort,
    PoolSnapshot,
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


PER_DRAW = SeriesFrequency("draw")


def _read_filter(given: DrawFilter | None) -> reads.DrawFilter:
    return given.to_read_filter() if given is not None else reads.DrawFilter()


def _series_resolver(
    read: Callable[[reads.Db, reads.SeriesSpec], Awaitable[models.Series]], aggs: type[Enum]
) -> Callable[..., Awaitable[models.Series]]:
    """A series field's resolver; ``aggs`` (its enum, REST's default first) types ``agg``."""
    default_agg = next(iter(aggs))

    async def series(
        info: Info,
        filter: DrawFilter | None = None,
        frequency: SeriesFrequency = PER_DRAW,
        agg: Enum = default_agg,
        transform: SeriesTransform | None = None,
        window: int | None = None,
    ) -> models.Series:
        spec = series_spec(_read_filter(filter), frequency, agg, transform, window)
        return await read(info.context.db, spec)

    series.__annotations__ = {**series.__annotations__, "agg": aggs}
    return series


@strawberry.type(description="Express Entry rounds of invitations, as REST /v1 serves them.")
class Query:
    @field(graphql_type=DrawConnection, description="Draws, newest first by default")
    @staticmethod
    async def draws(
        info: Info,
        filter: DrawFilter | None = None,
        sort: DrawSort = NEWEST_FIRST,
        first: int = reads.DEFAULT_LIMIT,
        after: str | None = None,
    ) -> DrawPageSource:
        f = _read_filter(filter)
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

    @field(graphql_type=graphql_type_of(models.Status))
    @staticmethod
    async def status(info: Info) -> models.Status:
        return await reads.status(info.context.db)

    crs_series = field(
        graphql_type=graphql_type_of(models.Series),
        description="The cut-off CRS over time (REST /v1/series/crs)",
    )(_series_resolver(reads.crs_series, CrsAgg))
    invitation_series = field(
        graphql_type=graphql_type_of(models.Series),
        description="Invitations over time (REST /v1/series/invitations)",
    )(_series_resolver(reads.invitation_series, InvitationAgg))

    @field(
        graphql_type=graphql_type_of(models.BandHistory),
        description="One CRS band over every snapshot; `band` as 451-500 or its number",
    )
    @staticmethod
    async def pool_band_history(info: Info, band: str) -> models.BandHistory:
        return await reads.pool_band_history(info.context.db, band)

    @field(
        graphql_type=graphql_annotation(list[models.PoolChange]),
        description="Per snapshot, each band's change",
    )
    @staticmethod
    async def pool_changes(info: Info) -> list[models.PoolChange]:
        return await reads.pool_changes(info.context.db)

    @field(
        graphql_type=graphql_type_of(models.Standing),
        description="Where a CRS score stands (REST /v1/standing); `filter` chooses the rounds",
    )
    @staticmethod
    async def standing(
        info: Info,
        crs: int,
        filter: DrawFilter | None = None,
        last: int = reads.DEFAULT_LAST,
    ) -> models.Standing:
        f = _read_filter(filter)
        return await reads.standing(info.context.db, crs, f, last)

    @field(
        graphql_type=graphql_annotation(list[models.NextRound]),
        description="Each category line's next round, estimated, with 80% and 95% intervals and "
        "the backtest behind them (REST /v1/forecasts/next); `categories`: slugs, none for all",
    )
    @staticmethod
    async def next_round(info: Info, categories: list[str] | None = None) -> list[models.NextRound]:
        return await reads.next_rounds(info.context.db, categories or ())

    @field(
        graphql_type=graphql_type_of(models.ForecastBacktest),
        description="The rolling-origin backtest behind nextRound (REST /v1/forecasts/backtest)",
    )
    @staticmethod
    async def forecast_backtest(
        info: Info, categories: list[str] | None = None
    ) -> models.ForecastBacktest:
        return await reads.forecast_backtest(info.context.db, categories or ())


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
