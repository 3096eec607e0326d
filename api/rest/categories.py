"""/v1/categories: lines of round types (programs, categories), with every published name."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath

from api import reads
from api.columns import CATEGORIES
from api.models import Category
from api.rest.formats import Listing, Output, respond, tabular_routes
from api.rest.params import Database


async def list_categories(
    request: Request[Any, Any, Any], db: Database, output: Output
) -> Response[Any]:
    categories = await reads.list_categories(db)
    listing = Listing(table=CATEGORIES, rows=categories, json=categories)
    return await respond(request, db, output, listing)


CATEGORY_ROUTES = tabular_routes(
    "/v1/categories",
    list_categories,
    json_model=list[Category],
    summary="Every category line, most recently drawn first",
    file_operation="getCategories",
    file_summary="Category lines with every published name",
    description="Also as `/v1/categories.csv` and `.xlsx` (or `Accept: text/csv`); the files "
    "list every published name in `aliases`, joined with `;`.",
    tags=["categories"],
)


class CategoriesController(Controller):
    path = "/v1/categories"
    tags = ("categories",)

    @get("/{slug:str}", summary="One category: aliases, versions, first and last draw, counts")
    async def get_category(self, db: Database, slug: FromPath[str]) -> Category:
        return await reads.get_category(db, slug)
