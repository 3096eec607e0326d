"""Query parameters: the draw query as one dependency, and strictness about what is sent.

A misspelt parameter is an error, not a silently ignored filter; a parameter sent twice where
only one value makes sense is an error, not "the last one wins". Both checks read every query
parameter a handler takes, its dependencies' included (Litestar's own kwargs model is built
from the same signatures).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Annotated, Any

from litestar import Request
from litestar.di import Provide
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.params import PathParameter, QueryParameter, SkipValidation
from litestar.routes import BaseRoute, HTTPRoute
from litestar.typing import FieldDefinition

from api.errors import InvalidParameter
from api.filters import (
    DEFAULT_LIMIT,
    FILTERS,
    MAX_CURSOR_LENGTH,
    MAX_LIMIT,
    RANGES,
    SLUG,
    SORTS,
    DrawFilter,
    DrawQuery,
    FilterField,
    echo,
)
from api.reads import ROUND_NUMBER, Db
from api.rest.semantics import MAX_SEGMENT

# The pool comes from app state; validating it per request would cost and prove nothing.
Database = SkipValidation[Db]


class QueryParam:
    """A query parameter a handler takes: its URL name, repeatable or not, its default."""

    __slots__ = ("default", "name", "repeatable")

    def __init__(self, name: str, repeatable: bool, default: object) -> None:
        self.name, self.repeatable, self.default = name, repeatable, default


def _query_fields(handler: HTTPRouteHandler) -> Iterator[FieldDefinition]:
    """Every field of the handler's kwargs: its own signature, then its dependencies', deep."""
    dependencies = handler.resolve_dependencies()
    pending = list(handler.parsed_fn_signature.parameters.values())
    seen: set[str] = set()
    while pending:
        field = pending.pop()
        provider = dependencies.get(field.name)
        if provider is not None:
            if field.name not in seen:
                seen.add(field.name)
                pending.extend(provider.parsed_fn_signature.parameters.values())
            continue
        if isinstance(field.kwarg_definition, QueryParameter):
            yield field


def query_params(handler: HTTPRouteHandler) -> dict[str, QueryParam]:
    """The query parameters ``handler`` accepts, by URL name."""
    found = {}
    for field in _query_fields(handler):
        kwarg = field.kwarg_definition
        assert isinstance(kwarg, QueryParameter)
        name = kwarg.name or field.name
        repeatable = field.is_non_string_sequence or any(
            inner.is_non_string_sequence for inner in field.inner_types
        )
        found[name] = QueryParam(name, repeatable, field.default)
    return found


def _handler_params(handler: HTTPRouteHandler) -> dict[str, QueryParam]:
    # Kept on the handler itself: it lives exactly as long as the app that owns it.
    params: dict[str, QueryParam] | None = handler.opt.get("_query_params")
    if params is None:
        params = handler.opt["_query_params"] = query_params(handler)
    return params


async def check_query_params(request: Request[Any, Any, Any]) -> None:
    """400 for a parameter the handler does not take, or a second value of a single one."""
    handler = request.route_handler
    if not isinstance(handler, HTTPRouteHandler) or handler.opt.get("any_query_params"):
        return
    params = _handler_params(handler)
    given = request.query_params
    check_given(
        {name: len(given.getall(name)) for name in given},
        {name: param.repeatable for name, param in params.items()},
    )


def check_given(given: Mapping[str, int], accepted: Mapping[str, bool]) -> None:
    """400 for a parameter not ``accepted`` (name: repeatable), or one given more than once
    (``given``: name: how many values) that is not repeatable. REST's query parameters and the
    MCP tools' arguments (api/mcp) are refused in these words."""
    unknown = sorted(set(given) - set(accepted))
    if unknown:
        names = ", ".join(f"`{name}`" for name in sorted(accepted)) or "none"
        raise InvalidParameter(
            f"unknown query parameter {', '.join(map(echo, unknown))}; this endpoint accepts: "
            f"{names}"
        )
    for name in sorted(given):
        if not accepted[name] and given[name] > 1:
            raise InvalidParameter(f"`{name}` was given {given[name]} times; it takes one value")


def missing_parameter(name: str, source: str = "query") -> str:
    """The 400's words for a required parameter left out (REST, and an MCP tool's argument)."""
    return f"`{name}` is required: this {source} parameter is missing"


