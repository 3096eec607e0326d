"""The published contract: Litestar's generated OpenAPI, completed with what it cannot know.

Litestar documents what a handler returns; it cannot know the answers that come from elsewhere
(the response cache's 304, the router's 404, rate limiting's 429, a database fault's 503, the
server's 414/431), the headers those layers add, or names a client generator can use. This
module adds them from the routes themselves, so a new handler is documented the same way with
nothing to remember. Nothing here edits openapi/openapi.json by hand: `make openapi` writes
what this produces, and a test fails when the two drift.
"""

from __future__ import annotations

import re
from copy import deepcopy
from typing import Any

import msgspec
from litestar import Litestar, MediaType, Request, get
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.params import KwargDefinition, QueryParameter
from litestar.routes import HTTPRoute
from litestar.types import Method
from litestar.types.internal_types import PathParameterDefinition

from api.rest.errors import CODES, ERROR_PAGES

PROBLEM_JSON = "application/problem+json"
SCHEMAS = "#/components/schemas/"
HEADERS = "#/components/headers/"
RESPONSES = "#/components/responses/"

# ---------------------------------------------------------------------------------------------
# operationIds: `listDraws`, `getDraw`, `getLatestDraw`: a verb and the resource, camelCase.

VERBS = ("list", "get", "search", "export")


def camel(snake: str) -> str:
    head, *rest = [p for p in re.split(r"[_\W]+", snake) if p]
    return head.lower() + "".join(p[:1].upper() + p[1:] for p in rest)


def _resource(path: list[str | PathParameterDefinition]) -> str:
    """The resource a path is under, singular: ``/v1/categories/{slug}`` is ``category``."""
    names = [c for c in path if isinstance(c, str) and c and c != "v1"]
    resource = names[0].split(".")[0] if names else ""
    if resource.endswith("ies"):
        return resource[:-3] + "y"
    return resource.removesuffix("s")


def operation_id(
    handler: HTTPRouteHandler, method: Method, path: list[str | PathParameterDefinition]
) -> str:
    """camelCase of the handler's name, with ``get`` in front when it does not start with a verb.

    ``list_draws`` is ``listDraws``, ``latest_draw`` is ``getLatestDraw``, ``status`` is
    ``getStatus``; a name that does not say its resource gets it (``crs_svg`` under
    ``/v1/charts`` is ``getChartCrsSvg``), so ids stay unique across resources. A handler serving
    several methods gets the method in front instead.
    """
    name = handler.handler_name
    if len(handler.http_methods) > 1:
        return camel(f"{method}_{name}")
    verb, _, rest = name.partition("_")
    if verb not in VERBS or not rest:
        verb, rest = "get", name
    resource = _resource(path)
    if resource and resource.removesuffix("y") not in rest:
        rest = f"{resource}_{rest}"
    return camel(f"{verb}_{rest}")


# ---------------------------------------------------------------------------------------------
# Shared pieces: the Problem schema, headers and error responses.


def _header(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description, "schema": schema or {"type": "string"}}


COMPONENT_HEADERS: dict[str, dict[str, Any]] = {
    "ETag": _header(
        "Strong validator of this representation; send it back in `If-None-Match` to get a 304."
    ),
    "Last-Modified": _header("When the data behind this answer last changed (HTTP-date)."),
    "Cache-Control": _header(
        "How long caches may keep the answer: short for latest data, long for past rounds."
    ),
    "Vary": _header("Request headers the representation depends on."),
    "Link": _header('The next page: `<...?cursor=...>; rel="next"`; absent on the last page.'),
    "Content-Disposition": _header("The file name a download is saved under."),
    "RateLimit-Policy": _header(
        "The rate limit applied to this client (IETF draft `RateLimit-Policy`)."
    ),
    "RateLimit": _header(
        "What is left of this client's budget and when it resets (IETF draft `RateLimit`)."
    ),
    "Retry-After": _header("Seconds to wait before retrying.", {"type": "integer", "minimum": 0}),
    "Allow": _header("The methods this path answers."),
}

RATE_LIMIT_HEADERS = ("RateLimit-Policy", "RateLimit")


