"""The MCP server at ``/mcp``: the SDK's ``MCPServer`` with the tools of api/mcp/tools.py, its
Streamable HTTP app mounted in Litestar, stateless and answering JSON.

Stateless: each POST is self-contained (no ``Mcp-Session-Id`` kept), so any of granian's forked
workers, on any replica, answers any request; nothing needs sticky sessions. JSON: one answer
per POST, never a held-open stream, so the edge (api/edge.py) sees an ordinary request: counted
by the rate limit per client as REST is, its body read within the body timeout, never cached
(POST /mcp is no cacheable POST). A GET (a browser, curl) is answered here with a 405 that says
what the endpoint is and how to add it to an assistant: the SDK's GET opens an event stream.

``Host`` is checked by the SDK's DNS-rebinding protection (421 for a Host not allowed, 403 for an
``Origin`` not allowed), with the hosts from the app's settings: the public origin
(``EEDRAWS_PUBLIC_URL``) when set, else the loopback names on the served port (``make run``).
"""

from __future__ import annotations

import contextvars
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from contextlib import AbstractAsyncContextManager
from typing import Any
from urllib.parse import urlsplit

import msgspec
from litestar import Litestar
from litestar.handlers import asgi
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.resources.types import TextResource
from mcp.server.mcpserver.tools.base import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import CallToolResult, TextContent, ToolAnnotations

from api.errors import ApiError
from api.exports import About
from api.mcp.tools import FIELDS_URI, TOOLS, ToolSpec, fields_guide, raw_arguments
from api.public_origin import request_origin
from api.reads import Db
from api.rest.errors import STATUS_CODES, problem_body
from api.rest.formats import kept_data_stamp
from api.settings import OFFICIAL_SOURCE, Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

PATH = "/mcp"
# A tools/call is a few hundred bytes; the SDK answers 413 past this (its default is 4 MiB).
MAX_BODY = 64 * 1024
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")
_DEFAULT_PORTS = {"http": 80, "https": 443}
INSTRUCTIONS = (
    "eedraws answers questions about Canada's Express Entry rounds of invitations (IRCC's "
    "official data): each round's date, category, cut-off CRS score, invitations and "
    "tie-breaking rule, the CRS distribution of the pool, trends and where a score stands. "
    "Every answer's `about` gives the official source, the data version and the REST URL "
    "(`query`) that answers the same question: cite them. Category arguments take slugs from "
    "`list_categories`; what each field means is the resource eedraws://fields."
)

# The origin of the request being answered, for the REST URL an answer cites.
_origin: contextvars.ContextVar[str] = contextvars.ContextVar("eedraws_mcp_origin", default="")


def allowed_hosts(settings: Settings) -> list[str]:
    """The ``Host`` values /mcp answers: the public origin's, or loopback on the served port."""
    if settings.public_url:
        parts = urlsplit(settings.public_url)
        host = parts.netloc.rsplit("@", 1)[-1]
        name = host if parts.port is None else host.rsplit(":", 1)[0]
        port = parts.port or _DEFAULT_PORTS[parts.scheme]
        hosts = [f"{name}:{port}"]
        if port == _DEFAULT_PORTS[parts.scheme]:
            hosts.insert(0, name)
        return hosts
    served = str(settings.port) if settings.port else "*"
    return [f"{name}:{served}" for name in LOOPBACK]


def transport_security(settings: Settings) -> TransportSecuritySettings:
    hosts = allowed_hosts(settings)
    # A browser's page may call /mcp only from the API's own origin.
    origins = [settings.public_url] if settings.public_url else [f"http://{h}" for h in hosts]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


class ReadTool(Tool):
    """A tool whose ``fn`` takes the arguments as sent and answers the ``CallToolResult``:
    arguments are read by the REST layer's code (api/mcp/tools.py), not by a pydantic model,
    so a bad one is refused in the REST 400's words, with no prefix."""

    async def run(
        self, arguments: dict[str, Any], context: Any, convert_result: bool = False
    ) -> Any:
        return await self.fn(arguments)


