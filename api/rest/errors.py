"""The one place exceptions become RFC 9457 ``application/problem+json`` responses.

``CODES`` is the table of stable error codes: the Problem schema's ``code`` enum in the OpenAPI
document, the ``/errors/{code}`` pages a problem's ``type`` points at, and docs/errors.md (a test
keeps them equal) all come from it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

import msgspec
from litestar.exceptions import (
    HTTPException,
    InternalServerException,
    NotFoundException,
    ValidationException,
)
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)

from api.db import unavailable_from
from api.errors import ApiError, ServiceUnavailable
from api.rest.params import api_wording, missing_parameter

log = logging.getLogger("eedraws.rest")

ERROR_PAGES = "/errors"


class ErrorCode(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    status: int
    title: str
    when: str


CODES: dict[str, ErrorCode] = {
    c.code: c
    for c in [
        ErrorCode(
            code="invalid_parameter",
            status=400,
            title="Invalid request",
            when="A query or path parameter is unknown, malformed (`from=2024-13-01`), out of "
            "range (`limit=900`) or outside its enum or pattern, or given twice where it is not "
            "repeatable; a cursor was not issued by this API or "
            "belongs to another sort. `detail` says which parameter and why; `errors` lists "
            "each one.",
        ),
        ErrorCode(
            code="bad_request",
            status=400,
            title="Bad request",
            when="A request the server cannot read: two `Host` headers or one that is not "
            "`host[:port]`, a path with a NUL or another control character, broken "
            "percent-encoding or UTF-8, a `..` segment or a segment over 255 bytes; or any "
            "other request it cannot read.",
        ),
        ErrorCode(
            code="origin_not_allowed",
            status=403,
            title="Origin not allowed",
            when="A web page from another origin (its `Origin` header) posted to `/mcp`: the "
            "MCP server answers pages of the API's own origin only (DNS-rebinding protection). "
            "Clients that are not browsers send no `Origin` and are not refused.",
        ),
        ErrorCode(
            code="not_found",
            status=404,
            title="Not found",
            when="No round with that number, no category with that slug, no pool snapshot on "
            "that date, or nothing at that path.",
        ),
        ErrorCode(
            code="method_not_allowed",
            status=405,
            title="Method not allowed",
            when="The path exists but not for this method (`DELETE /v1/draws`): the API is "
            "read-only. The `Allow` header lists the methods that work.",
        ),
        ErrorCode(
            code="not_acceptable",
            status=406,
            title="Not acceptable",
            when="The `Accept` header admits none of the types this endpoint can produce.",
        ),
        ErrorCode(
            code="request_timeout",
            status=408,
            title="Request timeout",
            when="The request's body did not arrive whole within the body timeout (10 s by "
            "default) after its headers: a body sent too slowly, or shorter than its "
            "`Content-Length`. The connection is closed.",
        ),
        ErrorCode(
            code="request_too_large",
            status=413,
            title="Request too large",
            when="A request body over the limit (only `POST /graphql` and `POST /mcp` take one).",
        ),
        ErrorCode(
            code="uri_too_long",
            status=414,
            title="URI too long",
            when="A REST URL (path and query) over 16 KB, or a path over 2 KB. Over 64 KB the "
            "HTTP server itself answers a bare 414 with no body.",
        ),
        ErrorCode(
            code="misdirected_request",
            status=421,
            title="Misdirected request",
            when="A request to `/mcp` whose `Host` is not a name this server answers at (its "
            "public origin, `EEDRAWS_PUBLIC_URL`; loopback when unset): DNS-rebinding "
            "protection. `detail` lists the names it answers at.",
        ),
        ErrorCode(
            code="rate_limited",
            status=429,
            title="Too many requests",
            when="This client sent more requests than its share; `Retry-After` says when to "
            "come back and the `RateLimit` headers show the budget.",
        ),
        ErrorCode(
            code="concurrency_limited",
            status=429,
            title="Too many requests in progress",
            when="This client already has as many requests in progress as it may (64 per "
            "server process by default); wait for their answers. `Retry-After` is 1 s and the "
            "connection is closed.",
        ),
        ErrorCode(
            code="headers_too_large",
            status=431,
            title="Request headers too large",
            when="One request header over 16 KB, or all of them over 32 KB. With more than 100 "
            "headers the HTTP server itself answers a bare 431 with no body.",
        ),
        ErrorCode(
            code="internal_error",
            status=500,
            title="Internal error",
            when="A bug: the details are logged, never sent. Please report it.",
        ),
        ErrorCode(
            code="service_unavailable",
            status=503,
            title="Service unavailable",
            when="The database is unreachable or a query ran out of time; retry after "
            "`Retry-After` seconds. Answers the cache holds are still served.",
        ),
    ]
}


def problem_type(code: str) -> str:
    """A problem's ``type``: the page explaining its code, or ``about:blank`` for an unknown one."""
    return f"{ERROR_PAGES}/{code}" if code in CODES else "about:blank"


