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
- A request whose target no route can read is a 400 before any routing, cache lookup or other
  work (``unreadable``): two ``Host`` header lines or one that is not ``host[:port]`` (RFC 9112
  3.2), a path with a control character (a NUL), broken percent-encoding or UTF-8, a ``..``
  segment or a segment longer than a file name may be. Every route, static files included, is
  behind this one check, so none has to guard its own path.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from itertools import chain
from typing import Any
from urllib.parse import unquote_to_bytes

Scope = MutableMapping[str, Any]
Header = tuple[bytes, bytes]

# A REST URL never needs more (the longest legitimate query, every category slug twice, is
# under 2 KB); GraphQL GETs carry whole documents and have their own limit (a coded 400).
MAX_REST_URI = 16 * 1024
MAX_HEADER = 16 * 1024
MAX_HEADERS_TOTAL = 32 * 1024
UNLIMITED_URI_PATHS = ("/graphql",)
# No route has a path near this long; the filesystem's own limits (NAME_MAX 255, PATH_MAX 4096)
# would otherwise be a static file route's OSError.
MAX_PATH = 2048
MAX_SEGMENT = 255
# host[:port]: a name or IPv4 address (letters, digits, '-', '_', '.'), or an IPv6 literal in
# brackets; a port of 1-5 digits. Bounded, so a hostile value costs nothing to refuse.
_HOST = re.compile(
    rb"(?:[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}|\[[0-9A-Fa-f:.]{2,45}\])(?::([0-9]{1,5}))?"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


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


def unreadable(scope: Scope) -> tuple[int, str, str] | None:
    """A 400 or 414 (status, code, detail) for a request no route can read, else None."""
    refusal = _bad_host(scope["headers"], scope.get("http_version", "1.1"))
    if refusal is not None:
        return 400, "bad_request", refusal
    return _bad_path(scope)


def _bad_host(headers: list[Header], http_version: str) -> str | None:
    host = None
    for name, value in headers:
        if name == b"host":
            if host is not None:
                # RFC 9112 3.2: which one names the resource is anyone's guess, so neither does.
                return "the request has more than one `Host` header"
            host = value
    if not host:
        # granian gives an absent Host as an empty one; HTTP/1.0 (granian says "1") may leave
        # it out.
        if http_version in ("1", "1.0"):
            return None
        return "the request has no `Host` (HTTP/1.1 needs one)"
    match = _HOST.fullmatch(host)
    if match is None or (match[1] is not None and int(match[1]) > 65535):
        return f"`Host: {bytes(host[:80]).decode('latin-1')}` is not a host[:port]"
    return None


def _bad_path(scope: Scope) -> tuple[int, str, str] | None:
    path: str = scope["path"]
    raw: bytes = scope.get("raw_path") or path.encode()
    if b"?" in raw:  # some clients' ASGI transports (httpx's) put the query in raw_path
        raw = raw.split(b"?", 1)[0]
    if not path.startswith("/") and path != "*":
        return 400, "bad_request", "the path does not start with `/`"
    if len(raw) > MAX_PATH:
        return 414, "uri_too_long", f"the path is {len(raw)} bytes; at most {MAX_PATH}"
    if (b"%" in raw or not raw.isascii()) and (reason := _bad_encoding(raw)):
        return 400, "bad_request", f"the path {reason}"
    if _CONTROL.search(path):
        what = "a NUL byte" if "\x00" in path else "a control character"
        return 400, "bad_request", f"the path holds {what}"
    if ".." in path and ".." in path.split("/"):
        return 400, "bad_request", "the path has a `..` segment; no resource is named that way"
    if len(path) > MAX_SEGMENT:
        longest = max(len(segment.encode()) for segment in path.split("/"))
        if longest > MAX_SEGMENT:
            return (
                400,
                "bad_request",
                (f"a segment of the path is {longest} bytes; at most {MAX_SEGMENT}"),
            )
    return None


def _bad_encoding(raw: bytes) -> str | None:
    if _BAD_ESCAPE.search(raw):
        return "has a `%` that is not followed by two hex digits"
    try:
        unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return "is not UTF-8 once its percent-escapes are decoded"
    return None


def with_head_in_allow(value: bytes) -> bytes:
    """``GET, OPTIONS`` as ``GET, HEAD, OPTIONS``."""
    methods = [m.strip() for m in value.decode("latin-1").split(",") if m.strip()]
    if "GET" in methods and "HEAD" not in methods:
        methods.insert(methods.index("GET") + 1, "HEAD")
        return ", ".join(methods).encode("latin-1")
    return value
