"""/graphql over HTTP: Strawberry's Litestar controller with eedraws' rules added.

- GET (queries only) and POST with a JSON body; GraphiQL for a browser's GET with no query.
- The document is refused before parsing when over ``limits.MAX_DOCUMENT_BYTES``, and a POST
  body over ``limits.MAX_REQUEST_BYTES`` is not even read.
- Apollo automatic persisted queries (``extensions.persistedQuery``), shared through Redis.
- Errors refused before execution have the shape and codes of every other GraphQL error, and
  no response with errors may be cached. The HTTP status says whether anything ran
  (``errors.http_status``): 400 when nothing could, 503 with ``Retry-After`` on an outage.
- Every request has a wall-clock budget (``EEDRAWS_GRAPHQL_TIMEOUT``); past it, the answer is
  ``QUERY_TIMEOUT`` (503) and the work is cancelled, its SQL statements included.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

import msgspec
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError
from litestar import MediaType, Request, Response, Router
from litestar.background_tasks import BackgroundTasks
from litestar.di import Provide
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.types import Dependencies
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.litestar.controller import GraphQLController, GraphQLResource
from strawberry.types import ExecutionResult

from api.graphql import errors, ide, limits
from api.graphql.context import Context
from api.graphql.persisted import (
    PersistedQueries,
    RegistrationRefused,
    Registrations,
    is_sha256_hex,
    sha256_hex,
)
from api.graphql.schema import schema
from api.response_cache import CACHEABLE_POST

PATH = "/graphql"
GET_PARAMS = frozenset({"query", "variables", "operationName", "extensions"})
NO_STORE = {"Cache-Control": "no-store"}


class RequestRefused(Exception):
    """A request refused before execution: answered as a GraphQL error with a code."""

    def __init__(self, code: str, message: str, status: int = 400, retry_after: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.retry_after = retry_after


def _context(request: Request[Any, Any, Any]) -> Context:
    return Context.for_pool(request.app.state.pool)


def _sub_response() -> Response[Any]:
    return Response({}, background=BackgroundTasks([]))


def _http_context(
    custom_context: Context, response: Response[Any], request: Request[Any, Any, Any]
) -> Context:
    # Strawberry's getters for this and the root value are async: Litestar would resolve them
    # in a task group per request (api/dependency_batches.py resolves sync ones inline).
    custom_context.request = request
    custom_context.response = response
    return custom_context


def _no_root_value() -> None:
    return None


def _persisted_queries(request: Request[Any, Any, Any]) -> PersistedQueries:
    state = request.app.state
    store: PersistedQueries | None = state.get("persisted_queries")
    if store is None:
        store = state.persisted_queries = PersistedQueries(state.get("redis"))
    return store


async def _admit_registration(request: Request[Any, Any, Any], document: str) -> None:
    registrations: Registrations | None = request.app.state.get("apq_registrations")
    if registrations is None:
        return
    try:
        await registrations.admit(request.scope, document)
    except RegistrationRefused as exc:
        raise RequestRefused(exc.code, exc.message, exc.status, exc.retry_after) from None


def _persisted_hash(extensions: dict[str, Any] | None) -> str | None:
    """The sha256 of an APQ request, or None when it is not one."""
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise RequestRefused(
            errors.PERSISTED_QUERY_NOT_SUPPORTED, "only persistedQuery version 1 is supported"
        )
    sha256 = persisted.get("sha256Hash")
    if not is_sha256_hex(sha256):
        raise RequestRefused(
            errors.BAD_REQUEST, "persistedQuery.sha256Hash must be 64 lowercase hex digits"
        )
    return sha256


def _check_size(document: str | None) -> None:
    if document and len(document.encode()) > limits.MAX_DOCUMENT_BYTES:
        raise RequestRefused(
            errors.DOCUMENT_TOO_LARGE,
            f"the document is over {limits.MAX_DOCUMENT_BYTES} bytes; it was not parsed",
        )


def _refusal(code: str, message: str, status: int, retry_after: int = 0) -> Response[Any]:
    headers = dict(NO_STORE)
    if status in (429, 503):
        headers["Retry-After"] = str(retry_after or errors.RETRY_AFTER_SECONDS)
    return Response(
        msgspec.json.encode(errors.request_error(code, message)),
        status_code=status,
        media_type=MediaType.JSON,
        headers=headers,
    )


def _has_nul(value: object) -> bool:
    """Whether a NUL is in any string of decoded JSON (keys too); iterative, any depth."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class EedrawsGraphQLController(GraphQLController[Context, None]):
    path = "/"
    schema = schema
    graphql_ide = "graphiql"
    allow_queries_via_get = True
    include_in_schema = False
    # GET takes query/variables/operationName/extensions, checked here, not by the REST rule.
    # A POSTed query is a read: the response cache may keep its answer, keyed by the body
    # (an answer with errors says no-store, in create_response).
    opt: Mapping[str, Any] = {"any_query_params": True, CACHEABLE_POST: True}
    request_max_body_size = limits.MAX_REQUEST_BYTES
    dependencies: ClassVar[Dependencies] = {  # type: ignore[misc]
        **GraphQLController.dependencies,
        "custom_context": Provide(_context, sync_to_thread=False),
        "context": Provide(_http_context, sync_to_thread=False),
        "root_value": Provide(_no_root_value, sync_to_thread=False),
        # Strawberry's default builds this in a worker thread: a thread hop per request.
        "response": Provide(_sub_response, sync_to_thread=False),
    }
    # No subscriptions in this API, so no WebSocket endpoint either.
    websocket_endpoint = None  # type: ignore[assignment]
    # Seconds a request may take, parsing to encoding; set from Settings by graphql_router.
    time_budget: float = limits.TIME_BUDGET_SECONDS

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        # A GET that carries an APQ hash and no query is a query, not a browser.
        params = request.query_params
        return "extensions" not in params and super().should_render_graphql_ide(request)

    async def render_graphql_ide(self, request: Request[Any, Any, Any]) -> Response[str]:
        return Response(ide.page(PATH), media_type=MediaType.HTML)

    def parse_json(self, data: str | bytes) -> Any:
        try:
            decoded = msgspec.json.decode(data)
        except msgspec.DecodeError as exc:
            raise RequestRefused(errors.BAD_REQUEST, f"not valid JSON: {exc}") from None
        except RecursionError:
            raise RequestRefused(errors.BAD_REQUEST, "the JSON is nested too deeply") from None
        # A request, its variables and its extensions are objects (a list is a batch, refused
        # with its own message).
        if not isinstance(decoded, dict | list):
            raise RequestRefused(
                errors.BAD_REQUEST, f"expected a JSON object, not {type(decoded).__name__}"
            )
        return decoded

    def encode_json(self, data: object) -> bytes:
        return msgspec.json.encode(data)

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        if request.method == "GET":
            params = request.query_params
            unknown = sorted(set(params) - GET_PARAMS)
            if unknown:
                raise RequestRefused(
                    errors.BAD_REQUEST,
                    f"unknown query parameter {', '.join(map(repr, unknown))}; /graphql "
                    f"accepts: {', '.join(sorted(GET_PARAMS))}",
                )
        data = await super().parse_http_body(request)
        if isinstance(data, GraphQLRequestData):
            _check_size(data.query)
        return data

    async def execute_single(
        self,
        request: Request[Any, Any, Any],
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response[Any],
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        if _has_nul(request_data.variables):
            # PostgreSQL's text cannot hold one, so no argument can match anything.
            raise RequestRefused(
                errors.BAD_USER_INPUT, "a variable contains a NUL character (\\u0000)"
            )
        sha256 = _persisted_hash(request_data.extensions)
        if sha256 is None:
            return await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        store = _persisted_queries(request)
        document = request_data.query
        if document is None:
            document = await store.get(sha256)
            if document is None:
                not_found = GraphQLError(
                    "PersistedQueryNotFound",
                    extensions={"code": errors.PERSISTED_QUERY_NOT_FOUND},
                )
                return ExecutionResult(data=None, errors=[not_found])
            request_data = dataclasses.replace(request_data, query=document)
            return await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        if sha256_hex(document) != sha256:
            raise RequestRefused(
                errors.PERSISTED_QUERY_HASH_MISMATCH,
                "persistedQuery.sha256Hash is not the sha256 of the query",
            )
        if await store.get(sha256) is None:  # a registration; one already kept is free
            await _admit_registration(request, document)
        result = await super().execute_single(
            request, request_adapter, sub_response, context, root_value, request_data
        )
        # Only documents that parse and validate are kept, so junk cannot fill the store.
        if not any(errors.is_document_error(e) for e in result.errors or ()):
            await store.put(sha256, document)
        return result

    async def execute_request(
        self, request: Request[Any, Any, Any], context: Any, root_value: Any
    ) -> Response[GraphQLResource | str]:
        # Before anything parses it: decoding a megabyte of %XX takes Litestar a third of a second.
        if len(request.scope["query_string"]) > limits.MAX_REQUEST_BYTES:
            return _refusal(
                errors.DOCUMENT_TOO_LARGE,
                f"the query string is over {limits.MAX_REQUEST_BYTES} bytes; it was not read",
                400,
            )
        try:
            async with asyncio.timeout(self.time_budget) as budget:
                response: Response[Any] = await self.run(
                    request, context=context, root_value=root_value
                )
        except TimeoutError:
            if not budget.expired():
                raise
            response = _refusal(
                errors.QUERY_TIMEOUT,
                f"the request took over {self.time_budget:g} s, this API's budget; it was "
                "stopped: ask for less",
                503,
            )
        except RequestRefused as exc:
            response = _refusal(exc.code, exc.message, exc.status, exc.retry_after)
        except RequestEntityTooLarge:
            response = _refusal(
                errors.DOCUMENT_TOO_LARGE,
                f"the request body is over {limits.MAX_REQUEST_BYTES} bytes; it was not read",
                400,
            )
        except HTTPException as exc:
            response = _refusal(errors.BAD_REQUEST, exc.reason, exc.status_code)
        return response

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response[bytes],
    ) -> Response[bytes]:
        response = super().create_response(response_data, sub_response)
        if isinstance(response_data, dict) and "errors" in response_data:
            response.headers.update(NO_STORE)
            response.status_code = errors.http_status(response_data)
            if response.status_code == 503:
                response.headers["Retry-After"] = str(errors.retry_after(response_data))
        return response


def graphql_router(time_budget: float = limits.TIME_BUDGET_SECONDS) -> Router:
    """/graphql and GraphiQL's assets under /graphql/assets; ``time_budget`` in seconds."""
    controller = type("EedrawsGraphQL", (EedrawsGraphQLController,), {"time_budget": time_budget})
    return Router(path=PATH, route_handlers=[controller, ide.assets_router()])