def _problem_schema() -> dict[str, Any]:
    codes = list(CODES)
    return {
        "Problem": {
            "title": "Problem",
            "description": "An RFC 9457 problem document. Program against `code`, which is "
            "stable; `detail` is for people and may be reworded.",
            "type": "object",
            "required": ["type", "title", "status", "code"],
            "properties": {
                "type": {
                    "type": "string",
                    "format": "uri-reference",
                    "description": f"The page explaining `code`: `{ERROR_PAGES}/{{code}}`, "
                    "relative to the API.",
                },
                "title": {"type": "string", "description": "A short summary of the code."},
                "status": {"type": "integer", "description": "The HTTP status code."},
                "detail": {"type": "string", "description": "What was wrong, for people."},
                "code": {"$ref": f"{SCHEMAS}ProblemCode"},
                "errors": {
                    "type": "array",
                    "description": "For `invalid_parameter`: each parameter that was wrong.",
                    "items": {"$ref": f"{SCHEMAS}ParameterError"},
                },
            },
        },
        "ProblemCode": {
            "title": "ProblemCode",
            "description": "Stable error codes; each is explained at `/errors/{code}`.",
            "type": "string",
            "enum": codes,
            "x-enum-varnames": [c.upper() for c in codes],
        },
        "ParameterError": {
            "title": "ParameterError",
            "type": "object",
            "required": ["message"],
            "properties": {
                "key": {"type": "string", "description": "The parameter's name."},
                "message": {"type": "string"},
                "source": {"type": "string", "description": "Where it was: query, path."},
            },
        },
    }


def _error_response(
    description: str, headers: tuple[str, ...] = RATE_LIMIT_HEADERS
) -> dict[str, Any]:
    return {
        "description": description,
        "headers": {name: {"$ref": f"{HEADERS}{name}"} for name in headers},
        "content": {PROBLEM_JSON: {"schema": {"$ref": f"{SCHEMAS}Problem"}}},
    }


# status -> (component response name, response)
ERROR_RESPONSES: dict[str, tuple[str, dict[str, Any]]] = {
    "400": (
        "BadRequest",
        _error_response("A parameter is unknown, malformed or out of range (`invalid_parameter`)."),
    ),
    "404": (
        "NotFound",
        _error_response("Nothing has that number, slug or date, or nothing matches (`not_found`)."),
    ),
    "406": (
        "NotAcceptable",
        _error_response("`Accept` admits no type this endpoint produces (`not_acceptable`)."),
    ),
    "408": (
        "RequestTimeout",
        _error_response(
            "A request body did not arrive whole in time (`request_timeout`); the connection "
            "is closed.",
            (),
        ),
    ),
    "414": (
        "UriTooLong",
        _error_response(
            "The path and query are over 16 KB (`uri_too_long`); over 64 KB the HTTP server "
            "answers this status with no body.",
            (),
        ),
    ),
    "429": (
        "TooManyRequests",
        _error_response(
            "This client is over its rate limit (`rate_limited`), or has too many requests "
            "in progress (`concurrency_limited`, with `Retry-After` only).",
            ("Retry-After", *RATE_LIMIT_HEADERS),
        ),
    ),
    "431": (
        "HeadersTooLarge",
        _error_response(
            "A header over 16 KB or all over 32 KB (`headers_too_large`); with over 100 "
            "headers the HTTP server answers this status with no body.",
            (),
        ),
    ),
    "503": (
        "ServiceUnavailable",
        _error_response(
            "The database is unreachable or too slow; retry later (`service_unavailable`).",
            ("Retry-After",),
        ),
    ),
}

NOT_MODIFIED = {
    "description": "`If-None-Match` matched: the representation has not changed. No body.",
    "headers": {
        name: {"$ref": f"{HEADERS}{name}"}
        for name in ("ETag", "Cache-Control", "Vary", *RATE_LIMIT_HEADERS)
    },
}

IF_NONE_MATCH = {
    "name": "If-None-Match",
    "in": "header",
    "required": False,
    "description": "The `ETag` of a representation you hold: a 304 with no body if unchanged.",
    "schema": {"type": "string"},
}


# ---------------------------------------------------------------------------------------------
# Parameters: no `null` in query parameters (absent is how you say "none"), the constraints
# Litestar drops (a `ge=0` is falsy and is lost), and named enums with readable member names.

ENUM_OWNER = {"draws": "Draw", "categories": "Category", "pool": "Pool", "stats": "Stats"}
_CONSTRAINTS = {
    "ge": "minimum",
    "le": "maximum",
    "gt": "exclusiveMinimum",
    "lt": "exclusiveMaximum",
    "min_length": "minLength",
    "max_length": "maxLength",
    "pattern": "pattern",
}


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    for key in ("oneOf", "anyOf"):
        if key in schema:
            branches = [b for b in schema[key] if b.get("type") != "null"]
            if len(branches) == 1:
                outer = {k: v for k, v in schema.items() if k != key}
                schema = {**branches[0], **outer}
    if isinstance(schema.get("type"), list):
        types = [t for t in schema["type"] if t != "null"]
        schema = {**schema, "type": types[0] if len(types) == 1 else types}
    if "enum" in schema:
        schema = {**schema, "enum": [v for v in schema["enum"] if v is not None]}
    return schema


