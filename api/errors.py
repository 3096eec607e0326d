"""Errors the read layer raises; REST maps them to problem+json, GraphQL to GraphQL errors."""

from __future__ import annotations


class ApiError(Exception):
    """Base: a request eedraws understood but cannot answer."""

    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidParameter(ApiError):
    status = 400
    code = "invalid_parameter"
    title = "Invalid request"


class NotFound(ApiError):
    status = 404
    code = "not_found"
    title = "Not found"


class NotAcceptable(ApiError):
    """No representation the client accepts: an unknown format suffix or ``Accept``."""

    status = 406
    code = "not_acceptable"
    title = "Not acceptable"


class ServiceUnavailable(ApiError):
    """A dependency (PostgreSQL) is away or too slow; the client should retry after a while.

    REST answers 503 problem+json with ``Retry-After``; GraphQL a ``SERVICE_UNAVAILABLE`` error.
    """

    status = 503
    code = "service_unavailable"
    title = "Service unavailable"

    def __init__(self, detail: str, *, retry_after: int = 5) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