class _NoArguments(ArgModelBase):
    """The SDK's argument model, never used: ``ReadTool.run`` reads the arguments."""


def _output_schema(model: Any) -> dict[str, Any]:
    """The JSON Schema of ``{"data": model, "about": About}``, its root an object (as MCP
    requires), the models' definitions under ``$defs``."""
    (data, about), components = msgspec.json.schema_components([model, About])
    return {
        "type": "object",
        "properties": {"data": data, "about": about},
        "required": ["data", "about"],
        "$defs": components,
    }


_READ_ONLY = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)


def _tool(spec: ToolSpec, app: Litestar, public_url: str) -> ReadTool:
    async def call(arguments: dict[str, Any]) -> CallToolResult:
        db: Db = app.state.pool
        try:
            raw = raw_arguments(arguments, spec.arguments)
            data, asked = await spec.answer(db, raw)
            stamp = await kept_data_stamp(app, db)
        except ApiError as exc:
            # The REST answer's `detail`, as the tool error an assistant reads.
            return CallToolResult(
                content=[TextContent(type="text", text=exc.detail)], is_error=True
            )
        about = About(
            source=OFFICIAL_SOURCE,
            loaded_from=stamp.source,
            data_version=stamp.data_version,
            data_as_of=stamp.newest_draw_date,
            data_changed_at=stamp.data_changed_at,
            query=(public_url or _origin.get()) + asked.url(),
        )
        answer = {"data": msgspec.to_builtins(data), "about": msgspec.to_builtins(about)}
        text = msgspec.json.encode(answer).decode()
        return CallToolResult(
            content=[TextContent(type="text", text=text)], structured_content=answer
        )

    return ReadTool(
        fn=call,
        name=spec.name,
        title=spec.title,
        description=spec.description,
        parameters=spec.input_schema(),
        fn_metadata=FuncMetadata(arg_model=_NoArguments, output_schema=_output_schema(spec.model)),
        is_async=True,
        context_kwarg=None,
        annotations=_READ_ONLY,
    )


def mcp_server(app: Litestar, settings: Settings, version: str) -> MCPServer:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    server = MCPServer(
        name="eedraws",
        title="eedraws: Express Entry rounds of invitations",
        instructions=INSTRUCTIONS,
        version=version,
        tools=[_tool(spec, app, settings.public_url) for spec in TOOLS],
        resources=[
            TextResource(
                uri=FIELDS_URI,
                name="fields",
                title="What each field means",
                description="Every table's fields (rounds, yearly stats, pool, categories, "
                "series, estimates) and their meaning, as docs/exports.md gives them",
                mime_type="text/markdown",
                text=fields_guide(),
            )
        ],
    )
    # Its constructor calls logging.basicConfig (a rich handler on the root logger when none is
    # there): logging is configured by whoever runs the app (the CLI, granian), as for Litestar.
    root.handlers[:] = handlers
    root.setLevel(level)
    return server


def add_to_assistant(origin: str) -> dict[str, Any]:
    """The JSON an assistant's configuration takes to use this server."""
    return {"mcpServers": {"eedraws": {"type": "http", "url": f"{origin}{PATH}"}}}


def assistant_snippet(origin: str) -> str:
    """``add_to_assistant`` as a person copies it (the dashboard, /docs)."""
    return json.dumps(add_to_assistant(origin), indent=2)


