"""POST /graphql by compiled plan (api/graphql/posts.py, api/graphql/plans.py) answers every
request with the same status, headers and bytes as the full Strawberry path.

Two apps over one database, cache off: ``planned`` as served, ``full`` with no room for plans
(every request takes Strawberry's way). Each request is sent to ``planned`` after a first one
that proves its document (so the second runs the plan where there is one), and to ``full``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import hypothesis
import msgspec
import pytest
from hypothesis_graphql import from_schema
from litestar import Litestar
from litestar.testing import AsyncTestClient, TestClient

from api.app import create_app
from api.graphql.plans import Plan
from api.ratelimit import GRAPHQL_COST_PER_REQUEST
from api.settings import Settings
from tests.integration.test_graphql_fuzz import SCALARS

Client = AsyncTestClient[Litestar]
ROOT = Path(__file__).resolve().parents[2]
BENCH_BODY = msgspec.json.decode((ROOT / "tools" / "bench" / "bodies" / "w5.json").read_bytes())
SCHEMA = (ROOT / "schema" / "schema.graphql").read_text()
# Headers a client or a cache acts on; date and the like differ between any two answers.
HEADERS = (
    "content-type",
    "content-length",
    "cache-control",
    "retry-after",
    "vary",
    "access-control-allow-origin",
    "access-control-allow-headers",
    "access-control-allow-methods",
    "access-control-expose-headers",
    "x-content-type-options",
)


def _docs_examples() -> list[str]:
    """The GraphQL examples of docs/graphql.md's "One query per page"."""
    text = (ROOT / "docs" / "graphql.md").read_text()
    section = text.split("## One query per page", 1)[1].split("\n## ", 1)[0]
    return [block.split("```", 1)[0] for block in section.split("```graphql\n")[1:]]


_ALIASES_31 = "{ " + " ".join(f"a{i}: status {{ dataVersion }}" for i in range(31)) + " }"
_DEPTH_13 = "{ a: " + "draws(first: 1) { nodes { category { " * 6 + "slug" + " } } }" * 6 + " }"
DRAW = "number date name invitations crsMin runAt tieBreakAt poolSnapshotDate flags programs"
# (document, variables that prove it, variables of the request compared, operationName)
CASES: list[tuple[str, Any, Any, str | None]] = [
    (BENCH_BODY["query"], None, None, None),
    *[(doc, None, None, None) for doc in _docs_examples()],
    (
        f"{{ draws(first: 7) {{ nodes {{ {DRAW} categoryVersion category {{ slug name }} }} }} }}",
        None,
        None,
        None,
    ),
    (
        "{ d: draws(first: 3, sort: CRS_MIN_ASC) { __typename e: edges { c: cursor __typename "
        "node { __typename n: number crsMin category { __typename s: slug } } } "
        "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }",
        None,
        None,
        None,
    ),
    (
        "{ draws(first: 4) { ...Page } } fragment Page on DrawConnection { nodes { ...D "
        "... on Draw { date } } edges { cursor } } fragment D on Draw { number crsMin }",
        None,
        None,
        None,
    ),
    (
        "query Page($n: Int!, $f: DrawFilter, $s: DrawSort, $after: String) { "
        "draws(first: $n, filter: $f, sort: $s, after: $after) { totalCount "
        "pageInfo { endCursor hasNextPage } nodes { number crsMin invitations } } }",
        {"n": 3},
        {"n": 5, "f": {"minCrs": 400}, "s": "INVITATIONS_DESC"},
        "Page",
    ),
    (
        "query A { draws(first: 2) { nodes { number } } } "
        "query B { latestDraw { number date } categories { slug name } status { dataVersion } }",
        None,
        None,
        "B",
    ),
    (
        '{ draw(number: "999999") { number } latestDraw { number category { slug } } '
        "draws(first: 2) { nodes { number } } }",
        None,
        None,
        None,
    ),
    # Errors: each found by the plan and answered by the full path.
    ("query($n: Int!) { draws(first: $n) { nodes { number } } }", {"n": 2}, {"n": "x"}, None),
    ("query($n: Int!) { draws(first: $n) { nodes { number } } }", {"n": 2}, {}, None),
    ("query($n: Int!) { draws(first: $n) { nodes { number } } }", {"n": 2}, {"n": 0}, None),
    (
        "query($a: String) { draws(first: 2, after: $a) { nodes { number } } }",
        None,
        {"a": "not a cursor"},
        None,
    ),
    (
        "query($f: DrawFilter) { draws(first: 2, filter: $f) { nodes { number } } }",
        None,
        {"f": {"categories": ["no\u0000pe"]}},
        None,
    ),
    (
        "query($f: DrawFilter) { draws(first: 2, filter: $f) { nodes { number } } }",
        None,
        {"f": {"from": "2026-03-01", "to": "2026-01-01"}},
        None,
    ),
    ("{ draws(first: 501) { nodes { number } } }", None, None, None),
    ("{ draws(first: 2) { nodes { nope } } }", None, None, None),
    (_ALIASES_31, None, None, None),
    (_DEPTH_13, None, None, None),
    ("{ draws(first: 2) { nodes { number } } }", None, None, "Missing"),
]


