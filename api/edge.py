"""The one ASGI layer in front of Litestar's router: what every answer passes through, in one pass.

- metrics (api/metrics.py): every answer counted and timed, cache hits, probes and 429s
  included; /metrics answered to its bearer token, before anything else;
- ``/healthz`` (the process is up; no I/O) and ``/readyz`` (PostgreSQL answers and data is
  loaded): never cached, never rate-limited;
- slow and lying clients: a client's requests in progress capped per worker (429), and a
  request's body read whole within the body timeout before anything else sees it (408;
  api/request_body.py), so neither a trickled body nor a short one under a long
  ``Content-Length`` holds a connection for ever;
- HTTP semantics (api/rest/semantics.py): a 400 for a request no route can read (two
  ``Host`` headers, a NUL or ``..`` in the path...), 414/431 before any work, ``HEAD`` as a ``GET``
  without the body, ``HEAD`` named in ``Allow``;
- the per-client rate limit (api/ratelimit.py): in front of the cache, so cached answers count,
  a cached GraphQL answer at the cost of its first making;
- the response cache (api/response_cache/): a hit is answered here, never reaching the router,
  with the header list and body made for that entry on its first hit;
- security headers on every answer, cached ones included (docs/operations.md).

The router is called with one ``send`` wrapper, which finishes the headers once; a hit's
headers were finished when its entry was first sent.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import msgspec

from api import request_body
from api.db import REQUEST_STARTED, query
from api.errors import ServiceUnavailable
from api.metrics import Recorder
from api.ratelimit import (
    UNKNOWN_CLIENT,
    ClientAddress,
    Decision,
    InFlight,
    RateLimiter,
    extra_charge,
    graphql_cost,
)
from api.reads import Db
from api.response_cache.entries import CacheEntry, Header
from api.response_cache.layer import (
    MAX_KEYED_BODY,
    MAX_QUERY_STRING,
    Located,
    ResponseCache,
    captured,
    content_length,
    read_body,
    replay,
)
from api.rest.errors import problem_body
from api.rest.semantics import too_large, unreadable, with_head_in_allow

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Probes and the metrics scraper are never limited (nor are they answered from the cache).
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
READY_TIMEOUT_RETRY = 5
# Says when a client over its requests in progress may try again: they are short.
CONCURRENCY_RETRY = 1

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def _inline_script_hashes() -> list[str]:
    """CSP hashes of the inline scripts of pages we ship (GraphiQL's bootstrap)."""
    page = Path(__file__).parent / "graphql" / "graphiql.html"
    if not page.exists():
        return []
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(m.encode()).digest()).decode() + "'"
        for m in _INLINE_SCRIPT.findall(page.read_text(encoding="utf-8"))
    ]


