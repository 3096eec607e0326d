"""The one place errors become GraphQL errors with a stable ``extensions.code``.

Resolvers raise ``api.errors.ApiError`` like REST handlers do; the schema labels every error
here (``label``), and the HTTP layer builds request-level errors with ``request_error``. The
codes are documented in docs/graphql.md; Apollo's names are used where Apollo has one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError

from api.db import unavailable_from
from api.errors import ApiError, InvalidParameter, NotFound, ServiceUnavailable

log = logging.getLogger("eedraws.graphql")

BAD_REQUEST = "BAD_REQUEST"
BAD_USER_INPUT = "BAD_USER_INPUT"
NOT_FOUND = "NOT_FOUND"
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
MAX_DEPTH_EXCEEDED = "MAX_DEPTH_EXCEEDED"
MAX_ALIASES_EXCEEDED = "MAX_ALIASES_EXCEEDED"
MAX_TOKENS_EXCEEDED = "MAX_TOKENS_EXCEEDED"
MAX_SELECTIONS_EXCEEDED = "MAX_SELECTIONS_EXCEEDED"
MAX_REPEATS_EXCEEDED = "MAX_REPEATS_EXCEEDED"
MAX_COST_EXCEEDED = "MAX_COST_EXCEEDED"
DOCUMENT_TOO_LARGE = "DOCUMENT_TOO_LARGE"
PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
PERSISTED_QUERY_HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
PERSISTED_QUERY_TOO_LARGE = "PERSISTED_QUERY_TOO_LARGE"
PERSISTED_QUERY_RATE_LIMITED = "PERSISTED_QUERY_RATE_LIMITED"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
QUERY_TIMEOUT = "QUERY_TIMEOUT"
# Retry-After of a QUERY_TIMEOUT (an outage says its own, from api.errors.ServiceUnavailable).
RETRY_AFTER_SECONDS = 5

# Codes of errors in the document itself (nothing was executed).
DOCUMENT_CODES = frozenset(
    {
        GRAPHQL_PARSE_FAILED,
        GRAPHQL_VALIDATION_FAILED,
        MAX_DEPTH_EXCEEDED,
        MAX_ALIASES_EXCEEDED,
        MAX_TOKENS_EXCEEDED,
        MAX_SELECTIONS_EXCEEDED,
        MAX_REPEATS_EXCEEDED,
        DOCUMENT_TOO_LARGE,
    }
)

_API_ERROR_CODES: dict[type[ApiError], str] = {
    InvalidParameter: BAD_USER_INPUT,
    NotFound: NOT_FOUND,
    ServiceUnavailable: SERVICE_UNAVAILABLE,
}
# Whether the HTTP answer is 503: the request may succeed when retried.
_RETRY_CODES = frozenset({SERVICE_UNAVAILABLE, QUERY_TIMEOUT})
# With nothing executed (data null), these mean the request was wrong: HTTP 400.
_CLIENT_CODES = frozenset(
    {
        *DOCUMENT_CODES,
        BAD_REQUEST,
        BAD_USER_INPUT,
        MAX_COST_EXCEEDED,
        PERSISTED_QUERY_HASH_MISMATCH,
        PERSISTED_QUERY_NOT_SUPPORTED,
        PERSISTED_QUERY_TOO_LARGE,
    }
)

# The parser's limits are graphql-core's; their messages are how they are told apart
# (tests/integration/test_graphql_limits.py pins each one). api/graphql/limits.py codes its own.
_MESSAGE_CODES = (
    ("tokens. Parsing aborted", MAX_TOKENS_EXCEEDED),
    ("code points. Parsing aborted", DOCUMENT_TOO_LARGE),
)


def error_code(error: GraphQLError) -> str:
    original = error.original_error
    if isinstance(original, ApiError):
        return _API_ERROR_CODES.get(type(original), BAD_REQUEST)
    if _unavailable(original) is not None:
        return SERVICE_UNAVAILABLE
    if original is not None and not isinstance(original, GraphQLError):
        return INTERNAL_SERVER_ERROR
    for fragment, code in _MESSAGE_CODES:
        if fragment in error.message:
            return code
    if isinstance(error, GraphQLSyntaxError):
        return GRAPHQL_PARSE_FAILED
    if error.path is not None:
        # An argument a variable made invalid (null for `first: Int!`) is found in execution.
        if error.message.startswith("Argument '"):
            return BAD_USER_INPUT
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
        elif code == SERVICE_UNAVAILABLE:
            unavailable = _unavailable(error.original_error)
            assert unavailable is not None
            # Its own words, never asyncpg's (which may name hosts); logged once per interval.
            error.message = unavailable.detail
            extensions = {**extensions, "retryAfter": unavailable.retry_after}
        error.extensions = {**extensions, "code": code}


def _unavailable(original: BaseException | None) -> ServiceUnavailable | None:
    """The outage an error is, mapped by api.db (the one place asyncpg failures are read)."""
    if original is None or isinstance(original, ServiceUnavailable):
        return original
    return unavailable_from(original)


def http_status(response: Mapping[str, Any]) -> int:
    """The HTTP status of an answer with errors.

    503 when an outage cut it short (retry); otherwise 200 whenever the operation ran (data
    is not null, the errors are in some fields); with nothing to show, 400 when the request
    was at fault, 500 for a bug. A persisted query not known yet stays 200 (Apollo's clients
    expect that answer to send the query).
    """
    found = {(e.get("extensions") or {}).get("code") for e in response.get("errors") or () if e}
    if found & _RETRY_CODES:
        return 503
    if response.get("data") is not None or PERSISTED_QUERY_NOT_FOUND in found:
        return 200
    return 400 if found <= _CLIENT_CODES else 500


def retry_after(response: Mapping[str, Any]) -> int:
    """Seconds a 503 answer asks the client to wait: the longest any of its errors asks."""
    waits = [
        (e.get("extensions") or {}).get("retryAfter") for e in response.get("errors") or () if e
    ]
    return max((w for w in waits if isinstance(w, int)), default=RETRY_AFTER_SECONDS)


def is_document_error(error: GraphQLError) -> bool:
    return (error.extensions or {}).get("code") in DOCUMENT_CODES


def request_error(code: str, message: str) -> dict[str, Any]:
    """A response body for a request refused before execution, shaped like any GraphQL error."""
    return {"errors": [{"message": message, "extensions": {"code": code}}]}
