"""Per-request DataLoaders: one read-layer call per kind of related object, however many ask.

A page of 100 draws asking for each one's pool snapshot runs one query for all the snapshots.
Loaders are made lazily, so a request that follows no relation builds none.
"""

from __future__ import annotations

from datetime import date
from functools import cached_property

from strawberry.dataloader import DataLoader

from api import reads
from api.models import Category, Draw, DrawContext, PoolSnapshot
from api.reads import Db


class Loaders:
    def __init__(self, db: Db) -> None:
        self.db = db

    @cached_property
    def pool_snapshot(self) -> DataLoader[date, PoolSnapshot | None]:
        return DataLoader(load_fn=self._pool_snapshots)

    @cached_property
    def draws_by_snapshot(self) -> DataLoader[date, list[Draw]]:
        return DataLoader(load_fn=self._draws_by_snapshot)

    @cached_property
    def draw_context(self) -> DataLoader[str, DrawContext | None]:
        return DataLoader(load_fn=self._draw_contexts)

    @cached_property
    def category(self) -> DataLoader[str, Category | None]:
        return DataLoader(load_fn=self._categories)

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
