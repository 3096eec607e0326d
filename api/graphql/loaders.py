"""Per-request DataLoaders: one read-layer call per kind of related object, however many ask.

A page of 100 draws asking for each one's pool snapshot runs one query for all the snapshots;
asking for each one's category's draws runs one query for all the categories (per distinct
``first``/``after``/``sort``). Loaders are made lazily, so a request that follows no relation
builds none.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from datetime import date
from functools import cached_property
from typing import TypeVar

import msgspec
from strawberry.dataloader import DataLoader

from api import reads
from api.errors import ApiError
from api.models import Category, Draw, DrawContext, PoolSnapshot
from api.reads import Db, DrawRows

K = TypeVar("K")
V = TypeVar("V")


class CategoryPage(msgspec.Struct, frozen=True):
    """The key of one category's page of draws: batched with every key of the same page."""

    slug: str
    sort: str
    first: int
    after: str | None


class SharedLoader(DataLoader[K, V]):
    """A DataLoader whose loads survive the cancellation of one awaiter.

    One load's future is awaited by every field that asked for the key, anywhere in the query.
    When a field fails, graphql-core cancels its pending siblings; cancelling a task cancels the
    future it awaits, so without the shield every other field awaiting that key (in another
    branch) would get ``CancelledError``, which escapes execution as a crash.
    """

    def load(self, key: K) -> Awaitable[V]:
        return asyncio.shield(super().load(key))


class Loaders:
    def __init__(self, db: Db) -> None:
        self.db = db

    @cached_property
    def pool_snapshot(self) -> DataLoader[date, PoolSnapshot | None]:
        return SharedLoader(load_fn=self._pool_snapshots)

    @cached_property
    def draws_by_snapshot(self) -> DataLoader[date, list[Draw]]:
        return SharedLoader(load_fn=self._draws_by_snapshot)

    @cached_property
    def draw_context(self) -> DataLoader[str, DrawContext | None]:
        return SharedLoader(load_fn=self._draw_contexts)

    @cached_property
    def category(self) -> DataLoader[str, Category | None]:
        return SharedLoader(load_fn=self._categories)

    @cached_property
    def category_draws(self) -> DataLoader[CategoryPage, DrawRows]:
        return SharedLoader(load_fn=self._category_draws)

    @cached_property
    def category_draw_count(self) -> DataLoader[str, int]:
        return SharedLoader(load_fn=self._category_draw_counts)

    async def _pool_snapshots(self, dates: list[date]) -> list[PoolSnapshot | None]:
        found = await reads.pool_snapshots(self.db, dates)
        return [found.get(d) for d in dates]

    async def _draws_by_snapshot(self, dates: list[date]) -> list[list[Draw]]:
        found = await reads.draws_by_snapshot_dates(self.db, dates)
        return [found.get(d, []) for d in dates]

    async def _draw_contexts(self, numbers: list[str]) -> list[DrawContext | None]:
        found = await reads.draw_contexts(self.db, numbers)
        return [found.get(n) for n in numbers]

    async def _categories(self, slugs: list[str]) -> list[Category | None]:
        # There are a dozen lines; one query for all of them beats one per slug.
        by_slug = {c.slug: c for c in await reads.list_categories(self.db)}
        return [by_slug.get(slug) for slug in slugs]

    async def _category_draws(self, keys: list[CategoryPage]) -> list[DrawRows | ApiError]:
        groups: dict[tuple[str, int, str | None], list[str]] = {}
        for key in keys:
            groups.setdefault((key.sort, key.first, key.after), []).append(key.slug)
        found: dict[CategoryPage, DrawRows | ApiError] = {}
        for (sort, first, after), slugs in groups.items():
            pages: Sequence[tuple[str, DrawRows | ApiError]]
            try:
                by_slug = await reads.draws_of_categories(
                    self.db, slugs, sort=sort, limit=first, cursor=after
                )
                pages = list(by_slug.items())
            except ApiError as exc:  # a bad cursor fails its own page, not the others
                pages = [(slug, exc) for slug in slugs]
            for slug, page in pages:
                found[CategoryPage(slug, sort, first, after)] = page
        return [found[key] for key in keys]

    async def _category_draw_counts(self, slugs: list[str]) -> list[int]:
        counts = await reads.count_draws_of_categories(self.db, slugs)
        return [counts[slug] for slug in slugs]
