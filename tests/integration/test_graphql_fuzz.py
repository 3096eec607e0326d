"""Generated documents, variables and bodies: /graphql never answers 5xx.

Queries come from the committed schema (hypothesis-graphql, valid and invalid ones, strings
with NULs included); bodies and variables are arbitrary JSON, deep JSON and text. A fixed seed
and a bounded number of examples keep it a few seconds; raise ``FUZZ_EXAMPLES`` for a longer
run (docs/graphql.md).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import hypothesis
import hypothesis.strategies as st
from hypothesis_graphql import Mode, from_schema, nodes
from litestar.testing import TestClient

from api.app import create_app
from api.settings import Settings
from tests.support.db import FIXTURES, Ingest

SCHEMA = (Path(__file__).resolve().parents[2] / "schema" / "schema.graphql").read_text()
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "80"))
FUZZ = hypothesis.settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
DATES = st.one_of(
    st.dates(min_value=dt.date(2014, 1, 1), max_value=dt.date(2030, 1, 1)).map(
        lambda d: nodes.String(d.isoformat())
    ),
    st.text(max_size=12).map(nodes.String),
)
SCALARS = {"Date": DATES, "DateTime": DATES}
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


async def test_generated_queries_never_get_a_server_error(
    settings: Settings, ingest: Ingest
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    queries = st.one_of(
        from_schema(SCHEMA, custom_scalars=SCALARS),
        from_schema(SCHEMA, custom_scalars=SCALARS, mode=Mode.NEGATIVE),
    )
    with TestClient(app=create_app(settings)) as client:

        @FUZZ
        @hypothesis.given(query=queries)
        def check(query: str) -> None:
            response = client.post("/graphql", json={"query": query})
            assert response.status_code < 500, (query, response.text)

        check()


async def test_generated_bodies_and_variables_never_get_a_server_error(
    settings: Settings, ingest: Ingest
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    query = (
        "query($s: String, $n: Int) { latestDraw(category: $s) { number }"
        " draws(first: $n) { totalCount } }"
    )
    with TestClient(app=create_app(settings)) as client:

        @FUZZ
        @hypothesis.given(
            body=JSON,
            variables=st.dictionaries(st.sampled_from(["s", "n", "x"]), JSON),
            depth=st.integers(min_value=1, max_value=3000),
        )
        def check(body: Any, variables: dict[str, Any], depth: int) -> None:
            for sent in (
                client.post("/graphql", json=body),
                client.post("/graphql", json={"query": query, "variables": variables}),
                client.post(
                    "/graphql",
                    content=f'{{"query": "{{ status {{ draws }} }}", "variables": {{"x": '
                    f"{'[' * depth}{']' * depth}}}}}",
                    headers={"Content-Type": "application/json"},
                ),
                client.get("/graphql", params={"query": query, "variables": str(body)}),
            ):
                assert sent.status_code < 500, (body, variables, sent.text)

        check()
