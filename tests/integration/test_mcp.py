"""The MCP server at /mcp, as an assistant reaches it: `eedraws serve` (granian) on a real
socket, the SDK's own client over Streamable HTTP, every tool's answer held against the REST
answer to the same question from the same server."""

from __future__ import annotations

import html
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from api.settings import Settings
from tests.support.db import FIXTURES, database_of_its_own
from tests.support.server import served

# Requests per client per day: each test is a client of its own (X-Forwarded-For, one trusted
# proxy hop), so one test's requests never spend another's.
LIMIT = 30
TOOLS = {
    "list_draws",
    "get_draw",
    "latest_draw",
    "draw_context",
    "crs_series",
    "invitation_series",
    "yearly_stats",
    "pool_snapshot",
    "pool_band_history",
    "standing",
    "list_categories",
    "status",
    "next_round",
}
# A tool, its arguments, and the REST URL that asks the same question.
SAME_QUESTION: list[tuple[str, dict[str, Any], str]] = [
    ("list_draws", {"category": "healthcare", "limit": 2}, "/v1/draws?category=healthcare&limit=2"),
    ("list_draws", {"min_crs": 500, "sort": "crs_min"}, "/v1/draws?min_crs=500&sort=crs_min"),
    ("get_draw", {"number": "00411"}, "/v1/draws/411"),
    (
        "latest_draw",
        {"category": ["healthcare", "cec"]},
        "/v1/draws/latest?category=healthcare&category=cec",
    ),
    ("draw_context", {"number": 411}, "/v1/draws/411/context"),
    (
        "crs_series",
        {"frequency": "month", "agg": "mean"},
        "/v1/series/crs?frequency=month&agg=mean",
    ),
    (
        "invitation_series",
        {"category": ["healthcare"], "transform": "change"},
        "/v1/series/invitations?category=healthcare&transform=change",
    ),
    ("yearly_stats", {"group_by": "category"}, "/v1/stats/yearly?group_by=category"),
    ("pool_snapshot", {}, "/v1/pool/latest"),
    ("pool_snapshot", {"date": "2026-04-12"}, "/v1/pool/2026-04-12"),
    ("pool_band_history", {"band": "451-500"}, "/v1/pool/bands/history?band=451-500"),
    ("standing", {"crs": 481}, "/v1/standing?crs=481"),
    ("list_categories", {}, "/v1/categories"),
    ("status", {}, "/v1/status"),
    ("next_round", {"category": "healthcare"}, "/v1/forecasts/next?category=healthcare"),
]
# Bad arguments, and the REST request with the same mistake.
SAME_MISTAKE: list[tuple[str, dict[str, Any], str]] = [
    ("standing", {"crs": "abc"}, "/v1/standing?crs=abc"),
    ("standing", {}, "/v1/standing"),
    ("list_draws", {"limit": 900}, "/v1/draws?limit=900"),
    ("list_draws", {"from": "2024-13-01"}, "/v1/draws?from=2024-13-01"),
    ("standing", {"crs": 481, "colour": "red"}, "/v1/standing?crs=481&colour=red"),
    ("list_draws", {"sort": ["date", "-date"]}, "/v1/draws?sort=date&sort=-date"),
    ("latest_draw", {"category": "Not A Slug"}, "/v1/draws/latest?category=Not%20A%20Slug"),
    ("get_draw", {"number": "999"}, "/v1/draws/999"),
    ("crs_series", {"agg": "sum"}, "/v1/series/crs?agg=sum"),
    ("pool_band_history", {"band": "1-2"}, "/v1/pool/bands/history?band=1-2"),
    ("yearly_stats", {"group_by": "month"}, "/v1/stats/yearly?group_by=month"),
]


@pytest.fixture(scope="module")
async def base(servers: Settings, template_db: str) -> AsyncIterator[str]:
    async with database_of_its_own(
        servers, template_db, "mcp", [FIXTURES / "rounds_2026.json"]
    ) as loaded:
        env = {"EEDRAWS_RATE_LIMIT": f"{LIMIT}/day", "EEDRAWS_TRUSTED_PROXY_HOPS": "1"}
        with served(loaded, env=env) as url:
            yield url


def a_client() -> dict[str, str]:
    return {"x-forwarded-for": f"198.51.100.{uuid.uuid4().int % 250}, {uuid.uuid4()}"}


