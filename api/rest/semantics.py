"""HTTP method and size semantics every answer keeps, as one ASGI layer in front of the cache.

- ``HEAD`` works wherever ``GET`` does: the request goes on as a ``GET`` and the body is
  dropped, so headers (``ETag``, ``Content-Length``...) are the ``GET``'s. Litestar's router
  knows only the methods a handler declares, and the response cache answers ``HEAD`` only for
  what it caches.
- ``Allow`` (on a 405 and on ``OPTIONS``) names ``HEAD`` beside ``GET``.
- Over-long request lines and headers are refused with a problem+json 414 / 431 before any
  work. granian itself answers an empty 414 for a request line over 64 KB and an empty 431 for
  more than 100 headers, before the app sees them (docs/errors.md); these limits sit below that,
  so most over-long requests get the API's own answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import msgspec

from api.rest.errors import problem_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# A REST URL never needs more (the longest legitimate query, every category slug twice, is
# under 2 KB); GraphQL GETs carry whole documents and have their own limit (a coded 400).
MAX_REST_URI = 16 * 1024
MAX_HEADER = 16 * 1024
MAX_HEADERS_TOTAL = 32 * 1024
UNLIMITED_URI_PATHS = ("/graphql",)


def _too_large(scope: Scope) -> tuple[int, str, str] | None:
    path = scope["path"]
    # Some clients' ASGI transports (httpx's) put the query in raw_path too.
    raw_path = (scope.get("raw_path") or path.encode()).split(b"?", 1)[0]
    uri = len(raw_path) + 1 + len(scope["query_string"])
    if uri > MAX_REST_URI and not path.startswith(UNLIMITED_URI_PATHS):
        return 414, "uri_too_long", f"the path and query are {uri} bytes; at most {MAX_REST_URI}"
    total = 0
    for name, value in scope["headers"]:
        size = len(name) + len(value)
        if size > MAX_HEADER:
            header = name.decode("latin-1")[:40]
            return (
                431,
                "headers_too_large",
                f"header {header!r} is {size} bytes; at most {MAX_HEADER}",
            )
        total += size + 4
    if total > MAX_HEADERS_TOTAL:
        return 431, "headers_too_large", f"headers are {total} bytes; at most {MAX_HEADERS_TOTAL}"
    return None


async def _refuse(send: Send, status: int, code: str, detail: str, head: bool) -> None:
    body = msgspec.json.encode(problem_body(status, code, detail))
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b"" if head else body})


def _with_head_in_allow(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    fixed = []
    for name, value in headers:
        if name.lower() == b"allow":
            methods = [m.strip() for m in value.decode("latin-1").split(",") if m.strip()]
            if "GET" in methods and "HEAD" not in methods:
                methods.insert(methods.index("GET") + 1, "HEAD")
                value = ", ".join(methods).encode("latin-1")
        fixed.append((name, value))
    return fixed


class HttpSemantics:
    """See the module docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        refusal = _too_large(scope)
        if refusal is not None:
            await _refuse(send, *refusal, head=head)
            return
        if head:
            scope = {**scope, "method": "GET"}

        async def send_kept(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": _with_head_in_allow(list(message["headers"]))}
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, send_kept)