def content_security_policy() -> str:
    # Scripts only from this origin (plus the hashed bootstrap of GraphiQL): an injected script
    # does not run. Inline styles are allowed: Swagger UI and GraphiQL set them from scripts.
    return "; ".join(
        [
            "default-src 'self'",
            "script-src " + " ".join(["'self'", *_inline_script_hashes()]),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


_EVERY_ANSWER = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
)
# What a browser's script may read of a cross-origin answer, beyond the CORS-safelisted headers.
_OUR_EXPOSED = b"RateLimit, RateLimit-Policy, Retry-After"


def _html_headers() -> tuple[Header, ...]:
    # Pages are not framed (clickjacking); images and JSON stay embeddable and fetchable.
    return (
        (b"content-security-policy", content_security_policy().encode()),
        (b"x-frame-options", b"DENY"),
    )


class Edge:
    """See the module docstring. ``db`` gives the serving pool once the lifespan has opened it."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        db: Callable[[], Db | None],
        cache: ResponseCache | None = None,
        limiter: RateLimiter | None = None,
        client_of: ClientAddress | None = None,
        metrics: Recorder | None = None,
        in_flight: InFlight | None = None,
        body_timeout: float = 0.0,
        ready_timeout: float = 0.0,
    ) -> None:
        self.app = app
        self.db = db
        self.cache = cache
        self.limiter = limiter
        self.client_of = client_of or ClientAddress()
        self.metrics = metrics
        self.in_flight = in_flight
        self.body_timeout = body_timeout
        self.body_reads = request_body.BodyReads(body_timeout)
        self.ready_timeout = ready_timeout
        self._html = _html_headers()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        metrics = self.metrics
        if metrics is None:
            await self._admit(scope, receive, send, [500])
            return
        if metrics.answers(scope["path"]):
            await metrics.answer(scope, send, self.finish)
            return
        started = time.perf_counter()
        status = [500]  # what was sent, for the metrics (500 if nothing was)
        try:
            await self._admit(scope, receive, send, status)
        finally:
            metrics.record(scope["path"], scope["method"], status[0], time.perf_counter() - started)

    async def _admit(self, scope: Scope, receive: Receive, send: Send, status: list[int]) -> None:
        """The client's requests in progress within its share, the body read whole in time:
        then ``_serve``. Probes and the scraper pass (they read no body and must answer)."""
        if scope["path"] in UNLIMITED_PATHS:
            await self._serve(scope, receive, send, status)
            return
        in_flight = self.in_flight
        client = None
        if in_flight is not None:
            client = self.client_of(scope)
            # No address (a Unix socket with no trusted proxy): no one to tell apart.
            if client == UNKNOWN_CLIENT:
                client = None
            elif not in_flight.enter(client):
                status[0] = 429
                detail = (
                    f"this client already has {in_flight.limit} requests in progress; "
                    "wait for their answers"
                )
                body = problem_body(429, "concurrency_limited", detail)
                extra = [(b"connection", b"close")]
                await self._answer(
                    scope, send, 429, body, problem=True, retry_after=CONCURRENCY_RETRY, extra=extra
                )
                return
        try:
            has_body, length = request_body.declared_body(scope["headers"])
            if has_body:
                try:
                    receive = await self.body_reads.read(receive, length)
                except request_body.TimedOut:
                    status[0] = 408
                    detail = f"the request body did not arrive within {self.body_timeout:g} s"
                    body = problem_body(408, "request_timeout", detail)
                    extra = [(b"connection", b"close")]
                    await self._answer(scope, send, 408, body, problem=True, extra=extra)
                    return
                except request_body.ClientGone:
                    status[0] = 499  # nginx's "client closed request": nothing was sent
                    return
            await self._serve(scope, receive, send, status)
        finally:
            if client is not None:
                assert in_flight is not None
                in_flight.leave(client)

    async def _serve(self, scope: Scope, receive: Receive, send: Send, status: list[int]) -> None:
        path: str = scope["path"]
        limiter = None if path in UNLIMITED_PATHS else self.limiter
        # Before anything else, probes included: a request with two Hosts is no request.
        refusal = unreadable(scope)
        if refusal is not None:
            await self._refuse_charged(limiter, scope, send, status, refusal)
            return
        if path == "/healthz":
            status[0] = 200
            await self._answer(scope, send, 200, {"status": "ok"})
            return
        if path == "/readyz":
            status[0] = await self._ready(scope, send)
            return
        refusal = too_large(scope)
        if refusal is not None:
            await self._refuse_charged(limiter, scope, send, status, refusal)
            return
        cache = self.cache
        method: str = scope["method"]
        if cache is not None and cache.ready and len(scope["query_string"]) <= MAX_QUERY_STRING:
            if method == "GET" or method == "HEAD":
                headers = dict(scope["headers"])
                await self._cacheable(cache, scope, receive, send, status, headers, b"", limiter)
                return
            if method == "POST" and path in cache.cacheable_posts:
                headers = dict(scope["headers"])
                if b"json" in headers.get(b"content-type", b""):
                    length = content_length(headers)
                    body, more = await read_body(receive, MAX_KEYED_BODY, length)
                    receive = replay(body, more, receive)
                    if not more:
                        await self._cacheable(
                            cache, scope, receive, send, status, headers, body, limiter
                        )
                        return
        decision = await self._charge(limiter, scope, 1, status, send)
        if decision is not None and not decision.allowed:
            return
        state = scope.setdefault("state", {})
        head = method == "HEAD"
        inner = {**scope, "method": "GET"} if head else scope
        # The request's reads share one deadline from now (api.db.read).
        token = REQUEST_STARTED.set(time.monotonic())
        try:
            await self.app(inner, receive, self._finishing(send, status, head, decision))
        finally:
            REQUEST_STARTED.reset(token)
        if limiter is not None:
            await self._charge_extra(limiter, scope, graphql_cost(state))

    async def _cacheable(
        self,
        cache: ResponseCache,
        scope: Scope,
        receive: Receive,
        send: Send,
        status: list[int],
        headers: dict[bytes, bytes],
        body: bytes,
        limiter: RateLimiter | None,
    ) -> None:
        located = cache.locate(scope, headers, body)
        not_modified = cache.not_modified(headers, located)
        entry = cache.stored_here(located.key) if not_modified else cache.held(located.key)
        decision = None
        if limiter is not None:
            # A hit is charged its whole cost now; what a miss costs is known once it is made.
            cost = 1 if entry is None or not_modified else 1 + extra_charge(entry.cost)
            decision = await self._charge(limiter, scope, cost, status, send)
            if decision is not None and not decision.allowed:
                return
        head = scope["method"] == "HEAD"
        if entry is not None:
            await self._send_entry(send, status, entry, located, not_modified, head, decision)
            return
        state = scope.setdefault("state", {})
        inner = {**scope, "method": "GET"} if head else scope
        finishing = self._finishing(send, status, head, decision)
        # The request's reads share one deadline from now (api.db.read), a wait for another
        # request making the same answer included: when that one ends in a 503 (not kept),
        # this one's own reads have only what is left.
        started = time.monotonic()

        async def compute() -> CacheEntry | None:
            token = REQUEST_STARTED.set(started)
            try:
                made = await captured(self.app, inner, receive, finishing)
            finally:
                REQUEST_STARTED.reset(token)
            if made is not None:
                made.cost = graphql_cost(state)
            return made

        entry = await cache.filled(located, compute)
        if entry is None:  # not cacheable: the app's answer has been sent as it was
            cost = graphql_cost(state)
        else:
            await self._send_entry(send, status, entry, located, not_modified, head, decision)
            cost = 0 if not_modified else entry.cost  # a 304 costs 1, however it was known
        if limiter is not None:
            await self._charge_extra(limiter, scope, cost)

    async def _send_entry(
        self,
        send: Send,
        status: list[int],
        entry: CacheEntry,
        located: Located,
        not_modified: bool,
        head: bool,
        decision: Decision | None,
    ) -> None:
        """The entry (or a 304 for it), with the headers made for it on its first sending."""
        slot = ("304 " if not_modified else "") + located.encoding
        sent = entry.sent.get(slot) if entry.sent is not None else None
        if sent is None:
            sent = self._made(entry, located, not_modified)
            if entry.sent is None:
                entry.sent = {}
            entry.sent[slot] = sent
        headers, body = sent
        if decision is not None:
            headers = headers + decision.headers()
        code = 304 if not_modified else entry.status
        status[0] = code
        await send({"type": "http.response.start", "status": code, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else body})

    def _made(
        self, entry: CacheEntry, located: Located, not_modified: bool
    ) -> tuple[list[Header], bytes]:
        assert self.cache is not None
        if not_modified:
            return self.finish(self.cache.not_modified_headers(entry, located)), b""
        headers, body = self.cache.headers_for(entry, located)
        return self.finish(headers), body

    def finish(self, headers: list[Header]) -> list[Header]:
        """``headers`` (changed in place) with what every answer carries: security headers (and
        CSP on pages), our headers exposed to cross-origin scripts, ``HEAD`` in ``Allow``."""
        present = set()
        html = False
        expose = -1
        for i, (raw_name, value) in enumerate(headers):
            name = bytes(raw_name).lower()
            present.add(name)
            if name == b"content-type":
                html = bytes(value).startswith(b"text/html")
            elif name == b"access-control-expose-headers":
                expose = i
            elif name == b"allow":
                headers[i] = (name, with_head_in_allow(bytes(value)))
        headers.extend(h for h in _EVERY_ANSWER if h[0] not in present)
        if html:
            headers.extend(h for h in self._html if h[0] not in present)
        if expose >= 0:
            name, value = headers[expose]
            headers[expose] = (name, bytes(value) + b", " + _OUR_EXPOSED)
        elif b"access-control-allow-origin" in present:
            headers.append((b"access-control-expose-headers", _OUR_EXPOSED))
        return headers

    def _finishing(
        self, send: Send, status: list[int], head: bool, decision: Decision | None
    ) -> Send:
        """The one ``send`` wrapper for the router's answers."""
        extra = decision.headers() if decision is not None else []
        finish = self.finish

        async def finishing(message: Message) -> None:
            kind = message["type"]
            if kind == "http.response.start":
                status[0] = message["status"]
                headers = finish(list(message.get("headers", ())))
                headers.extend(extra)
                message = {**message, "headers": headers}
            elif head and kind == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        return finishing

    async def _charge(
        self,
        limiter: RateLimiter | None,
        scope: Scope,
        cost: int,
        status: list[int],
        send: Send,
    ) -> Decision | None:
        """Charge ``cost``; over the limit, the 429 is sent here."""
        if limiter is None:
            return None
        decision = await limiter.charge(self.client_of(scope), cost)
        if not decision.allowed:
            status[0] = 429
            detail = (
                f"over {decision.limit} requests per {decision.window} s from this client; "
                f"retry in {decision.reset} s"
            )
            body = problem_body(429, "rate_limited", detail)
            await self._answer(
                scope,
                send,
                429,
                body,
                problem=True,
                retry_after=decision.reset,
                extra=decision.headers(),
            )
        return decision

    async def _charge_extra(self, limiter: RateLimiter, scope: Scope, cost: int) -> None:
        extra = extra_charge(cost)
        if extra:
            await limiter.charge(self.client_of(scope), extra)

    async def _ready(self, scope: Scope, send: Send) -> int:
        try:
            await self._check_ready()
        except ServiceUnavailable as exc:
            body = problem_body(503, exc.code, exc.detail)
            await self._answer(scope, send, 503, body, problem=True, retry_after=exc.retry_after)
            return 503
        await self._answer(scope, send, 200, {"status": "ready"})
        return 200

    async def _check_ready(self) -> None:
        """Raise ServiceUnavailable unless PostgreSQL answers within ``ready_timeout`` and has
        data. A probe gives up after its own timeout (a second, often): it must hear the 503
        before that, whatever PostgreSQL does (a timer per probe; probes are few)."""
        db = self.db()
        if db is None:
            raise ServiceUnavailable("starting up", retry_after=READY_TIMEOUT_RETRY)
        try:
            async with asyncio.timeout(self.ready_timeout or None):
                loaded = await db.fetchval(query("ready"))
        except TimeoutError:
            detail = f"PostgreSQL did not answer within {self.ready_timeout:g} s"
            raise ServiceUnavailable(detail, retry_after=READY_TIMEOUT_RETRY) from None
        if not loaded:
            raise ServiceUnavailable("no data loaded yet", retry_after=READY_TIMEOUT_RETRY)

    async def _refuse_charged(
        self,
        limiter: RateLimiter | None,
        scope: Scope,
        send: Send,
        status: list[int],
        refusal: tuple[int, str, str],
    ) -> None:
        """A refusal costs a request like any other (a 429 once the budget is spent)."""
        decision = await self._charge(limiter, scope, 1, status, send)
        if decision is None or decision.allowed:
            status[0] = refusal[0]
            await self._refuse(scope, send, *refusal, decision)

    async def _refuse(
        self,
        scope: Scope,
        send: Send,
        status: int,
        code: str,
        detail: str,
        decision: Decision | None,
    ) -> None:
        body = problem_body(status, code, detail)
        extra = [(b"connection", b"close"), *(decision.headers() if decision else [])]
        await self._answer(scope, send, status, body, problem=True, extra=extra, cors=False)

    async def _answer(
        self,
        scope: Scope,
        send: Send,
        status: int,
        body: dict[str, Any],
        *,
        problem: bool = False,
        retry_after: int = 0,
        extra: list[Header] = [],  # noqa: B006 - never mutated
        cors: bool = True,
    ) -> None:
        """An answer made here (probes, refusals): JSON, never cached."""
        encoded = msgspec.json.encode(body)
        content_type = b"application/problem+json" if problem else b"application/json"
        headers = [
            (b"content-type", content_type),
            (b"content-length", str(len(encoded)).encode()),
            (b"cache-control", b"no-store"),
        ]
        if cors:
            headers.append((b"access-control-allow-origin", b"*"))
        if retry_after:
            headers.append((b"retry-after", str(retry_after).encode()))
        headers.extend(extra)
        headers = self.finish(headers)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        body_sent = b"" if scope["method"] == "HEAD" else encoded
        await send({"type": "http.response.body", "body": body_sent})
