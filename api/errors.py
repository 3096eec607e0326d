"""Errors the read layer raises; REST maps them to problem+json, GraphQL to GraphQL errors."""

from __future__ import annotations


class ApiError(Exception):
    """Base: a request eedraws understood but cannot answer."""

    status = 400
    code = "bad_request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidParameter(ApiError):
    status = 400
    code = "invalid_parameter"


class NotFound(ApiError):
    status = 404
    code = "not_found"
