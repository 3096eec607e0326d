"""/graphql over real PostgreSQL: the schema's fields, pagination, nulls, errors, SQL per query."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from tests.support.graphql import answer, codes, data, post
from tests.support.http import counting_statements

ROOT = Path(__file__).resolve().parents[2]
Client = AsyncTestClient  # type: ignore[type-arg]


@pytest.fixture
def loaded(client_2026: Client) -> Client:
    return client_2026


@pytest.fixture
def all_rounds(client_all_rounds: Client) -> Client:
    """Every round IRCC had published when the seed file was taken (hundreds)."""
    return client_all_rounds


PAGE = """
query Page($after: String) {
  draws(first: 5, after: $after) {
    totalCount
    edges { cursor node { number } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


async def test_draws_are_paged_with_after_until_there_is_no_next_page(loaded: Client) -> None:
    numbers: list[str] = []
    after = None
    for _ in range(5):
        page = (await data(loaded, PAGE, {"after": after}))["draws"]
        assert page["totalCount"] == 14
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        numbers += [e["node"]["number"] for e in page["edges"]]
        assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    newest_first = ["411", "398", "357", "333", "297", "270", "262", "226", "210", "208"]
    assert numbers == [*newest_first, "91b", "91a", "76", "1"]


async def test_every_edge_cursor_resumes_right_after_its_edge(loaded: Client) -> None:
    edges = (await data(loaded, PAGE))["draws"]["edges"]
    for i, edge in enumerate(edges[:-1]):
        resumed = (await data(loaded, PAGE, {"after": edge["cursor"]}))["draws"]["edges"]
        assert resumed[0]["node"] == edges[i + 1]["node"]


async def test_filter_and_sort_narrow_and_order_the_draws(loaded: Client) -> None:
    page = await data(
        loaded,
        """{ draws(filter: {categories: ["healthcare", "french-language-proficiency"],
                            from: "2023-01-01", minCrs: 420},
                   sort: CRS_MIN_ASC) {
               totalCount nodes { number crsMin category { slug } } } }""",
    )
    nodes = page["draws"]["nodes"]
    assert [n["number"] for n in nodes] == ["398", "357", "270"]
    assert page["draws"]["totalCount"] == 3
    assert [n["crsMin"] for n in nodes] == sorted(n["crsMin"] for n in nodes)


async def test_lettered_rounds_page_apart_on_the_same_day(loaded: Client) -> None:
    query = 'query($a: String) { draws(first: 1, after: $a, filter: {from: "2018-05-30", to: "2018-05-30"}) { edges { cursor node { number } } } }'  # noqa: E501
    first = (await data(loaded, query))["draws"]["edges"][0]
    second = (await data(loaded, query, {"a": first["cursor"]}))["draws"]["edges"][0]
    assert (first["node"]["number"], second["node"]["number"]) == ("91b", "91a")


async def test_lookups_of_missing_things_answer_null_not_errors(loaded: Client) -> None:
    body = await post(
        loaded,
        """{ draw(number: "999") { number } category(slug: "astronauts") { name }
             poolSnapshot(date: "1999-01-01") { total } }""",
    )
    assert "errors" not in body
    assert body["data"] == {"draw": None, "category": None, "poolSnapshot": None}


async def test_an_empty_store_has_no_latest_draw_or_snapshot(client: Client) -> None:
    body = await post(client, "{ latestDraw { number } poolSnapshot { date } }")
    assert "errors" not in body
    assert body["data"] == {"latestDraw": None, "poolSnapshot": None}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ('{ draws(after: "not-a-cursor") { totalCount } }', "not a cursor this API issued"),
        ("{ draws(first: 0) { totalCount } }", "first must be between 1 and 500"),
        ("{ draws(first: 501) { totalCount } }", "first must be between 1 and 500"),
        (
            "{ draws(filter: {minCrs: -1}) { totalCount } }",
            "`minCrs` must be an integer from 0 to 1200",
        ),
        ('{ draw(number: "three") { number } }', "is not a round number"),
        ('{ category(slug: "healthcare") { draws(first: 600) { totalCount } } }', "first must"),
    ],
)
async def test_invalid_arguments_are_bad_user_input_errors(
    loaded: Client, query: str, message: str
) -> None:
    status, body = await answer(loaded, query)
    assert codes(body) == ["BAD_USER_INPUT"]
    assert message in body["errors"][0]["message"]
    # Nothing to show (a non-null field failed) is the client's 400; a null lookup is a 200.
    assert status == (400 if body["data"] is None else 200)


async def test_a_filter_no_round_matches_is_an_empty_answer_as_on_rest(loaded: Client) -> None:
    body = await post(
        loaded,
        '{ a: draws(filter: {categories: ["astronauts"]}) { totalCount } '
        'b: draws(filter: {from: "2024-01-01", to: "2023-01-01"}) { totalCount } '
        "c: draws(filter: {minCrs: 500, maxCrs: 400}) { totalCount } "
        'd: latestDraw(category: "astronauts") { number } '
        'e: poolSnapshots(from: "2024-01-01", to: "2023-01-01") { date } }',
    )
    assert "errors" not in body, body
    assert body["data"] == {
        "a": {"totalCount": 0},
        "b": {"totalCount": 0},
        "c": {"totalCount": 0},
        "d": None,
        "e": [],
    }


async def test_a_cursor_from_another_sort_is_refused(loaded: Client) -> None:
    end = (await data(loaded, "{ draws(first: 2) { pageInfo { endCursor } } }"))["draws"]
    status, body = await answer(
        loaded,
        "query($a: String) { draws(sort: CRS_MIN_ASC, after: $a) { totalCount } }",
        {"a": end["pageInfo"]["endCursor"]},
    )
    assert status == 400
    assert codes(body) == ["BAD_USER_INPUT"] and "keep the sort" in body["errors"][0]["message"]


async def test_a_category_page_is_one_query_with_its_draws(loaded: Client) -> None:
    category = (
        await data(
            loaded,
            """{ category(slug: "healthcare") { name kind aliases versions { version names draws }
                   firstDraw lastDraw draws(first: 1) { totalCount nodes { number } } } }""",
        )
    )["category"]
    assert category["draws"] == {"totalCount": 2, "nodes": [{"number": "398"}]}
    assert [v["version"] for v in category["versions"]] == [2, 3]
    assert (category["firstDraw"], category["lastDraw"]) == ("357", "398")


async def test_a_snapshot_lists_the_rounds_that_published_it(loaded: Client) -> None:
    snapshot = (
        await data(loaded, '{ poolSnapshot(date: "2026-04-12") { total draws { number } } }')
    )["poolSnapshot"]
    assert snapshot == {"total": 233555, "draws": [{"number": "411"}]}


async def test_a_page_of_100_draws_with_category_and_snapshot_runs_at_most_3_statements(
    all_rounds: Client,
) -> None:
    with counting_statements(all_rounds) as counting:
        page = await data(
            all_rounds,
            """{ draws(first: 100) { edges { node {
                   number category { slug name kind }
                   poolSnapshot { date total bands { band crsLo crsHi candidates isSubtotal } }
                 } } } }""",
        )
    nodes = [e["node"] for e in page["draws"]["edges"]]
    assert len(nodes) == 100
    assert all(n["poolSnapshot"] and len(n["poolSnapshot"]["bands"]) == 17 for n in nodes[:20])
    assert {n["category"]["kind"] for n in nodes} >= {"category", "program"}
    # The page, the snapshots of all 100 (one DataLoader batch), the categories (one batch).
    assert len(counting.statements) <= 3, counting.statements


async def test_a_draws_category_slug_and_name_cost_no_query(all_rounds: Client) -> None:
    with counting_statements(all_rounds) as counting:
        await data(all_rounds, "{ draws(first: 100) { nodes { number category { slug name } } } }")
    assert len(counting.statements) == 1


async def test_bands_of_listed_snapshots_are_loaded_in_one_batch(all_rounds: Client) -> None:
    with counting_statements(all_rounds) as counting:
        snapshots = (
            await data(
                all_rounds, "{ poolSnapshots { date bands { candidates } draws { number } } }"
            )
        )["poolSnapshots"]
    assert len(snapshots) > 50 and all(len(s["bands"]) == 17 for s in snapshots)
    assert all(s["draws"] for s in snapshots)
    assert len(counting.statements) == 3


class FailingPool:
    async def fetch(self, sql: str, *args: Any) -> Any:
        raise RuntimeError("password=hunter2 connection reset")

    fetchrow = fetchval = fetch


async def test_an_unexpected_failure_is_an_internal_error_that_says_nothing_inside(
    client: Client,
) -> None:
    client.app.state.pool = FailingPool()
    status, body = await answer(client, "{ status { draws } }")
    assert (status, codes(body)) == (500, ["INTERNAL_SERVER_ERROR"])
    assert "hunter2" not in str(body)


def _doc_queries() -> list[str]:
    text = (ROOT / "docs" / "graphql.md").read_text(encoding="utf-8")
    return re.findall(r"```graphql\n(.*?)```", text, flags=re.DOTALL)


@pytest.mark.parametrize("query", _doc_queries())
async def test_every_query_in_the_docs_runs_without_errors(loaded: Client, query: str) -> None:
    if query.lstrip().startswith(("#", "type", "schema")):
        pytest.skip("not an operation")
    await data(loaded, query)
