"""Pure parts of the GraphQL layer: sort names, edge cursors, error codes."""

from __future__ import annotations

import datetime as dt

import pytest
from graphql import GraphQLError

from api import reads
from api.errors import InvalidParameter, NotFound
from api.graphql import errors
from api.graphql.types import DrawSort
from api.models import CategoryRef, Draw


def draw(number: str) -> Draw:
    return Draw(
        number=number,
        date=dt.date(2018, 5, 30),
        category=CategoryRef(slug="pnp", name="Provincial Nominee Program", version=None),
        name="Provincial Nominee Program",
        invitations=200,
        crs_min=902,
        programs="Provincial Nominee Program",
        run_at=None,
        tie_break_at=None,
        pool_snapshot_date=None,
        flags=[],
    )


def test_every_rest_sort_has_exactly_one_graphql_value() -> None:
    assert sorted(str(s.value) for s in DrawSort) == sorted(reads.SORTS)


@pytest.mark.parametrize(
    ("original", "code"),
    [
        (InvalidParameter("first must be between 1 and 500"), "BAD_USER_INPUT"),
        (NotFound("there is no round 999"), "NOT_FOUND"),
        (KeyError("oops"), "INTERNAL_SERVER_ERROR"),
    ],
)
def test_errors_raised_by_resolvers_get_a_code(original: Exception, code: str) -> None:
    error = GraphQLError(str(original), original_error=original, path=["draws"])
    errors.label([error])
    assert error.extensions == {"code": code}


def test_an_unexpected_error_is_labelled_without_its_message() -> None:
    error = GraphQLError("secret dsn", original_error=RuntimeError("secret dsn"), path=["x"])
    errors.label([error])
    assert "secret" not in error.message


def test_an_error_that_already_has_a_code_keeps_it() -> None:
    error = GraphQLError("PersistedQueryNotFound", extensions={"code": "PERSISTED_QUERY_NOT_FOUND"})
    errors.label([error])
    assert error.extensions == {"code": "PERSISTED_QUERY_NOT_FOUND"}
