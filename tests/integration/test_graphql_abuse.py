"""Documents built to make /graphql work without end are refused before any of it runs, fast.

Each case was measured against the previous limits (Strawberry's depth and alias limiters,
graphql-core's overlap rule): the fragment bomb with 30 levels ran over 8 minutes, the fan-out
27.6 s, 400 repeated fields 1.3 s. Times here are wall-clock through the test client, one
request each, on a shared 2-core machine; the budget is generous and docs/graphql.md gives the
measured figures.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from api.graphql import cost, limits
from tests.support.graphql import codes, data
from tests.support.http import counting_statements

Client = AsyncTestClient  # type: ignore[type-arg]
REFUSAL_BUDGET_SECONDS = 1.0


@pytest.fixture
def loaded(client_2026: Client) -> Client:
    return client_2026


async def timed(client: Client, query: str, **extra: Any) -> tuple[int, dict[str, Any], float]:
    started = time.perf_counter()
    response = await client.post("/graphql", json={"query": query, **extra})
    return response.status_code, response.json(), time.perf_counter() - started


def fragment_bomb(levels: int) -> str:
    """F(n) spreads F(n-1) twice: 2**levels copies of one field, in ~40 bytes a level."""
    fragments = ["fragment F0 on Draw { number }"]
    fragments += [
        f"fragment F{i} on Draw {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels + 1)
    ]
    return f"{{ latestDraw {{ ...F{levels} }} }} " + " ".join(fragments)


def nested_bomb(levels: int) -> str:
    """F(n) spreads F(n-1) under two different fields: the copies are never the same field."""
    fragments = ["fragment F0 on Draw { number }"]
    fragments += [
        f"fragment F{i} on Draw {{ poolSnapshot {{ draws {{ ...F{i - 1} }} }} "
        f"a{i}: poolSnapshot {{ draws {{ ...F{i - 1} }} }} }}"
        for i in range(1, levels + 1)
    ]
    return f"{{ latestDraw {{ ...F{levels} }} }} " + " ".join(fragments)


async def test_a_fragment_bomb_of_30_levels_is_refused_within_a_second(loaded: Client) -> None:
    document = fragment_bomb(30)
    assert len(document) < 1300
    status, body, seconds = await timed(loaded, document)
    assert (status, codes(body)) == (400, ["MAX_REPEATS_EXCEEDED"])
    assert body["data"] is None
    assert seconds < REFUSAL_BUDGET_SECONDS


async def test_a_small_fragment_bomb_is_refused_the_same_way(loaded: Client) -> None:
    # 2**4 = 16 copies: already past the limit of 10, so size alone decides nothing.
    status, body, _ = await timed(loaded, fragment_bomb(4))
    assert (status, codes(body)) == (400, ["MAX_REPEATS_EXCEEDED"])
    assert codes((await timed(loaded, fragment_bomb(3)))[1]) == []


async def test_a_bomb_of_distinct_nested_fields_is_refused_within_a_second(
    loaded: Client,
) -> None:
    status, body, seconds = await timed(loaded, nested_bomb(30))
    assert status == 400
    assert codes(body) in (["MAX_DEPTH_EXCEEDED"], ["MAX_SELECTIONS_EXCEEDED"])
    assert seconds < REFUSAL_BUDGET_SECONDS


def fanned(levels: int) -> str:
    """L(n) spreads L(n-1) 8 times two fields down: 8**n copies, none repeated over 8 times."""
    fragments = ["fragment L0 on Draw { number date }"]
    fragments += [
        f"fragment L{i} on Draw {{ poolSnapshot {{ draws {{ {f'...L{i - 1} ' * 8}}} }} }}"
        for i in range(1, levels + 1)
    ]
    return f"{{ latestDraw {{ ...L{levels} }} }} " + " ".join(fragments)


async def test_more_selections_than_the_limit_are_refused_with_fragments_expanded(
    loaded: Client,
) -> None:
    # 3 levels: 1 + 2 + 8 * (2 + 8 * (2 + 8 * 2)) = 1,171 selections, depth 7, no repeat over 8.
    status, body, seconds = await timed(loaded, fanned(3))
    assert (status, codes(body)) == (400, ["MAX_SELECTIONS_EXCEEDED"])
    assert seconds < REFUSAL_BUDGET_SECONDS
    assert codes((await timed(loaded, fanned(2)))[1]) == []


async def test_many_distinct_fragments_each_used_once_are_checked_in_linear_time(
    loaded: Client,
) -> None:
    # 150 fragments chained one into the next: a line of spreads 150 long (graphql-core's
    # own guard aborts validation past 200).
    fragments = ["fragment G0 on Draw { number }"]
    fragments += [f"fragment G{i} on Draw {{ ...G{i - 1} }}" for i in range(1, 150)]
    query = "{ latestDraw { ...G149 } } " + " ".join(fragments)
    status, body, seconds = await timed(loaded, query)
    assert (status, codes(body)) == (200, [])
    assert body["data"]["latestDraw"] == {"number": "411"}
    assert seconds < REFUSAL_BUDGET_SECONDS


async def test_selections_nested_past_the_stack_through_fragments_are_refused(
    loaded: Client,
) -> None:
    # Each fragment nests two levels and spreads the next: depth 240 through 120 fragments.
    fragments = [
        f"fragment H{i} on PoolSnapshot {{ draws {{ poolSnapshot {{ ...H{i + 1} }} }} }}"
        for i in range(120)
    ]
    fragments.append("fragment H120 on PoolSnapshot { date }")
    query = "{ poolSnapshot { ...H0 } } " + " ".join(fragments)
    status, body, seconds = await timed(loaded, query)
    assert (status, codes(body)) == (400, ["MAX_DEPTH_EXCEEDED"])
    assert seconds < REFUSAL_BUDGET_SECONDS


async def test_400_repeats_of_one_field_are_refused_before_the_quadratic_overlap_check(
    loaded: Client,
) -> None:
    query = "{ draws { nodes { " + "number " * 400 + "} } }"
    status, body, seconds = await timed(loaded, query)
    assert (status, codes(body)) == (400, ["MAX_REPEATS_EXCEEDED"])
    assert seconds < REFUSAL_BUDGET_SECONDS
    allowed = "{ draws(first: 1) { nodes { " + "number " * limits.MAX_REPEATS + "} } }"
    assert codes((await timed(loaded, allowed))[1]) == []


async def test_the_fan_out_is_refused_by_its_cost_before_it_runs(loaded: Client) -> None:
    query = (
        "{ draws(first: 500) { nodes { category { draws(first: 40) { nodes { category {"
        " draws(first: 40) { nodes { number } } } } } } } } }"
    )
    with counting_statements(loaded) as counting:
        status, body, seconds = await timed(loaded, query)
    assert (status, codes(body)) == (400, ["MAX_COST_EXCEEDED"])
    # 500 + 500 * 40 + 500 * 40 * 40 nodes.
    assert body["extensions"]["cost"] == {"requested": 820_500, "limit": cost.MAX_COST}
    assert body["data"] is None and counting.reads == []
    assert seconds < REFUSAL_BUDGET_SECONDS


async def test_cost_counts_first_along_each_path_through_variables_and_fragments(
    loaded: Client,
) -> None:
    query = """
    query($n: Int = 7) {
      draws(first: 10) { nodes { ...WithCategory } }
      categories { slug }
    }
    fragment WithCategory on Draw { category { draws(first: $n) { totalCount } } }
    """
    status, body, _ = await timed(loaded, query, variables={"n": 3})
    assert (status, codes(body)) == (200, [])
    assert body["extensions"]["cost"]["requested"] == 10 + 10 * 3 + 50
    _, defaulted, _ = await timed(loaded, query)
    assert defaulted["extensions"]["cost"]["requested"] == 10 + 10 * 7 + 50


async def test_the_cost_limit_allows_a_full_page_with_snapshots_and_bands(loaded: Client) -> None:
    query = "{ draws(first: 500) { nodes { number poolSnapshot { bands { band } } } } }"
    status, body, _ = await timed(loaded, query)
    assert (status, codes(body)) == (200, [])
    assert body["extensions"]["cost"]["requested"] == 500 + 500 * 25


@pytest.mark.parametrize("parents", [3, 12])
async def test_nested_category_draws_are_one_statement_however_many_parents(
    loaded: Client, parents: int
) -> None:
    with counting_statements(loaded) as counting:
        result = await data(
            loaded,
            f"{{ draws(first: {parents}) {{ nodes {{ number category {{ slug draws(first: 2) {{"
            " totalCount nodes { number category { slug } } } } } } }",
        )
    nodes = result["draws"]["nodes"]
    assert len(nodes) == parents
    for node in nodes:
        inner = node["category"]["draws"]
        assert len(inner["nodes"]) == min(2, inner["totalCount"])
        assert {d["category"]["slug"] for d in inner["nodes"]} == {node["category"]["slug"]}
    # The page, then one statement for every category's draws and one for their counts.
    assert len(counting.reads) == 3, counting.reads


async def test_nested_category_draws_match_the_category_queried_alone(loaded: Client) -> None:
    nested = await data(
        loaded,
        "{ draws(first: 14) { nodes { category { slug draws(first: 3, sort: CRS_MIN_ASC) {"
        " totalCount pageInfo { hasNextPage endCursor } nodes { number } } } } } }",
    )
    for node in nested["draws"]["nodes"]:
        slug = node["category"]["slug"]
        alone = await data(
            loaded,
            "query($s: String!) { category(slug: $s) { draws(first: 3, sort: CRS_MIN_ASC) {"
            " totalCount pageInfo { hasNextPage endCursor } nodes { number } } } }",
            {"s": slug},
        )
        assert node["category"]["draws"] == alone["category"]["draws"]