def _compared(response: Any) -> tuple[int, dict[str, str | None], bytes]:
    headers = {name: response.headers.get(name) for name in HEADERS}
    return response.status_code, headers, response.content


@pytest.fixture(scope="module")
async def apps(rounds_2026: Settings) -> AsyncIterator[tuple[Client, Client, Litestar]]:
    cold = msgspec.structs.replace(rounds_2026, cache_enabled=False)
    planned_app, full_app = create_app(cold), create_app(cold)
    full_app.state.graphql_posts.max_plans = 0
    async with AsyncTestClient(planned_app) as planned, AsyncTestClient(full_app) as full:
        yield planned, full, planned_app


def _body(query: str, variables: Any, operation: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    if operation is not None:
        body["operationName"] = operation
    return body


@pytest.mark.parametrize(("query", "proving", "variables", "operation"), CASES)
@pytest.mark.parametrize("origin", [None, "https://example.org"])
async def test_a_planned_answer_is_the_full_paths_answer(
    apps: tuple[Client, Client, Litestar],
    query: str,
    proving: Any,
    variables: Any,
    operation: str | None,
    origin: str | None,
) -> None:
    planned, full, _ = apps
    headers = {"Origin": origin} if origin else {}
    await planned.post("/graphql", json=_body(query, proving or variables, operation))
    body = _body(query, variables, operation)
    got = await planned.post("/graphql", json=body, headers=headers)
    expected = await full.post("/graphql", json=body, headers=headers)
    assert _compared(got) == _compared(expected)


async def test_the_bench_document_and_plain_pages_run_as_plans(
    apps: tuple[Client, Client, Litestar],
) -> None:
    planned, _, app = apps
    plans = app.state.graphql_posts.plans
    # The bench body, then every case after the docs' examples up to the first error.
    for query, proving, _variables, operation in [CASES[0], *CASES[4:10]]:
        await planned.post("/graphql", json=_body(query, proving, operation))
        assert isinstance(plans.get((query, operation)), Plan), query


async def test_a_document_with_directives_or_introspection_has_no_plan(
    apps: tuple[Client, Client, Litestar],
) -> None:
    planned, _, app = apps
    plans = app.state.graphql_posts.plans
    for query in (
        "query($s: Boolean!) { draws(first: 2) { nodes { number date @skip(if: $s) } } }",
        "{ __schema { queryType { name } } draws(first: 1) { nodes { number } } }",
    ):
        body = {"query": query, "variables": {"s": True}}
        assert (await planned.post("/graphql", json=body)).status_code == 200
        assert (query, None) in plans
        assert not isinstance(plans[(query, None)], Plan)


async def test_a_planned_answer_charges_the_rate_limiter_its_cost(
    apps: tuple[Client, Client, Litestar], rounds_2026: Settings
) -> None:
    limited = msgspec.structs.replace(
        rounds_2026, cache_enabled=False, rate_limit="1000/day", trusted_proxy_hops=1
    )
    me = {"x-forwarded-for": f"203.0.113.{uuid.uuid4().int % 250}, {uuid.uuid4()}"}
    body = {"query": "{ draws(first: 500) { nodes { number } } }"}
    app = create_app(limited)
    async with AsyncTestClient(app) as client:
        answers = [await client.post("/graphql", json=body, headers=me) for _ in range(3)]
    assert isinstance(app.state.graphql_posts.plans[(body["query"], None)], Plan)
    assert [a.json()["extensions"]["cost"]["requested"] for a in answers] == [500] * 3
    left = [int(a.headers["ratelimit"].split(";r=")[1].split(";")[0]) for a in answers]
    # Each answer's extra (500 // 100) is charged after it, so seen in the next one's count:
    # the first (full path) and the second (its plan) cost the same.
    assert left[0] - left[1] == left[1] - left[2] == 1 + 500 // GRAPHQL_COST_PER_REQUEST


def test_generated_documents_get_the_same_answer_planned_or_not(
    apps: tuple[Client, Client, Litestar], rounds_2026: Settings
) -> None:
    cold = msgspec.structs.replace(rounds_2026, cache_enabled=False)
    planned_app, full_app = create_app(cold), create_app(cold)
    full_app.state.graphql_posts.max_plans = 0
    with TestClient(planned_app) as planned, TestClient(full_app) as full:

        @hypothesis.settings(
            max_examples=60,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
        @hypothesis.given(query=from_schema(SCHEMA, custom_scalars=SCALARS))
        # The generated documents depend on the schema: a field added anywhere changes all 60,
        # and may leave none that plans (most carry arguments that are errors). Known plannable
        # documents go first, so the comparison below always covers planned answers.
        @hypothesis.example(query="{ draws(first: 3) { nodes { number date crsMin } } }")
        @hypothesis.example(
            query='{ draw(number: "398") { context { category categoryRef { slug name } } } }'
        )
        def check(query: str) -> None:
            planned.post("/graphql", json={"query": query})
            got = planned.post("/graphql", json={"query": query})
            expected = full.post("/graphql", json={"query": query})
            assert _compared(got) == _compared(expected), query

        check()
        plans = planned_app.state.graphql_posts.plans
        assert any(isinstance(plan, Plan) for plan in plans.values())


RAW = b'{"query": "{ draws(first: 3) { nodes { number date } } }"'
RAW_REQUESTS: list[tuple[dict[str, str], bytes]] = [
    ({"content-type": "application/json; charset=utf-8"}, RAW + b"}"),
    ({"content-type": "application/json"}, RAW + b', "extensions": {}, "junk": [1]}'),
    ({"content-type": "application/json"}, RAW + b', "variables": null, "operationName": null}'),
    ({"content-type": "application/json"}, RAW + b', "variables": []}'),
    ({"content-type": "application/json"}, RAW + b', "operationName": 5}'),
    ({"content-type": "application/json", "accept": "multipart/mixed"}, RAW + b"}"),
    ({"content-type": "text/plain"}, RAW + b"}"),
    ({"content-type": "application/json"}, RAW),
    ({"content-type": "application/json"}, b"[" + RAW + b"}]"),
]


@pytest.mark.parametrize(("headers", "content"), RAW_REQUESTS)
async def test_any_body_gets_the_full_paths_answer(
    apps: tuple[Client, Client, Litestar], headers: dict[str, str], content: bytes
) -> None:
    planned, full, _ = apps
    await planned.post("/graphql", content=RAW + b"}", headers={"content-type": "application/json"})
    got = await planned.post("/graphql", content=content, headers=headers)
    expected = await full.post("/graphql", content=content, headers=headers)
    assert _compared(got) == _compared(expected)


async def test_a_plan_over_the_time_budget_answers_as_the_full_path_does(
    rounds_2026: Settings,
) -> None:
    cold = msgspec.structs.replace(rounds_2026, cache_enabled=False)
    hurried = msgspec.structs.replace(cold, graphql_timeout=1e-6)
    planned_app, full_app = create_app(cold), create_app(hurried)
    full_app.state.graphql_posts.max_plans = 0
    body = {"query": "{ draws(first: 50) { nodes { number date } } }"}
    async with AsyncTestClient(planned_app) as planned, AsyncTestClient(full_app) as full:
        assert (await planned.post("/graphql", json=body)).status_code == 200
        assert isinstance(planned_app.state.graphql_posts.plans[(body["query"], None)], Plan)
        planned_app.state.graphql_posts.time_budget = 1e-6
        got = await planned.post("/graphql", json=body)
        expected = await full.post("/graphql", json=body)
    assert got.status_code == 503
    assert _compared(got) == _compared(expected)