def query_defaults(routes: Sequence[BaseRoute]) -> dict[str, dict[str, str]]:
    """Per path, the query parameters' defaults as they would be spelt in a URL.

    The response cache drops a parameter given at its default, so ``/v1/draws?sort=-date`` and
    ``/v1/draws`` share one entry.
    """
    defaults: dict[str, dict[str, str]] = {}
    for route in routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for param in query_params(handler).values():
                if isinstance(param.default, str | int) and not isinstance(param.default, bool):
                    defaults.setdefault(route.path, {})[param.name] = str(param.default)
    return defaults


_EXPECTED = re.compile(
    r"Expected `(\w+)(?: \| null)?`(?: (<=|>=|<|>) (-?[\d.]+))?(?:, got `\w+`)?$"
)
_KINDS = {"int": "an integer", "float": "a number", "str": "text", "bool": "true or false"}
_BOUNDS = {"<=": "at most", ">=": "at least", "<": "below", ">": "above"}


def api_wording(key: str | None, message: str) -> str:
    """msgspec's "Expected `int` <= 1600" for a parameter Litestar validated, in the API's words:
    "`width` must be an integer, at most 1600". Other messages keep their text after the name."""
    match = _EXPECTED.match(message)
    if key is None:
        return message
    if match is None:
        return f"`{key}`: {message}"
    kind, op, bound = match.groups()
    said = f"`{key}` must be {_KINDS.get(kind, kind)}"
    return f"{said}, {_BOUNDS[op]} {bound}" if op else said


