"""The fast executor (api/graphql/execution.py) answers every document exactly as graphql-core's
own execution does: the same data, the same errors, in the same order."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api import db
from api.graphql.checks import _parse, _validate
from api.graphql.context import Context
from api.graphql.execution import FastLeavesExecutionContext
from api.graphql.schema import schema
from api.settings import Settings

DOCUMENTS: list[tuple[str, dict[str, Any] | None]] = [
    (
        "{ draws(first: 20) { edges { node { number date crsMin invitations "
        "category { slug name } } } } }",
        None,
    ),
    (
        "{ draws(first: 14, sort: CRS_MIN_ASC) { edges { __typename cursor n: node { __typename "
        "number runAt tieBreakAt poolSnapshotDate flags name programs categoryVersion "
        "category { __typename slug name } } } pageInfo { endCursor hasNextPage } } }",
        None,
    ),
    (
        "{ draws(first: 6) { nodes { number crsMin ... on Draw { date } category { slug } } "
        "edges { ...Edge } } } fragment Edge on DrawEdge { node { number ...N } cursor } "
        "fragment N on Draw { invitations name }",
        None,
    ),
    (
        "query($s: Boolean!) { draws(first: 5) { edges { node { number crsMin @skip(if: $s) "
        "date @include(if: $s) category @include(if: $s) { name } } } } }",
        {"s": True},
    ),
    (
        "query($s: Boolean!) { draws(first: 5) { edges { node { number crsMin @skip(if: $s) "
        "date @include(if: $s) category @include(if: $s) { name } } } } }",
        {"s": False},
    ),
    (
        "{ draws(first: 4) { nodes { number poolSnapshot { date total } "
        "category { slug kind draws(first: 1) { totalCount nodes { number } } } } } }",
        None,
    ),
    (
        "{ a: draws(first: 2) { edges { node { number } } } "
        'b: draws(first: 2, after: "not a cursor") { edges { node { number } } } }',
        None,
    ),
    ("{ categories { slug draws(first: 2) { edges { node { number date } } } } }", None),
]


@pytest.fixture
async def serving(rounds_2026: Settings) -> AsyncIterator[db.ServingDb]:
    pool = await db.create_pool(rounds_2026.serving_database_url, min_size=1)
    try:
        yield db.ServingDb(pool)
    finally:
        await pool.close()


async def run(serving: db.ServingDb, document: str, variables: dict[str, Any] | None) -> Any:
    result = await schema.execute(
        document, variable_values=variables, context_value=Context.for_pool(serving)
    )
    errors = [(e.message, e.path, e.extensions) for e in result.errors or ()]
    return result.data, errors


@pytest.mark.parametrize(("document", "variables"), DOCUMENTS)
async def test_the_fast_executor_answers_as_graphql_core_does(
    serving: db.ServingDb,
    document: str,
    variables: dict[str, Any] | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert schema.execution_context_class is FastLeavesExecutionContext
    fast = await run(serving, document, variables)
    monkeypatch.setattr(schema, "execution_context_class", StrawberryGraphQLCoreExecutionContext)
    plain = await run(serving, document, variables)
    assert fast == plain
    assert fast[0] is not None or fast[1]  # data, or an error that nulled it


async def test_a_page_of_plain_fields_skips_graphql_cores_per_field_completion(
    serving: db.ServingDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    completed: list[str] = []
    original = StrawberryGraphQLCoreExecutionContext.execute_field

    def counting(self: Any, parent_type: Any, *args: Any) -> Any:
        completed.append(parent_type.name)
        return original(self, parent_type, *args)

    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "execute_field", counting)
    data, errors = await run(serving, DOCUMENTS[0][0], None)
    assert not errors and len(data["draws"]["edges"]) == 14
    # Only the root field and the connection's edges resolver run through graphql-core.
    assert completed == ["Query", "DrawConnection"]


async def test_a_repeated_document_is_parsed_and_validated_once(serving: db.ServingDb) -> None:
    document = f"{{ draws(first: 1) {{ nodes {{ number }} }} }} # {uuid.uuid4()}"
    parsed, validated = _parse.cache_info(), _validate.cache_info()
    for _ in range(3):
        data, errors = await run(serving, document, None)
        assert data["draws"]["nodes"] and not errors
    assert _parse.cache_info().misses == parsed.misses + 1
    assert _parse.cache_info().hits >= parsed.hits + 2
    assert _validate.cache_info().misses == validated.misses + 1
    assert _validate.cache_info().hits >= validated.hits + 2