def assistant(base: str, mode: str = "auto") -> Client:
    """The SDK's client over Streamable HTTP, as a client of its own."""
    http = httpx2.AsyncClient(headers=a_client(), timeout=30)
    return Client(streamable_http_client(f"{base}/mcp", http_client=http), mode=mode)


def rest(base: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base, headers=a_client(), timeout=30)


def json_rpc(method: str, params: dict[str, Any], request_id: int = 1) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}


MCP_HEADERS = {"accept": "application/json, text/event-stream"}


async def test_tools_are_listed_read_only_with_input_and_output_schemas(base: str) -> None:
    async with assistant(base) as client:
        listed = (await client.list_tools()).tools
        [fields] = (await client.list_resources()).resources
        assert str(fields.uri) == "eedraws://fields"
        [guide] = (await client.read_resource("eedraws://fields")).contents
        assert "| `crs_min` | Cut-off CRS | int |" in getattr(guide, "text", "")
    assert {tool.name for tool in listed} == TOOLS
    for tool in listed:
        assert tool.annotations is not None and tool.annotations.read_only_hint, tool.name
        assert tool.annotations.destructive_hint is False, tool.name
        assert tool.input_schema["type"] == "object", tool.name
        assert tool.output_schema is not None, tool.name
        assert tool.output_schema["type"] == "object", tool.name
        assert tool.output_schema["required"] == ["data", "about"], tool.name
        assert tool.description and "REST /v1/" in tool.description, tool.name
    standing = next(tool for tool in listed if tool.name == "standing")
    assert standing.input_schema["required"] == ["crs"]
    assert standing.input_schema["properties"]["crs"]["maximum"] == 1200
    assert "category" in standing.input_schema["properties"]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_every_tool_answers_what_rest_answers_with_its_source_and_version(
    base: str, mode: str
) -> None:
    async with rest(base) as http:
        version = (await http.get("/v1/status")).json()["data_version"]
        expected = {path: (await http.get(path)).json() for _, _, path in SAME_QUESTION}
    asked = set()
    async with assistant(base, mode) as client:
        # auto: the 2026-07-28 revision (one self-contained POST per request); legacy: the
        # initialize handshake, then stateless POSTs (the revisions clients speak today).
        assert (client.protocol_version == "2026-07-28") == (mode == "auto")
        for tool, arguments, path in SAME_QUESTION:
            result = await client.call_tool(tool, arguments)
            assert not result.is_error, (tool, result.content)
            answer = result.structured_content
            assert answer is not None
            if path != "/v1/status":  # every ingest shows there; the others hold data only
                assert answer["data"] == expected[path], tool
            about = answer["about"]
            assert about["data_version"] == version
            assert about["source"].startswith("https://www.canada.ca/")
            assert about["loaded_from"].endswith("rounds_2026.json")
            assert about["data_as_of"] == "2026-04-15"
            assert about["query"] == base + path, tool
            asked.add(tool)
    assert asked == TOOLS


async def test_bad_arguments_are_tool_errors_in_the_words_of_the_rest_400(base: str) -> None:
    async with rest(base) as http:
        refused = {path: await http.get(path) for _, _, path in SAME_MISTAKE}
    async with assistant(base) as client:
        for tool, arguments, path in SAME_MISTAKE:
            assert refused[path].status_code in (400, 404), path
            result = await client.call_tool(tool, arguments)
            assert result.is_error, tool
            assert result.structured_content is None
            [text] = result.content
            assert getattr(text, "text", None) == refused[path].json()["detail"], tool


async def test_an_unknown_tool_is_a_tool_error(base: str) -> None:
    async with assistant(base) as client:
        result = await client.call_tool("delete_draws", {})
    assert result.is_error
    [text] = result.content
    assert "Unknown tool: delete_draws" in getattr(text, "text", "")