def _constrained(schema: dict[str, Any], kwarg: KwargDefinition) -> dict[str, Any]:
    target = schema["items"] if schema.get("type") == "array" else schema
    for attribute, keyword in _CONSTRAINTS.items():
        value = getattr(kwarg, attribute, None)
        if value is None:
            continue
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        target[keyword] = value
    for keyword in ("minimum", "maximum"):
        value = target.get(keyword)
        if isinstance(value, float) and value.is_integer():
            target[keyword] = int(value)
    return schema


def enum_varnames(values: list[str], parameter: str = "value") -> list[str]:
    """Member names a client generator can use: ``-crs_min`` is ``CRS_MIN_DESC``; a value that
    starts with a digit is named after the parameter (``band=451-500`` is ``BAND_451_500``)."""
    names = []
    for value in values:
        descending = value.startswith("-")
        base = re.sub(r"\W+", "_", value.lstrip("-")).strip("_").upper() or "EMPTY"
        if base[0].isdigit():
            base = f"{parameter.upper()}_{base}"
        if descending:
            names.append(f"{base}_DESC")
        elif f"-{value}" in values:
            names.append(f"{base}_ASC")
        else:
            names.append(base)
    return names


def _pascal(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[_\W]+", name) if p)


class _Enums:
    """Inline string enums of parameters, hoisted into named components.

    Named after the resource and the parameter (``DrawSort``); an enum that several resources
    share under one parameter name is named after the parameter alone (``Bom``).
    """

    def __init__(self, schemas: dict[str, Any]) -> None:
        self.schemas = schemas
        self.found: list[tuple[dict[str, Any], dict[str, Any], str, str]] = []
        self.owners: dict[tuple[str, tuple[str, ...]], set[str]] = {}

    def collect(self, parameter: dict[str, Any], schema: dict[str, Any], tag: str) -> None:
        values = schema.get("enum")
        if schema.get("type") != "string" or not values or "$ref" in schema:
            parameter["schema"] = schema
            return
        name = parameter["name"]
        self.found.append((parameter, schema, name, tag))
        self.owners.setdefault((name, tuple(values)), set()).add(tag)

    def name_all(self) -> None:
        for parameter, schema, param, tag in self.found:
            values = schema["enum"]
            shared = len(self.owners[param, tuple(values)]) > 1
            owner = "" if shared else ENUM_OWNER.get(tag, _pascal(tag))
            # A parameter may name its enum (two endpoints of one tag with different `agg` values).
            name = schema.get("title") or f"{owner}{_pascal(param)}"
            existing = self.schemas.get(name)
            if existing is not None and existing["enum"] != values:
                raise ValueError(f"two different enums would both be named {name}")
            self.schemas[name] = {
                "title": name,
                "type": "string",
                "enum": values,
                "x-enum-varnames": enum_varnames(values, param),
            }
            rest = {k: v for k, v in schema.items() if k not in {"type", "enum", "title"}}
            parameter["schema"] = {"$ref": f"{SCHEMAS}{name}", **rest}


def _query_kwargs(handler: HTTPRouteHandler) -> dict[str, KwargDefinition]:
    kwargs: dict[str, KwargDefinition] = {}
    for field in handler.parsed_fn_signature.parameters.values():
        definition = field.kwarg_definition
        if isinstance(definition, QueryParameter):
            kwargs[definition.name or field.name] = definition
    return kwargs


def _complete_parameters(
    operation: dict[str, Any], handler: HTTPRouteHandler, enums: _Enums
) -> None:
    kwargs = _query_kwargs(handler)
    tag = (operation.get("tags") or ["api"])[0]
    for parameter in operation.get("parameters", []):
        if parameter.get("in") != "query":
            continue
        schema = _without_null(parameter["schema"])
        if (kwarg := kwargs.get(parameter["name"])) is not None:
            schema = _constrained(schema, kwarg)
        enums.collect(parameter, schema, tag)


# ---------------------------------------------------------------------------------------------
# Responses.


def _is_cached(handler: HTTPRouteHandler) -> bool:
    """The response cache gives ETags (and so 304s) to every answer not marked no-store."""
    cache_control = None
    for layer in handler.ownership_layers:
        cache_control = getattr(layer, "cache_control", None) or cache_control
    return not (cache_control is not None and cache_control.no_store)


def _success_headers(
    response: dict[str, Any], cached: bool, paged: bool, download: bool
) -> dict[str, Any]:
    names = ["Cache-Control", *RATE_LIMIT_HEADERS]
    if cached:
        names[:0] = ["ETag", "Last-Modified", "Vary"]
    if paged:
        names.append("Link")
    if download:
        names.append("Content-Disposition")
    response["headers"] = {name: {"$ref": f"{HEADERS}{name}"} for name in names}
    return response


def _pages(response: dict[str, Any], schemas: dict[str, Any]) -> bool:
    ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
    if not isinstance(ref, str):
        return False
    component = schemas.get(ref.removeprefix(SCHEMAS), {})
    return "next_cursor" in component.get("properties", {})


def _complete_responses(
    operation: dict[str, Any], handler: HTTPRouteHandler, schemas: dict[str, Any]
) -> None:
    responses: dict[str, Any] = operation["responses"]
    cached = _is_cached(handler)
    for status in list(responses):
        if status.startswith("2"):
            success = responses[status]
            content = success.get("content", {})
            download = any(not t.endswith("json") for t in content)
            for media_type, body in content.items():
                if media_type.endswith("json") and body.get("schema") == {"type": "string"}:
                    # A handler that returns encoded bytes as JSON: a JSON document, not a string.
                    body["schema"] = {"type": "object", "additionalProperties": True}
                elif not media_type.startswith("text/") and not media_type.endswith(
                    ("json", "xml")
                ):
                    body["schema"] = {"type": "string", "format": "binary"}
            _success_headers(success, cached, _pages(success, schemas), download)
    # 404 everywhere: an unknown number, slug or date, an empty store's "latest", a chart with
    # no rounds to draw; a client parses it as a Problem wherever it comes from.
    statuses = ["400", "404", "406", "408", "414", "429", "431", "503"]
    if cached:
        responses["304"] = {"$ref": f"{RESPONSES}NotModified"}
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("name") == "If-None-Match" for p in parameters):
            parameters.append(deepcopy(IF_NONE_MATCH))
    for status in sorted(statuses):
        name, _ = ERROR_RESPONSES[status]
        responses[status] = {"$ref": f"{RESPONSES}{name}"}


