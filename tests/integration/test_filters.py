"""The draw filter, declared once: one table drives REST, GraphQL, SQL and the OpenAPI."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from strawberry.types.base import StrawberryObjectDefinition

from api.errors import InvalidParameter
from api.filters import FILTERS, RANGES, DrawFilter, DrawQuery, where_clause
from api.graphql.schema import schema
from tests.support.graphql import answer, data

Client = AsyncTestClient[Litestar]


@pytest.fixture
def api(client_2024_2026: Client) -> Client:
    return client_2024_2026


# --- the filter validates itself ---------------------------------------------------------


def test_a_filter_removes_repeated_categories_keeping_their_order() -> None:
    f = DrawFilter(categories=("stem", "healthcare", "stem"))
    assert f.categories == ("stem", "healthcare")


@pytest.mark.parametrize(
    ("values", "detail"),
    [
        ({"min_crs": 1201}, "`min_crs` must be an integer from 0 to 1200, got `1201`"),
        ({"max_crs": -1}, "`max_crs` must be an integer from 0 to 1200, got `-1`"),
        ({"min_invitations": 2**31}, "`min_invitations` must be an integer from 0 to 100000"),
        ({"categories": ("",)}, "`category` must be a category slug"),
        ({"categories": ("a\x00b",)}, "`category` must be a category slug"),
        ({"categories": tuple(f"c{i}" for i in range(51))}, "takes at most 50 values, got 51"),
    ],
)
def test_a_filter_refuses_what_it_cannot_mean_however_it_is_made(
    values: dict[str, Any], detail: str
) -> None:
    with pytest.raises(InvalidParameter) as raised:
        DrawFilter(**values)
    assert detail in raised.value.detail


@pytest.mark.parametrize(
    ("values", "why"),
    [
        ({"min_crs": 500, "max_crs": 400}, "`min_crs` (500) is above `max_crs` (400)"),
        (
            {"date_from": dt.date(2025, 1, 1), "date_to": dt.date(2024, 1, 1)},
            "`from` (2025-01-01) is after `to` (2024-01-01)",
        ),
    ],
)
def test_an_empty_range_is_a_filter_that_matches_nothing_and_says_why(
    values: dict[str, Any], why: str
) -> None:
    assert DrawFilter(**values).empty_range() == why
    assert DrawFilter(min_crs=400, max_crs=400).empty_range() is None


def test_a_query_refuses_an_unknown_sort_listing_the_allowed_ones() -> None:
    with pytest.raises(InvalidParameter) as raised:
        DrawQuery(sort="name")
    assert raised.value.detail == (
        "`sort` must be one of date, -date, crs_min, -crs_min, invitations, -invitations; "
        "got `name`"
    )


def test_two_filters_on_one_column_from_below_and_above_are_a_range() -> None:
    pairs = {(low.name, high.name) for low, high in RANGES}
    # At least these: a filter added to the table may make another pair.
    assert {("from", "to"), ("min_crs", "max_crs")} <= pairs
    assert ("min_crs", "max_invitations") not in pairs and ("to", "from") not in pairs


def test_the_sql_has_one_null_tolerant_predicate_per_filter_in_table_order() -> None:
    sql = where_clause()
    for n, spec in enumerate(FILTERS, start=1):
        assert f"(${n}::" in sql and spec.filter.column in sql
    assert sql.count(" IS NULL OR ") == len(FILTERS)
    assert len(DrawFilter(min_crs=400).args()) == len(FILTERS)


# --- every surface reads the same table --------------------------------------------------


async def test_the_rest_list_and_both_exports_document_every_filter_of_the_table(
    client: Client,
) -> None:
    spec = (await client.get("/openapi.json")).json()
    names = [f.name for f in FILTERS]
    for path in ("/v1/draws", "/v1/draws.csv", "/v1/draws.xlsx"):
        documented = [p["name"] for p in spec["paths"][path]["get"]["parameters"]]
        assert documented[: len(names)] == names
        assert {"sort", "limit", "cursor"} <= set(documented)
    by_name = {p["name"]: p["schema"] for p in spec["paths"]["/v1/draws"]["get"]["parameters"]}
    assert by_name["min_crs"] == {
        "type": "integer",
        "minimum": 0,
        "maximum": 1200,
        "description": "Cut-off CRS at least this",
    }
    assert by_name["from"]["format"] == "date"
    assert by_name["category"]["items"]["minLength"] == 1
    assert "below `from`, no round matches" in by_name["to"]["description"]


def test_graphql_draw_filter_input_has_a_field_for_every_filter_of_the_table() -> None:
    draw_filter = schema.get_type_by_name("DrawFilter")
    assert isinstance(draw_filter, StrawberryObjectDefinition) and draw_filter.is_input
    by_name = {f.graphql_name: f for f in draw_filter.fields}
    assert list(by_name) == [spec.graphql_name for spec in FILTERS]
    assert by_name["minCrs"].description == "Cut-off CRS at least this (0 to 1200)"


async def test_a_parameter_declared_by_the_filter_dependency_is_accepted_and_a_typo_listed(
    api: Client,
) -> None:
    assert (await api.get("/v1/draws?min_invitations=3000")).status_code == 200
    answer = await api.get("/v1/draws?min_invitation=3000")
    assert answer.status_code == 400
    detail = answer.json()["detail"]
    assert detail.startswith("unknown query parameter `min_invitation`; this endpoint accepts:")
    for spec in FILTERS:
        assert f"`{spec.name}`" in detail


async def test_rest_and_graphql_give_the_same_rows_and_errors_for_the_same_filter(
    api: Client,
) -> None:
    rest = (await api.get("/v1/draws?min_crs=400&category=healthcare&limit=500")).json()
    graphql = await data(
        api,
        '{ draws(first: 500, filter: {minCrs: 400, categories: ["healthcare"]}) '
        "{ nodes { number } } }",
    )
    assert [d["number"] for d in rest["data"]] == [n["number"] for n in graphql["draws"]["nodes"]]
    assert rest["data"]
    bad_rest = (await api.get("/v1/draws?min_crs=1300")).json()["detail"]
    # Nothing ran (draws is non-null): GraphQL answers 400, as REST does.
    status, bad_graphql = await answer(api, "{ draws(filter: {minCrs: 1300}) { totalCount } }")
    assert status == 400
    assert bad_rest == "`min_crs` must be an integer from 0 to 1200, got `1300`"
    assert bad_graphql["errors"][0]["message"] == bad_rest.replace("`min_crs`", "`minCrs`")


# --- cursors come from the rows ------------------------------------------------------------


@pytest.mark.parametrize("sort", ["-date", "crs_min", "-invitations"])
async def test_graphql_edge_cursors_are_the_rest_cursors_of_the_same_rows(
    api: Client, sort: str
) -> None:
    rest = (await api.get(f"/v1/draws?limit=3&sort={sort}")).json()
    enum = {"-date": "DATE_DESC", "crs_min": "CRS_MIN_ASC", "-invitations": "INVITATIONS_DESC"}
    page = (
        await data(
            api,
            f"{{ draws(first: 3, sort: {enum[sort]}) {{ edges {{ cursor node {{ number }} }} "
            "pageInfo { endCursor } } }",
        )
    )["draws"]
    assert page["pageInfo"]["endCursor"] == rest["next_cursor"]
    assert page["edges"][-1]["cursor"] == rest["next_cursor"]
    # Resuming after any edge gives the rows after it, in REST as in GraphQL.
    second = page["edges"][0]["cursor"]
    after = (await api.get(f"/v1/draws?limit=2&sort={sort}&cursor={second}")).json()
    assert [d["number"] for d in after["data"]] == [d["number"] for d in rest["data"][1:3]]