async def test_a_foreign_host_or_origin_is_refused_before_any_tool_runs(base: str) -> None:
    call = json_rpc("tools/call", {"name": "latest_draw", "arguments": {}})
    async with rest(base) as http:
        foreign = await http.post(
            "/mcp", json=call, headers={**MCP_HEADERS, "host": "eedraws.attacker.example"}
        )
        assert foreign.status_code == 421
        assert problem_code(foreign) == "misdirected_request"
        assert "`eedraws.attacker.example`" in foreign.json()["detail"]
        other_port = base.rsplit(":", 1)[0].replace("http://", "") + ":1"
        assert (
            await http.post("/mcp", json=call, headers={**MCP_HEADERS, "host": other_port})
        ).status_code == 421
        origin = await http.post(
            "/mcp", json=call, headers={**MCP_HEADERS, "origin": "https://attacker.example"}
        )
        assert origin.status_code == 403
        assert problem_code(origin) == "origin_not_allowed"
        # The served Host, as `localhost` too, answers (no initialize needed: stateless).
        port = base.rsplit(":", 1)[1]
        for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
            ok = await http.post("/mcp", json=call, headers={**MCP_HEADERS, "host": host})
            assert ok.status_code == 200, host
            assert ok.json()["result"]["structuredContent"]["data"]["number"] == "411"


async def test_mcp_requests_count_against_the_clients_rest_rate_limit(base: str) -> None:
    call = json_rpc("tools/call", {"name": "latest_draw", "arguments": {}})
    async with rest(base) as http:
        for _ in range(LIMIT // 2):
            assert (await http.get("/v1/draws/latest")).status_code == 200
        answered = 0
        while answered < LIMIT:
            response = await http.post("/mcp", json=call, headers=MCP_HEADERS)
            if response.status_code == 429:
                break
            assert response.status_code == 200
            answered += 1
        assert answered == LIMIT - LIMIT // 2
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "rate_limited"
        assert (await http.get("/v1/draws/latest")).status_code == 429


async def test_get_without_mcp_headers_is_a_quick_405_saying_how_to_use_it(base: str) -> None:
    async with rest(base) as http:
        started = time.monotonic()
        answer = await http.get("/mcp", timeout=5)
        assert time.monotonic() - started < 5
        assert answer.status_code == 405
        assert answer.headers["allow"] == "POST"
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.headers["cache-control"] == "no-store"
        body = answer.json()
        assert "Model Context Protocol" in body["detail"]
        assert body["add_to_assistant"] == {
            "mcpServers": {"eedraws": {"type": "http", "url": f"{base}/mcp"}}
        }
        sse = await http.get("/mcp", headers={"accept": "text/event-stream"}, timeout=5)
        assert sse.status_code == 405
        assert (await http.get("/mcp/tools")).status_code == 404


async def test_the_dashboard_and_the_docs_page_say_how_to_add_it_to_an_assistant(
    base: str,
) -> None:
    async with rest(base) as http:
        for page in ("/", "/docs"):
            body = html.unescape((await http.get(page)).text)
            assert '"mcpServers": {' in body, page
            assert f'"url": "{base}/mcp"' in body, page
        # Asked at another name (cached per origin, as the feeds are), with that name's URL.
        port = base.rsplit(":", 1)[1]
        for page in ("/", "/docs"):
            other = await http.get(page, headers={"host": f"localhost:{port}"})
            assert f'"url": "http://localhost:{port}/mcp"' in html.unescape(other.text), page


async def test_malformed_posts_are_refused_as_problems_never_a_500(base: str) -> None:
    json_type = {**MCP_HEADERS, "content-type": "application/json"}
    async with rest(base) as http:
        big = await http.post("/mcp", content=b"{" + b" " * 70_000 + b"}", headers=json_type)
        assert big.status_code == 413
        assert problem_code(big) == "request_too_large"
        broken = await http.post("/mcp", content=b"{nope", headers=json_type)
        assert broken.status_code == 400
        assert broken.json()["error"]["code"] == -32700
        text = await http.post("/mcp", content=b"hello", headers={**MCP_HEADERS})
        assert text.status_code == 400
        assert problem_code(text) == "bad_request"
        assert "Content-Type: application/json" in text.json()["detail"]
        html_only = await http.post(
            "/mcp", json=json_rpc("tools/list", {}), headers={"accept": "text/html"}
        )
        assert html_only.status_code == 406
        # The SDK's JSON-RPC errors are JSON, as MCP clients read them; kept as they are.
        assert html_only.json()["error"]["code"] == -32600


def problem_code(response: httpx.Response) -> str:
    """The code of a refusal, which must be the API's problem+json like every other."""
    assert response.headers["content-type"] == "application/problem+json", response.text
    body = response.json()
    assert body["status"] == response.status_code
    assert body["type"] == f"/errors/{body['code']}"
    return str(body["code"])