# ---------------------------------------------------------------------------------------------


def _operations(app: Litestar) -> list[tuple[str, str, HTTPRouteHandler]]:
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            for method in handler.http_methods:
                found.append((route.path_format or "/", method.lower(), handler))
    return found


def _one_number_type(node: Any) -> None:
    """``int | float`` is ``oneOf: [integer, number]``, which no integer satisfies (it matches
    both branches): keep ``number``, which includes the integers."""
    if isinstance(node, dict):
        for key in ("oneOf", "anyOf"):
            branches = node.get(key)
            if isinstance(branches, list) and {"type": "number"} in branches:
                node[key] = [b for b in branches if b != {"type": "integer"}]
                if len(node[key]) == 1:
                    node.update(node.pop(key)[0])
        for value in node.values():
            _one_number_type(value)
    elif isinstance(node, list):
        for value in node:
            _one_number_type(value)


def complete(document: dict[str, Any], app: Litestar) -> dict[str, Any]:
    """The OpenAPI document Litestar generated, completed; a new dict, the input is untouched."""
    document = deepcopy(document)
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.update(_problem_schema())
    components["headers"] = deepcopy(COMPONENT_HEADERS)
    components["responses"] = {
        "NotModified": deepcopy(NOT_MODIFIED),
        **{name: deepcopy(response) for name, response in ERROR_RESPONSES.values()},
    }
    enums = _Enums(schemas)
    for path, method, handler in _operations(app):
        operation = document["paths"].get(path, {}).get(method)
        if operation is None:
            continue
        _complete_parameters(operation, handler, enums)
        _complete_responses(operation, handler, schemas)
    enums.name_all()
    _one_number_type(schemas)
    return document


def openapi_document(app: Litestar) -> bytes:
    """The OpenAPI document, keys sorted so the committed copy diffs cleanly."""
    completed = complete(app.openapi_schema.to_schema(), app)
    return msgspec.json.format(msgspec.json.encode(completed, order="sorted"), indent=2) + b"\n"


def _document_bytes(app: Litestar) -> bytes:
    state = app.state
    if "openapi_bytes" not in state:
        state.openapi_bytes = openapi_document(app)
    document: bytes = state.openapi_bytes
    return document


@get("/openapi.json", include_in_schema=False, media_type="application/json", sync_to_thread=False)
def openapi_json(request: Request[Any, Any, Any]) -> bytes:
    return _document_bytes(request.app)


class CompletedJson(OpenAPIRenderPlugin):
    """``/docs/openapi.json``: the same completed document as ``/openapi.json``."""

    def __init__(self) -> None:
        super().__init__(path="/openapi.json", media_type=MediaType.JSON)

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return _document_bytes(request.app)
