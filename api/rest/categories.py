"""/v1/categories: lines of round types (programs, categories), with every published name."""

from __future__ import annotations

from litestar import Controller, get

from api import reads
from api.columns import CATEGORIES
from api.models import Category
from api.rest.formats import rows_view, tabular_routes
from api.rest.params import CategorySlug, Database

CATEGORY_ROUTES = tabular_routes(
    "/v1/categories",
    rows_view(reads.list_categories, CATEGORIES),
    operation_id="listCategories",
    json_model=list[Category],
    summary="Every category line, most recently drawn first",
    file_operation="getCategories",
    file_summary="Category lines with every published name",
    description="The files list every published name in `aliases`, joined with `;`.",
)


class CategoriesController(Controller):
    path = "/v1/categories"
    tags = ("categories",)

    @get("/{slug:str}", summary="One category: aliases, versions, first and last draw, counts")
    async def get_category(self, db: Database, slug: CategorySlug) -> Category:
        return await reads.get_category(db, slug)
