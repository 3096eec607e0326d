"""HTTP method and size semantics every answer keeps; the edge layer (api/edge.py) applies them.

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

from collections.abc import MutableMapping
from itertools import chain
from typing import Any

Scope = MutableMapping[str, Any]
Header = tuple[bytes, bytes]

# A REST URL never needs more (the longest legitimate query, every category slug twice, is
# under 2 KB); GraphQL GETs carry whole documents and have their own limit (a coded 400).
MAX_REST_URI = 16 * 1024
MAX_HEADER = 16 * 1024
MAX_HEADERS_TOTAL = 32 * 1024
UNLIMITED_URI_PATHS = ("/graphql",)


def too_large(scope: Scope) -> tuple[int, str, str] | None:
    """A 414 or 431 (status, code, detail) for a request over the limits, else None."""
    path = scope["path"]
    query_string: bytes = scope["query_string"]
    raw_path: bytes = scope.get("raw_path") or path.encode()
    if len(raw_path) + 1 + len(query_string) > MAX_REST_URI:  # at most: raw_path may hold it
        # Some clients' ASGI transports (httpx's) put the query in raw_path too.
        uri = len(raw_path.split(b"?", 1)[0]) + 1 + len(query_string)
        if uri > MAX_REST_URI and not path.startswith(UNLIMITED_URI_PATHS):
            detail = f"the path and query are {uri} bytes; at most {MAX_REST_URI}"
            return 414, "uri_too_long", detail
    headers: list[Header] = scope["headers"]
    # Counted in C (the names and values joined): per-header sizes matter only past this.
    total = len(b"".join(chain.from_iterable(headers))) + 4 * len(headers)
    if total <= MAX_HEADER:
        return None
    for name, value in headers:
        size = len(name) + len(value)
        if size > MAX_HEADER:
            header = bytes(name).decode("latin-1")[:40]
            detail = f"header {header!r} is {size} bytes; at most {MAX_HEADER}"
            return 431, "headers_too_large", detail
    if total > MAX_HEADERS_TOTAL:
        return 431, "headers_too_large", f"headers are {total} bytes; at most {MAX_HEADERS_TOTAL}"
    return None


def with_head_in_allow(value: bytes) -> bytes:
    """``GET, OPTIONS`` as ``GET, HEAD, OPTIONS``."""
    methods = [m.strip() for m in value.decode("latin-1").split(",") if m.strip()]
    if "GET" in methods and "HEAD" not in methods:
        methods.insert(methods.index("GET") + 1, "HEAD")
        return ", ".join(methods).encode("latin-1")
    return value
