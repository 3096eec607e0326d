"""/v1/categories: lines of round types (programs, categories), with every published name."""

from __future__ import annotations

from litestar import Controller, get
from litestar.params import FromPath

from api import reads
from api.models import Category
from api.rest.params import Database


class CategoriesController(Controller):
    path = "/v1/categories"
    tags = ("categories",)

    @get("/", summary="Every category line, most recently drawn first")
    async def list_categories(self, db: Database) -> list[Category]:
        return await reads.list_categories(db)

    @get("/{slug:str}", summary="One category: aliases, versions, first and last draw, counts")
    async def get_category(self, db: Database, slug: FromPath[str]) -> Category:
        return await reads.get_category(db, slug)