def path_date(raw: str) -> date:
    """A date in a path, with a 400 that says what was wrong rather than a 404."""
    if DATE.fullmatch(raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise InvalidParameter(f"{echo(raw)} is not a date (YYYY-MM-DD)")


# --- path parameters: documented with the pattern the handler checks -------------------------
#
# The OpenAPI document says exactly what each takes (schemathesis sends what it allows and
# what it does not, and both answers are checked); a segment is at most MAX_SEGMENT bytes
# (api/rest/semantics.py refuses longer ones before routing).

DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
RoundNumber = Annotated[
    str,
    PathParameter(
        description="A round number: digits, perhaps a letter (`385`, `91b`); another spelling "
        "(`00385`, `91B`) is a 301 to the round's one URL",
        schema_extra={"pattern": ROUND_NUMBER.pattern, "maxLength": MAX_SEGMENT},
    ),
]
SnapshotDate = Annotated[
    str,
    PathParameter(
        description="The snapshot's date (YYYY-MM-DD), as `/v1/pool` lists them",
        schema_extra={"format": "date", "pattern": DATE.pattern},
    ),
]
CategorySlug = Annotated[
    str,
    PathParameter(
        description="A category's slug, as `/v1/categories` lists them",
        schema_extra={"pattern": SLUG.pattern, "minLength": 1, "maxLength": 64},
    ),
]


# --- the draw query as one dependency ------------------------------------------------------
#
# Each parameter is declared as text and parsed by ``DrawQuery.parse``, so a bad value gets an
# error in the API's words ("`min_crs` must be an integer from 0 to 1200, got `abc`"); its
# OpenAPI schema still says what it takes (type, bounds, format), from the filter table.


def _filter_param(spec: FilterField) -> Any:
    doc = spec.filter.description
    for low, high in RANGES:
        if high is spec:
            doc += f"; below `{low.name}`, no round matches (an empty answer)"
    if spec.kind == "slug":
        item = Schema(type=OpenAPIType.STRING, min_length=1, max_length=64, pattern=SLUG.pattern)
        return Annotated[
            list[str] | None,
            QueryParameter(
                name=spec.name,
                description=doc,
                schema_extra={"type": OpenAPIType.ARRAY, "items": item, "one_of": None},
            ),
        ]
    if spec.kind == "date":
        extra: dict[str, Any] = {"type": OpenAPIType.STRING, "format": "date", "one_of": None}
    else:
        extra = {
            "type": OpenAPIType.INTEGER,
            "minimum": spec.filter.lo,
            "maximum": spec.filter.hi,
            "one_of": None,
        }
    return Annotated[
        str | None, QueryParameter(name=spec.name, description=doc, schema_extra=extra)
    ]


_PAGE_PARAMS: dict[str, Any] = {
    "sort": Annotated[
        str,
        QueryParameter(
            name="sort",
            description="Order; `-` for descending",
            schema_extra={"type": OpenAPIType.STRING, "enum": list(SORTS)},
        ),
    ],
    "limit": Annotated[
        str | int | None,
        QueryParameter(
            name="limit",
            description="Rounds per page (at most 500); a file (`.csv`, `.xlsx`) has every "
            "matching round unless it is given",
            schema_extra={
                "type": OpenAPIType.INTEGER,
                "minimum": 1,
                "maximum": MAX_LIMIT,
                "one_of": None,
            },
        ),
    ],
    "cursor": Annotated[
        str | None,
        QueryParameter(
            name="cursor",
            description="`next_cursor` of the previous page",
            schema_extra={
                "type": OpenAPIType.STRING,
                "max_length": MAX_CURSOR_LENGTH,
                "one_of": None,
            },
        ),
    ],
}


def draw_query_dependency(default_limit: int | None) -> Provide:
    """``draw_query: DrawQuery`` for a handler: the filter, sort and page as one dependency.

    ``default_limit`` when ``limit`` is not given: a JSON page, or None (every matching round)
    for a spreadsheet file.
    """

    def provide_draw_query(**values: Any) -> DrawQuery:
        raw = _raw_filter_values(values)
        for name in _PAGE_PARAMS:
            if values[name] is not None:
                raw[name] = [str(values[name])]
        return DrawQuery.parse(raw, default_limit=default_limit)

    signature = _draw_query_signature(default_limit)
    provide_draw_query.__signature__ = signature  # type: ignore[attr-defined]
    provide_draw_query.__annotations__ = {
        **{p.name: p.annotation for p in signature.parameters.values()},
        "return": DrawQuery,
    }
    return Provide(provide_draw_query, sync_to_thread=False)


def _raw_filter_values(values: dict[str, Any]) -> dict[str, list[str]]:
    raw: dict[str, list[str]] = {}
    for spec in FILTERS:
        value = values[spec.attr]
        if value is not None:
            raw[spec.name] = value if isinstance(value, list) else [value]
    return raw


def _filter_signature_params() -> list[inspect.Parameter]:
    kw = inspect.Parameter.KEYWORD_ONLY
    return [
        inspect.Parameter(s.attr, kw, default=None, annotation=_filter_param(s)) for s in FILTERS
    ]


def draw_filter_dependency() -> Provide:
    """``draw_filter: DrawFilter`` for a handler: the filters alone, no order and no page
    (which rounds a series or a standing counts)."""

    def provide_draw_filter(**values: Any) -> DrawFilter:
        return DrawFilter.parse(_raw_filter_values(values))

    signature = inspect.Signature(_filter_signature_params(), return_annotation=DrawFilter)
    provide_draw_filter.__signature__ = signature  # type: ignore[attr-defined]
    provide_draw_filter.__annotations__ = {
        **{p.name: p.annotation for p in signature.parameters.values()},
        "return": DrawFilter,
    }
    return Provide(provide_draw_filter, sync_to_thread=False)


def _draw_query_signature(default_limit: int | None) -> inspect.Signature:
    kw = inspect.Parameter.KEYWORD_ONLY
    params = _filter_signature_params()
    defaults = {"sort": "-date", "limit": default_limit, "cursor": None}
    for name, annotation in _PAGE_PARAMS.items():
        params.append(inspect.Parameter(name, kw, default=defaults[name], annotation=annotation))
    return inspect.Signature(params, return_annotation=DrawQuery)


def text_query(name: str, description: str, **schema: Any) -> Any:
    """``Annotated[str | None, text_query(...)]``: a query parameter taken as text (parsed by
    the caller, errors in the API's words) and documented with ``schema``'s type and bounds."""
    return QueryParameter(
        name=name, description=description, schema_extra={**schema, "one_of": None}
    )


# `category` of an endpoint that takes only category slugs, not the whole draw filter.
CategorySlugs = Annotated[
    list[str] | None,
    QueryParameter(
        name="category",
        description="Category slug (repeatable); see /v1/categories",
        schema_extra={
            "type": OpenAPIType.ARRAY,
            "items": Schema(
                type=OpenAPIType.STRING, min_length=1, max_length=64, pattern=SLUG.pattern
            ),
            "one_of": None,
        },
    ),
]

# A page of JSON (50 rounds unless ``limit`` says otherwise), and a whole spreadsheet.
DRAW_PAGE = draw_query_dependency(DEFAULT_LIMIT)
DRAW_EXPORT = draw_query_dependency(None)
DRAW_FILTER = draw_filter_dependency()
