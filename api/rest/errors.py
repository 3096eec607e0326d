"""The one place exceptions become RFC 9457 ``application/problem+json`` responses."""

from __future__ import annotations

import logging
from typing import Any

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

log = logging.getLogger("eedraws.rest")

# Stable error codes, documented in docs/errors.md; ``type`` points at that table.
ERROR_DOCS = "https://github.com/eedraws/eedraws/blob/main/docs/errors.md"


def _problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> ProblemDetailsException:
    return ProblemDetailsException(
        status_code=status,
        type_=f"{ERROR_DOCS}#{code}",
        title=title,
        detail=detail,
        headers=headers,
        extra={"code": code, **extra},
    )


def _from_api_error(exc: ApiError) -> ProblemDetailsException:
    if isinstance(exc, ServiceUnavailable):
        retry = {"Retry-After": str(exc.retry_after), "Cache-Control": "no-store"}
        return _problem(503, exc.code, "Service unavailable", exc.detail, headers=retry)
    title = "Not found" if exc.status == 404 else "Invalid request"
    return _problem(exc.status, exc.code, title, exc.detail)


def _from_validation(exc: ValidationException) -> ProblemDetailsException:
    errors = exc.extra if isinstance(exc.extra, list) else []
    parts = []
    for err in errors:
        if isinstance(err, dict):
            key = err.get("key")
            message = str(err.get("message", "is invalid"))
            parts.append(f"{key}: {message}" if key else message)
    detail = "; ".join(parts) or str(exc.detail)
    return _problem(400, "invalid_parameter", "Invalid request", detail, errors=errors)


def _from_http(exc: HTTPException) -> ProblemDetailsException:
    if isinstance(exc, NotFoundException):
        return _problem(404, "not_found", "Not found", "no resource at this path; see /docs")
    if isinstance(exc, InternalServerException) or exc.status_code >= 500:
        return _problem(exc.status_code, "internal_error", "Internal error", "the server failed")
    code = {
        405: "method_not_allowed",
        406: "not_acceptable",
        413: "request_too_large",
        429: "rate_limited",
    }.get(exc.status_code, "bad_request")
    return _problem(exc.status_code, code, code.replace("_", " ").capitalize(), str(exc.detail))


def _from_unexpected(exc: Exception) -> ProblemDetailsException:
    # A database failure that reached here without passing api.db.ServingDb (the one mapping).
    unavailable = unavailable_from(exc)
    if unavailable is not None:
        return _from_api_error(unavailable)
    log.exception("unhandled error", exc_info=exc)
    return _problem(500, "internal_error", "Internal error", "the server failed; it was logged")


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
