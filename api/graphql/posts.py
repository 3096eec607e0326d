"""``POST /graphql`` by compiled plan: a document answered once is then run without Litestar's
routing, Strawberry's HTTP view and its extension runner (docs/graphql.md, "Speed").

An ASGI layer just inside ``api.edge.Edge`` (so metrics, the rate limit, the response cache and
the security headers apply as to any answer) and in front of Litestar. For a plain JSON POST
to ``/graphql`` (no query string, no APQ or other ``extensions``, no streaming ``Accept``), it
keeps a plan per (document, operation name), bounded (least recently used dropped):

1. No plan yet: the request goes the full way (Strawberry, every check of
   ``api/graphql/checks.py``); an answer of 200 with no error proves the document parses,
   validates and is within the document limits, and the document is compiled
   (``api/graphql/plans.py``): a plan, or a note that it has none.
2. A plan: the NUL check of the variables, their coercion, the cost (refused above the limit
   by the full path, and put on the scope for the rate limiter as ``cost.CostLimit`` does), the
   plan run under the time budget, and the same JSON bytes and headers as Strawberry's answer
   (CORS too, by Litestar's own code). Anything the plan cannot answer exactly (an error of
   any kind) is answered by the full path instead, so errors keep one shape.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, cast

import msgspec
from litestar.config.cors import CORSConfig
from litestar.middleware._internal.cors import CORSMiddleware

from api.edge import ASGIApp, Message, Receive, Scope, Send
from api.graphql import errors, limits
from api.graphql.checks import _parse
from api.graphql.context import Context
from api.graphql.controller import PATH, _has_nul
from api.graphql.cost import MAX_COST
from api.graphql.plans import Fallback, Plan, compile_plan
from api.ratelimit import COST_STATE_KEY
from api.reads import Db
from api.response_cache.layer import content_length, read_body, replay

log = logging.getLogger("eedraws.graphql")

PLANS = 512
_NO_PLAN = object()
_JSON = b"application/json"
_STREAMING = (b"multipart/mixed", b"text/event-stream")


class _Request(msgspec.Struct):
    """A POST body as Strawberry reads it; any other shape goes the full way."""

    query: str
    variables: dict[str, Any] | None = None
    operationName: str | None = None  # the wire name
    extensions: dict[str, Any] | None = None


_decode = msgspec.json.Decoder(_Request).decode
_encode = msgspec.json.Encoder().encode


class PlannedPosts:
    """See the module docstring. ``db`` gives the serving pool once the lifespan opened it."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        db: Callable[[], Db | None],
        cors: CORSConfig | None,
        time_budget: float = limits.TIME_BUDGET_SECONDS,
        max_plans: int = PLANS,
    ) -> None:
        self.app = app
        self.db = db
        self.cors = CORSMiddleware(app=app, config=cors) if cors is not None else None  # type: ignore[arg-type]
        self.time_budget = time_budget
        self.max_plans = max_plans
        self.plans: OrderedDict[tuple[str, str | None], Plan | object] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != PATH
            or scope["method"] != "POST"
            or scope["query_string"]
        ):
            await self.app(scope, receive, send)
            return
        # ASGI servers give header names in lower case (the edge relies on it too).
        headers = dict(scope["headers"])
        if not _plain_json(headers):
            await self.app(scope, receive, send)
            return
        body, more = await read_body(receive, limits.MAX_REQUEST_BYTES, content_length(headers))
        receive = replay(body, more, receive)
        if more or len(body) > limits.MAX_REQUEST_BYTES:
            await self.app(scope, receive, send)
            return
        try:
            request = _decode(body)
        except (msgspec.DecodeError, RecursionError):
            await self.app(scope, receive, send)
            return
        if request.extensions:
            await self.app(scope, receive, send)
            return
        key = (request.query, request.operationName)
        plan = self.plans.get(key)
        if plan is None:
            await self._prove(key, scope, receive, send)
            return
        self.plans.move_to_end(key)
        if plan is _NO_PLAN:
            await self.app(scope, receive, send)
            return
        assert isinstance(plan, Plan)
        answer = await self._answer(plan, request, scope)
        if answer is None:
            await self.app(scope, receive, send)
            return
        await self._send(headers, send, *answer)

    async def _prove(
        self, key: tuple[str, str | None], scope: Scope, receive: Receive, send: Send
    ) -> None:
        """The full path answers; an answer of 200 with no error makes the document's plan."""
        status = 0
        chunks: list[bytes] = []

        async def watching(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, watching)
        if status != 200:
            return
        try:
            answered = msgspec.json.decode(b"".join(chunks))
        except msgspec.DecodeError:
            return
        if not isinstance(answered, dict) or "errors" in answered:
            return
        try:
            plan = compile_plan(_parse(key[0], max_tokens=limits.MAX_TOKENS), key[1])
        except Exception:  # a bug in the compiler must not fail an answered request
            log.exception("graphql: could not compile a plan; the full path answers it")
            plan = None
        self.plans[key] = plan or _NO_PLAN
        while len(self.plans) > self.max_plans:
            self.plans.popitem(last=False)

    async def _answer(
        self, plan: Plan, request: _Request, scope: Scope
    ) -> tuple[int, bytes] | None:
        """(status, body) of the plan's answer; None when the full path must answer."""
        db = self.db()
        if db is None or _has_nul(request.variables):
            return None
        try:
            variables = plan.variables(request.variables)
        except Fallback:
            return None
        cost = plan.cost(request.variables, request.operationName)
        scope.setdefault("state", {})[COST_STATE_KEY] = cost
        if cost > MAX_COST:
            return None
        try:
            async with asyncio.timeout(self.time_budget) as budget:
                data = await plan.run(Context.for_pool(db), variables)
        except Fallback:
            return None
        except TimeoutError:
            if not budget.expired():
                raise
            refusal = errors.request_error(
                errors.QUERY_TIMEOUT,
                f"the request took over {self.time_budget:g} s, this API's budget; it was "
                "stopped: ask for less",
            )
            return 503, _encode(refusal)
        answer = {"data": data, "extensions": {"cost": {"requested": cost, "limit": MAX_COST}}}
        return 200, _encode(answer)

    async def _send(
        self, request_headers: Mapping[bytes, bytes], send: Send, status: int, body: bytes
    ) -> None:
        headers = [(b"content-type", _JSON), (b"content-length", str(len(body)).encode())]
        if status != 200:
            headers.append((b"cache-control", b"no-store"))
            headers.append((b"retry-after", str(errors.RETRY_AFTER_SECONDS).encode()))
        origin = request_headers.get(b"origin")
        if origin is not None and self.cors is not None:
            has_cookie = b"cookie" in request_headers
            send = cast(
                Send,
                self.cors.send_wrapper(cast(Any, send), origin.decode("latin-1"), has_cookie),
            )
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _plain_json(headers: Mapping[bytes, bytes]) -> bool:
    """A JSON body, and no streaming transport asked for (those are Strawberry's to serve)."""
    accept = headers.get(b"accept", b"").lower()
    if any(s in accept for s in _STREAMING):
        return False
    content_type = headers.get(b"content-type")
    if content_type is None:
        return False
    return content_type.split(b";", 1)[0].strip().lower() == _JSON
