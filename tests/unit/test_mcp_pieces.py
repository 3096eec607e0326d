"""The MCP server's pieces that need no running server: its tools take the REST endpoints'
parameters (no more, no fewer), /mcp is never a cached POST, and the Hosts it answers come from
the settings."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

from api.app import create_app
from api.errors import InvalidParameter
from api.mcp.server import _output_schema, allowed_hosts, transport_security
from api.mcp.tools import TOOLS, raw_arguments
from api.models import Draw
from api.rest.params import query_params
from api.settings import Settings

# The REST endpoint each tool asks, by the tool's name (a path parameter is an argument too).
REST_OF = {
    "list_draws": ("/v1/draws", set()),
    "get_draw": ("/v1/draws/{number:str}", {"number"}),
    "latest_draw": ("/v1/draws/latest", set()),
    "draw_context": ("/v1/draws/{number:str}/context", {"number"}),
    "crs_series": ("/v1/series/crs", set()),
    "invitation_series": ("/v1/series/invitations", set()),
    "yearly_stats": ("/v1/stats/yearly", set()),
    "pool_band_history": ("/v1/pool/bands/history", set()),
    "standing": ("/v1/standing", set()),
    "list_categories": ("/v1/categories", set()),
    "status": ("/v1/status", set()),
    "next_round": ("/v1/forecasts/next", set()),
}
# What a file answer takes and a tool's JSON does not.
FILE_ONLY = {"bom"}


def rest_params(app: Any, path: str) -> dict[str, bool]:
    for route in app.routes:
        if isinstance(route, HTTPRoute) and route.path == path:
            for handler in route.route_handlers:
                if isinstance(handler, HTTPRouteHandler) and "GET" in handler.http_methods:
                    return {p.name: p.repeatable for p in query_params(handler).values()}
    raise AssertionError(f"no GET {path}")


def test_each_tool_takes_the_parameters_of_its_rest_endpoint() -> None:
    app = create_app(Settings())
    tools = {tool.name: tool for tool in TOOLS}
    for name, (path, path_params) in REST_OF.items():
        expected = {k: v for k, v in rest_params(app, path).items() if k not in FILE_ONLY}
        expected.update(dict.fromkeys(path_params, False))
        assert dict(tools[name].arguments) == expected, name
        assert set(tools[name].properties) == set(expected), name
    # pool_snapshot is /v1/pool/latest with no date, /v1/pool/{date} with one.
    assert dict(tools["pool_snapshot"].arguments) == {"date": False}
    assert set(tools) == {*REST_OF, "pool_snapshot"}


def test_mcp_is_no_cacheable_post_and_not_in_the_rest_schema() -> None:
    app = create_app(Settings())
    assert "/mcp" not in app.state.response_cache.cacheable_posts
    assert app.openapi_schema.paths is not None
    assert not any(path.startswith("/mcp") for path in app.openapi_schema.paths)


def test_arguments_are_read_as_query_values_and_refused_in_rest_words() -> None:
    accepted = {"crs": False, "category": True}
    assert raw_arguments({"crs": 481, "category": "cec"}, accepted) == {
        "crs": ["481"],
        "category": ["cec"],
    }
    assert raw_arguments({"crs": None, "category": ["a", "b"]}, accepted) == {
        "category": ["a", "b"]
    }
    with pytest.raises(InvalidParameter, match="`crs` was given 2 times; it takes one value"):
        raw_arguments({"crs": [1, 2]}, accepted)
    with pytest.raises(InvalidParameter, match="unknown query parameter `x`"):
        raw_arguments({"x": True}, accepted)


@pytest.mark.parametrize(
    ("public_url", "port", "hosts"),
    [
        ("", 8000, ["127.0.0.1:8000", "localhost:8000", "[::1]:8000"]),
        ("", 0, ["127.0.0.1:*", "localhost:*", "[::1]:*"]),
        ("https://eedraws.example", 8000, ["eedraws.example", "eedraws.example:443"]),
        ("http://eedraws.example:8080", 8000, ["eedraws.example:8080"]),
        ("https://[2001:db8::1]", 0, ["[2001:db8::1]", "[2001:db8::1]:443"]),
    ],
)
def test_allowed_hosts_come_from_the_settings(public_url: str, port: int, hosts: list[str]) -> None:
    settings = Settings(public_url=public_url, port=port)
    assert allowed_hosts(settings) == hosts
    security = transport_security(settings)
    assert security.enable_dns_rebinding_protection
    assert security.allowed_hosts == hosts


def test_output_schemas_are_objects_that_hold_what_the_tools_answer() -> None:
    schema = _output_schema(Draw)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object"
    assert schema["properties"]["data"] == {"$ref": "#/$defs/Draw"}
    for tool in TOOLS:
        jsonschema.Draft202012Validator.check_schema(_output_schema(tool.model))