def problem_body(status: int, code: str, detail: str, **extra: Any) -> dict[str, Any]:
    """The problem document itself, for the few places that answer outside Litestar's router."""
    known = CODES.get(code)
    return {
        "type": problem_type(code),
        "title": known.title if known else code.replace("_", " ").capitalize(),
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }


def problem(
    status: int,
    code: str,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> ProblemDetailsException:
    body = problem_body(status, code, detail, **extra)
    return ProblemDetailsException(
        status_code=status,
        type_=body.pop("type"),
        title=body.pop("title"),
        detail=detail,
        headers=dict(headers) if headers else None,
        extra={"code": code, **extra},
    )


def _from_api_error(exc: ApiError) -> ProblemDetailsException:
    if isinstance(exc, ServiceUnavailable):
        retry = {"Retry-After": str(exc.retry_after), "Cache-Control": "no-store"}
        return problem(503, exc.code, exc.detail, headers=retry)
    return problem(exc.status, exc.code, exc.detail)


# Litestar's words for a required parameter left out, which come with no `errors` entry.
_MISSING = re.compile(r"Missing required (\w+) parameter '([^']+)'")


def _from_validation(exc: ValidationException) -> ProblemDetailsException:
    missing = _MISSING.match(str(exc.detail))
    if missing is not None:
        # In the API's words, as every other 400 ("`crs` must be ..."), and listed in `errors`.
        source, name = missing.groups()
        detail = missing_parameter(name, source)
        error = {"key": name, "source": source, "message": "is required"}
        return problem(400, "invalid_parameter", detail, errors=[error])
    errors = exc.extra if isinstance(exc.extra, list) else []
    parts = []
    for err in errors:
        if isinstance(err, dict):
            key = err.get("key")
            parts.append(api_wording(key, str(err.get("message", "is invalid"))))
    detail = "; ".join(parts) or str(exc.detail)
    return problem(400, "invalid_parameter", detail, errors=errors)


# The generic code of a status: later entries win, so 400 is bad_request, not invalid_parameter.
STATUS_CODES = {c.status: c.code for c in CODES.values()}


def _from_http(exc: HTTPException) -> ProblemDetailsException:
    headers = exc.headers
    if isinstance(exc, NotFoundException):
        return problem(404, "not_found", "no resource at this path; see /docs", headers=headers)
    if isinstance(exc, InternalServerException) or exc.status_code == 500:
        return problem(500, "internal_error", "the server failed", headers=headers)
    code = STATUS_CODES.get(exc.status_code, "bad_request")
    return problem(exc.status_code, code, str(exc.detail), headers=headers)


def _from_unexpected(exc: Exception) -> ProblemDetailsException:
    # A database failure that reached here without passing api.db.ServingDb (the one mapping).
    unavailable = unavailable_from(exc)
    if unavailable is not None:
        return _from_api_error(unavailable)
    log.exception("unhandled error", exc_info=exc)
    return problem(500, "internal_error", "the server failed; it was logged")


def problem_details_plugin() -> ProblemDetailsPlugin:
    return ProblemDetailsPlugin(
        ProblemDetailsConfig(
            exception_to_problem_detail_map={
                ApiError: _from_api_error,
                ValidationException: _from_validation,
                HTTPException: _from_http,
                Exception: _from_unexpected,
            }
        )
    )
