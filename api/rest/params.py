"""Query-parameter strictness: a misspelt parameter is an error, not a silently ignored filter."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from litestar import Request
from litestar.handlers import HTTPRouteHandler
from litestar.params import QueryParameter, SkipValidation
from litestar.routes import BaseRoute, HTTPRoute

from api.errors import InvalidParameter
from api.reads import Db


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
    # Kept on the handler itself: it lives exactly as long as the app that owns it.
    allowed = handler.opt.get("_allowed_query")
    if allowed is None:
        allowed = handler.opt["_allowed_query"] = allowed_query_params(handler)
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        accepted = ", ".join(sorted(allowed)) or "none"
        raise InvalidParameter(
            f"unknown query parameter {', '.join(map(repr, unknown))}; this endpoint accepts: "
            f"{accepted}"
        )


# The pool comes from app state; validating it per request would cost and prove nothing.
Database = SkipValidation[Db]


def query_defaults(routes: Sequence[BaseRoute]) -> dict[str, dict[str, str]]:
    """Per path, the query parameters' defaults as they would be spelt in a URL.

    The response cache drops a parameter given at its default, so ``/v1/draws?limit=50`` and
    ``/v1/draws`` share one entry.
    """
    defaults: dict[str, dict[str, str]] = {}
    for route in routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for field in handler.parsed_fn_signature.parameters.values():
                kwarg = field.kwarg_definition
                default = field.default
                if isinstance(kwarg, QueryParameter) and isinstance(default, str | int):
                    name = kwarg.name or field.name
                    defaults.setdefault(route.path, {})[name] = str(default)
    return defaults


def path_date(raw: str) -> date:
    """A date in a path, with a 400 that says what was wrong rather than a 404."""
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidParameter(f"{raw!r} is not a date (YYYY-MM-DD)") from None