class McpEndpoint:
    """The ASGI app mounted at /mcp: POSTs to the SDK's Streamable HTTP app, anything else a
    405 saying what this is. Made before the app (its route is one of the app's), it serves
    once ``serve(app)`` has given it the app its tools read through; ``running()`` is entered
    by the app's lifespan (a mounted app's own lifespan never runs)."""

    def __init__(self, settings: Settings, version: str) -> None:
        self.settings = settings
        self.version = version
        self.public_url = settings.public_url
        self.server: MCPServer | None = None
        self.http_app: Any = None
        self.hosts = allowed_hosts(settings)

    def serve(self, app: Litestar) -> None:
        self.server = mcp_server(app, self.settings, self.version)
        self.http_app = self.server.streamable_http_app(
            streamable_http_path="/",
            stateless_http=True,
            json_response=True,
            transport_security=transport_security(self.settings),
            max_request_body_size=MAX_BODY,
        )

    def running(self) -> AbstractAsyncContextManager[None]:
        assert self.server is not None, "McpEndpoint.serve(app) was not called"
        return self.server.session_manager.run()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = self.public_url or request_origin(scope, dict(scope["headers"]))
        if scope["path"] not in ("", "/"):
            detail = f"no resource at this path; the MCP endpoint is {PATH}"
            await _problem(send, 404, "not_found", detail)
            return
        if scope["method"] != "POST":
            await _problem(
                send,
                405,
                "method_not_allowed",
                _how_to_use(origin),
                allow=b"POST",
                add_to_assistant=add_to_assistant(origin),
            )
            return
        token = _origin.set(origin)
        try:
            sdk = {**scope, "path": "/", "root_path": ""}
            await self.http_app(sdk, receive, _problems_for_refusals(scope, send, self.hosts))
        finally:
            _origin.reset(token)


def _problems_for_refusals(scope: Scope, send: Send, hosts: list[str]) -> Send:
    """``send`` with the SDK's plain-text refusals (421 Host, 403 Origin, 413, 400) made
    the API's problem+json, in its words and codes; its JSON answers (JSON-RPC results and
    errors, which MCP clients read) pass as they are."""
    refused: list[int] = []

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = dict(message.get("headers") or [])
            if message["status"] >= 400 and b"json" not in headers.get(b"content-type", b""):
                refused.append(message["status"])
                return
        elif refused:
            if message.get("more_body"):
                return
            status = refused[0]
            # The API's code for the status, as Litestar's own refusals get theirs.
            code = STATUS_CODES.get(status, "bad_request")
            await _problem(send, status, code, _refusal_detail(scope, status, hosts))
            return
        await send(message)

    return sending


def _refusal_detail(scope: Scope, status: int, hosts: list[str]) -> str:
    headers = dict(scope["headers"])
    if status == 421:
        host = headers.get(b"host", b"").decode("latin-1")[:80]
        return (
            f"/mcp answers at {', '.join(f'`{h}`' for h in hosts)}, not at the Host "
            f"`{host}` (DNS-rebinding protection; the server's EEDRAWS_PUBLIC_URL sets the name)"
        )
    if status == 403:
        origin = headers.get(b"origin", b"").decode("latin-1")[:80]
        return f"a page at `{origin}` may not call /mcp: only pages of the API's own origin may"
    if status == 413:
        return f"an MCP request body is at most {MAX_BODY // 1024} KiB"
    if b"json" not in headers.get(b"content-type", b""):
        return "an MCP request's body is JSON-RPC, sent as `Content-Type: application/json`"
    return "this is not an MCP request /mcp can read"


def _how_to_use(origin: str) -> str:
    return (
        f"{origin}{PATH} is eedraws' Model Context Protocol server (Streamable HTTP, "
        "stateless, JSON answers) for AI assistants: an MCP client POSTs JSON-RPC messages "
        "to it with `Accept: application/json, text/event-stream`. Add it to an assistant "
        "with the JSON in `add_to_assistant`; the tools and their arguments: /docs"
    )


async def _problem(
    send: Send, status: int, code: str, detail: str, *, allow: bytes = b"", **extra: Any
) -> None:
    body = msgspec.json.encode(problem_body(status, code, detail, **extra))
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
    ]
    if allow:
        headers.append((b"allow", allow))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def mcp_route(endpoint: McpEndpoint) -> Any:
    """The Litestar route handler mounting ``endpoint`` at /mcp (not in the REST schema)."""

    @asgi(PATH, is_mount=True, copy_scope=True, include_in_schema=False)
    async def mcp(scope: Any, receive: Any, send: Any) -> None:
        await endpoint(scope, receive, send)

    return mcp
