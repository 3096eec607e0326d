"""The outermost ASGI layer, in front of the response cache: what every answer passes through.

- ``/healthz`` (the process is up; no I/O) and ``/readyz`` (PostgreSQL answers and data is
  loaded), answered here: never cached, never rate-limited;
- the per-client rate limit (api/ratelimit.py): in front of the cache, so cached answers count;
- security headers on every answer, cached ones included (docs/operations.md).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import msgspec

from api.db import query
from api.errors import ServiceUnavailable
from api.ratelimit import ClientAddress, Decision, RateLimiter, graphql_charge
from api.reads import Db
from api.rest.errors import problem_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Probes and the metrics scraper are never limited (nor are they answered from the cache).
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
READY_TIMEOUT_RETRY = 5

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


def _html_headers() -> tuple[tuple[bytes, bytes], ...]:
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
        limiter: RateLimiter | None = None,
        client_of: ClientAddress | None = None,
    ) -> None:
        self.app = app
        self.db = db
        self.limiter = limiter
        self.client_of = client_of or ClientAddress()
        self._html = _html_headers()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = self._with_headers(send)
        path = scope["path"]
        if path == "/healthz":
            await _answer(send, 200, {"status": "ok"})
        elif path == "/readyz":
            await self._ready(send)
        elif self.limiter is None or path in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
        else:
            await self._limited(self.limiter, scope, receive, send)

    async def _limited(
        self, limiter: RateLimiter, scope: Scope, receive: Receive, send: Send
    ) -> None:
        client = self.client_of(scope)
        decision = await limiter.charge(client)
        if not decision.allowed:
            await _too_many(send, decision)
            return
        # Shared with the layers below (the cache copies the scope, not its state): GraphQL
        # leaves the operation's cost there.
        state = scope.setdefault("state", {})
        await self.app(scope, receive, _with_extra_headers(send, decision.headers()))
        extra = graphql_charge(state)
        if extra:
            await limiter.charge(client, extra)

    def _with_headers(self, send: Send) -> Send:
        html = self._html

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {bytes(k).lower() for k, _ in headers}
                content_type = next(
                    (bytes(v) for k, v in headers if bytes(k).lower() == b"content-type"), b""
                )
                extra = _EVERY_ANSWER + (html if content_type.startswith(b"text/html") else ())
                headers.extend((k, v) for k, v in extra if k not in present)
                if b"access-control-allow-origin" in present:
                    headers = _exposing(headers)
                message = {**message, "headers": headers}
            await send(message)

        return send_with_headers

    async def _ready(self, send: Send) -> None:
        db = self.db()
        try:
            if db is None:
                raise ServiceUnavailable("starting up", retry_after=READY_TIMEOUT_RETRY)
            if not await db.fetchval(query("ready")):
                raise ServiceUnavailable("no data loaded yet", retry_after=READY_TIMEOUT_RETRY)
        except ServiceUnavailable as exc:
            body = problem_body(503, exc.code, exc.detail)
            await _answer(send, 503, body, problem=True, retry_after=exc.retry_after)
            return
        await _answer(send, 200, {"status": "ready"})


# What a browser's script may read of a cross-origin answer, beyond the CORS-safelisted headers.
_OUR_EXPOSED = b"RateLimit, RateLimit-Policy, Retry-After"


def _exposing(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Add our headers to ``Access-Control-Expose-Headers`` (the cache and CORS set the rest)."""
    for i, (name, value) in enumerate(headers):
        if bytes(name).lower() == b"access-control-expose-headers":
            headers[i] = (name, bytes(value) + b", " + _OUR_EXPOSED)
            return headers
    headers.append((b"access-control-expose-headers", _OUR_EXPOSED))
    return headers


def _with_extra_headers(send: Send, extra: list[tuple[bytes, bytes]]) -> Send:
    async def send_with(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return send_with


async def _too_many(send: Send, decision: Decision) -> None:
    detail = (
        f"over {decision.limit} requests per {decision.window} s from this client; "
        f"retry in {decision.reset} s"
    )
    body = problem_body(429, "rate_limited", detail)
    await _answer(
        send, 429, body, problem=True, retry_after=decision.reset, extra=decision.headers()
    )


async def _answer(
    send: Send,
    status: int,
    body: dict[str, Any],
    *,
    problem: bool = False,
    retry_after: int = 0,
    extra: list[tuple[bytes, bytes]] = [],  # noqa: B006 - never mutated
) -> None:
    encoded = msgspec.json.encode(body)
    content_type = b"application/problem+json" if problem else b"application/json"
    headers = [
        (b"content-type", content_type),
        (b"content-length", str(len(encoded)).encode()),
        (b"cache-control", b"no-store"),
        (b"access-control-allow-origin", b"*"),
    ]
    if retry_after:
        headers.append((b"retry-after", str(retry_after).encode()))
    headers.extend(extra)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": encoded})
