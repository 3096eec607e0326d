"""The one place errors become GraphQL errors with a stable ``extensions.code``.

Resolvers raise ``api.errors.ApiError`` like REST handlers do; the schema labels every error
here (``label``), and the HTTP layer builds request-level errors with ``request_error``. The
codes are documented in docs/graphql.md; Apollo's names are used where Apollo has one.
"""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError

from api.errors import ApiError, InvalidParameter, NotFound

log = logging.getLogger("eedraws.graphql")

BAD_REQUEST = "BAD_REQUEST"
BAD_USER_INPUT = "BAD_USER_INPUT"
NOT_FOUND = "NOT_FOUND"
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
MAX_DEPTH_EXCEEDED = "MAX_DEPTH_EXCEEDED"
MAX_ALIASES_EXCEEDED = "MAX_ALIASES_EXCEEDED"
MAX_TOKENS_EXCEEDED = "MAX_TOKENS_EXCEEDED"
DOCUMENT_TOO_LARGE = "DOCUMENT_TOO_LARGE"
PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
PERSISTED_QUERY_HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"

# Codes of errors in the document itself (nothing was executed).
DOCUMENT_CODES = frozenset(
    {
        GRAPHQL_PARSE_FAILED,
        GRAPHQL_VALIDATION_FAILED,
        MAX_DEPTH_EXCEEDED,
        MAX_ALIASES_EXCEEDED,
        MAX_TOKENS_EXCEEDED,
        DOCUMENT_TOO_LARGE,
    }
)

_API_ERROR_CODES: dict[type[ApiError], str] = {
    InvalidParameter: BAD_USER_INPUT,
    NotFound: NOT_FOUND,
}

# The limit validators are Strawberry's and graphql-core's; their messages are how they are
# told apart (tests/integration/test_graphql_limits.py pins each one).
_MESSAGE_CODES = (
    ("tokens. Parsing aborted", MAX_TOKENS_EXCEEDED),
    ("code points. Parsing aborted", DOCUMENT_TOO_LARGE),
    ("exceeds maximum operation depth", MAX_DEPTH_EXCEEDED),
    ("aliases found. Allowed:", MAX_ALIASES_EXCEEDED),
)


def error_code(error: GraphQLError) -> str:
    original = error.original_error
    if isinstance(original, ApiError):
        return _API_ERROR_CODES.get(type(original), BAD_REQUEST)
    if original is not None and not isinstance(original, GraphQLError):
        return INTERNAL_SERVER_ERROR
    for fragment, code in _MESSAGE_CODES:
        if fragment in error.message:
            return code
    if isinstance(error, GraphQLSyntaxError):
        return GRAPHQL_PARSE_FAILED
    if error.path is not None:
        # graphql-core's own errors during execution, e.g. a null for a non-null field.
        return INTERNAL_SERVER_ERROR
    if error.message.startswith("Variable '$"):
        return BAD_USER_INPUT
    return GRAPHQL_VALIDATION_FAILED


def label(errors: list[GraphQLError]) -> None:
    """Give each error its code; hide what an unexpected exception says (it is logged)."""
    for error in errors:
        extensions = error.extensions or {}
        if "code" in extensions:
            continue
        code = error_code(error)
        if code == INTERNAL_SERVER_ERROR:
            log.error("graphql: %s", error.message, exc_info=error.original_error or error)
            error.message = "internal error; it was logged"
        error.extensions = {**extensions, "code": code}


def is_document_error(error: GraphQLError) -> bool:
    return (error.extensions or {}).get("code") in DOCUMENT_CODES


def request_error(code: str, message: str) -> dict[str, Any]:
    """A response body for a request refused before execution, shaped like any GraphQL error."""
    return {"errors": [{"message": message, "extensions": {"code": code}}]}
