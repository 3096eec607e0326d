"""Query-parameter strictness: a misspelt parameter is an error, not a silently ignored filter."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.handlers import HTTPRouteHandler
from litestar.params import QueryParameter, SkipValidation

from api.errors import InvalidParameter
from api.reads import Db

_allowed_by_handler: dict[int, frozenset[str]] = {}


def allowed_query_params(handler: HTTPRouteHandler) -> frozenset[str]:
    """Query names a handler declares with ``QueryParameter(...)``: the only ones it accepts."""
    names = set()
    for field in handler.parsed_fn_signature.parameters.values():
        kwarg = field.kwarg_definition
        if isinstance(kwarg, QueryParameter):
            names.add(kwarg.name or field.name)
    return frozenset(names)


async def reject_unknown_query_params(request: Request[Any, Any, Any]) -> None:
    handler = request.route_handler
    if not isinstance(handler, HTTPRouteHandler) or handler.opt.get("any_query_params"):
        return
    allowed = _allowed_by_handler.get(id(handler))
    if allowed is None:
        allowed = _allowed_by_handler[id(handler)] = allowed_query_params(handler)
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        accepted = ", ".join(sorted(allowed)) or "none"
        raise InvalidParameter(
            f"unknown query parameter {', '.join(map(repr, unknown))}; this endpoint accepts: "
            f"{accepted}"
        )


# The pool comes from app state; validating it per request would cost and prove nothing.
Database = SkipValidation[Db]
