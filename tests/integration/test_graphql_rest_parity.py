"""REST and GraphQL give the same numbers for the same question, field by field.

Each GraphQL query is built from the REST answer itself (its keys in camelCase), so a field REST
serves that GraphQL lacks, or answers differently, fails here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.support.graphql import data

Client = AsyncTestClient  # type: ignore[type-arg]


def camel(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            re.sub(r"_([a-z0-9])", lambda m: m[1].upper(), k): camel(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [camel(v) for v in value]
    return value


def as_graphql_draw(draw: dict[str, Any]) -> dict[str, Any]:
    """REST's ``category.version`` is ``categoryVersion`` in GraphQL (docs/graphql.md)."""
    draw = camel(draw)
    category = dict(draw["category"])
    return {**draw, "category": category, "categoryVersion": category.pop("version")}


def as_graphql_category(category: dict[str, Any]) -> dict[str, Any]:
    """REST's ``draws`` count is ``draws { totalCount }`` in GraphQL."""
    category = camel(category)
    return {**category, "draws": {"totalCount": category["draws"]}}


def as_graphql_stat(stat: dict[str, Any]) -> dict[str, Any]:
    """REST leaves ``category`` out of per-year rows; per category it carries no version."""
    stat = camel(stat)
    if stat.get("category") is not None:
        stat["category"] = {k: v for k, v in stat["category"].items() if k != "version"}
    return stat


def selection(expected: Any) -> str:
    """The selection set that asks GraphQL for exactly the keys of ``expected``."""
    if isinstance(expected, list):
        items = [v for v in expected if v is not None]
        return selection(items[0]) if items else ""
    if isinstance(expected, dict):
        return "{ " + " ".join(k + " " + selection(v) for k, v in expected.items()) + " }"
    return ""


@pytest.fixture
def loaded(client_2026: Client) -> Client:
    return client_2026


async def rest(client: Client, url: str) -> Any:
    response = await client.get(url)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize(
    ("url", "arguments"),
    [
        ("/v1/draws?limit=5", "first: 5"),
        (
            "/v1/draws?category=healthcare&category=pnp&from=2018-01-01&sort=crs_min&limit=2",
            'first: 2, sort: CRS_MIN_ASC, filter: {categories: ["healthcare", "pnp"], '
            'from: "2018-01-01"}',
        ),
        ("/v1/draws?min_invitations=1000&max_crs=500&sort=-invitations", "sort: INVITATIONS_DESC"
         ", filter: {minInvitations: 1000, maxCrs: 500}"),
    ],
)  # fmt: skip
async def test_draws_pages_are_the_same(loaded: Client, url: str, arguments: str) -> None:
    page = await rest(loaded, url)
    expected = [as_graphql_draw(d) for d in page["data"]]
    query = f"{{ draws({arguments}) {{ nodes {selection(expected)} pageInfo {{ hasNextPage endCursor }} }} }}"  # noqa: E501
    connection = (await data(loaded, query))["draws"]
    assert connection["nodes"] == expected
    assert connection["pageInfo"]["hasNextPage"] is (page["next_cursor"] is not None)
    if page["next_cursor"] is not None:
        assert connection["pageInfo"]["endCursor"] == page["next_cursor"]


def each(transform: Callable[[Any], Any]) -> Callable[[list[Any]], list[Any]]:
    return lambda answers: [transform(a) for a in answers]


SAME_ANSWERS = [
    ("/v1/draws/latest", "latestDraw", as_graphql_draw),
    ("/v1/draws/latest?category=healthcare", 'latestDraw(category: "healthcare")', as_graphql_draw),
    ("/v1/draws/91b", 'draw(number: "91B")', as_graphql_draw),
    ("/v1/stats/yearly", "yearlyStats", each(as_graphql_stat)),
    ("/v1/stats/yearly?group_by=category", "yearlyStats(groupByCategory: true)",
     each(as_graphql_stat)),
    ("/v1/pool/latest", "poolSnapshot", camel),
    ("/v1/pool/2025-07-20", 'poolSnapshot(date: "2025-07-20")', camel),
    ("/v1/pool?from=2022-01-01", 'poolSnapshots(from: "2022-01-01")', camel),
    ("/v1/categories/healthcare", 'category(slug: "healthcare")', as_graphql_category),
    ("/v1/categories", "categories", each(as_graphql_category)),
    ("/v1/status", "status", camel),
]  # fmt: skip


@pytest.mark.parametrize(
    ("url", "field", "as_graphql"), SAME_ANSWERS, ids=[a[0] for a in SAME_ANSWERS]
)
async def test_rest_and_graphql_answer_the_same(
    loaded: Client, url: str, field: str, as_graphql: Callable[[Any], Any]
) -> None:
    expected = as_graphql(await rest(loaded, url))
    answer = await data(loaded, f"{{ answer: {field} {selection(expected)} }}")
    assert answer["answer"] == expected


async def test_a_draws_category_details_are_those_of_its_category(loaded: Client) -> None:
    expected = as_graphql_category(await rest(loaded, "/v1/categories/healthcare"))
    answer = await data(loaded, f'{{ draw(number: "357") {{ category {selection(expected)} }} }}')
    assert answer["draw"]["category"] == expected
