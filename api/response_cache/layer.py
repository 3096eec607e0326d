"""The ASGI layer in front of the router: keys, validators, tiers, and sending an entry.

It sees requests and responses, never handlers: what it may keep is decided by the answer's
status and headers (a handler or controller says ``Cache-Control: no-store`` or ``private``),
and the POST routes whose body is part of the question (a read, like GraphQL's queries) are
declared by their routes with the ``CACHEABLE_POST`` opt and handed in by the app's wiring.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from litestar.routes import BaseRoute

from api.data_version import DataVersion
from api.response_cache.entries import CacheEntry, choose_encoding
from api.response_cache.tiers import LocalLRU, RedisTier

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
# Loose on purpose: Litestar's own ASGI types are narrower unions of TypedDicts.
ASGIApp = Callable[..., Awaitable[None]]

# A route handler's opt: its POST body is a question (a read), so the answer may be cached,
# keyed by the body. Routes without it are never cached on POST.
CACHEABLE_POST = "cacheable_post"
MAX_KEYED_BODY = 100 * 1024
MAX_CACHED_BODY = 8 * 1024 * 1024
# Longer query strings are not worth a key (and decoding a hostile one costs); the app judges.
MAX_QUERY_STRING = 8192
DEFAULT_CACHE_CONTROL = b"public, max-age=60, stale-while-revalidate=600"
# Headers the cache sets itself on every answer it serves.
_OWN_HEADERS = frozenset(
    {
        b"content-length",
        b"content-encoding",
        b"etag",
        b"last-modified",
        b"vary",
        b"date",
        b"server",
        b"access-control-allow-origin",
        b"access-control-allow-credentials",
        b"access-control-expose-headers",
    }
)
_VARY = b"Accept, Accept-Encoding"
_EXPOSE = b"ETag, Link, Last-Modified, Content-Disposition"


def cacheable_post_paths(routes: Iterable[BaseRoute]) -> frozenset[str]:
    """The paths whose POST handler declares ``CACHEABLE_POST`` in its opt."""
    return frozenset(
        route.path
        for route in routes
        for handler in getattr(route, "route_handlers", ())
        if "POST" in getattr(handler, "http_methods", ()) and handler.opt.get(CACHEABLE_POST)
    )


_ANY_ACCEPT = {b"": "", b"*/*": ""}


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return b""


class ResponseCache:
    """Whole-response cache keyed by (store, data_version, request); see the package docs."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        enabled: bool,
        local: LocalLRU,
        shared: RedisTier,
        version: DataVersion,
        query_defaults: dict[str, dict[str, str]],
        cacheable_posts: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.enabled = enabled
        self.local = local
        self.shared = shared
        self.version = version
        self.query_defaults = query_defaults
        self.cacheable_posts = cacheable_posts
        # Status and headers (no body) of the answers this worker made: what a 304 repeats,
        # also with the cache off.
        self.headers_seen = LocalLRU(local.max_entries)
        self._inflight: dict[str, asyncio.Future[CacheEntry | None]] = {}
        # Told of every lookup: (tier, hit). api.metrics counts them.
        self.on_lookup: Callable[[str, bool], None] = _ignore_lookup
        version.on_change.append(local.clear)
        version.on_change.append(self.headers_seen.clear)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.version.version < 0:
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if len(scope["query_string"]) > MAX_QUERY_STRING:
            await self.app(scope, receive, send)
            return
        if method in ("GET", "HEAD"):
            key = self._key(scope, b"")
        elif method == "POST" and scope["path"] in self.cacheable_posts:
            body, more = await _read_body(receive, MAX_KEYED_BODY)
            receive = _replay(body, more, receive)
            if more or b"json" not in _header(scope, b"content-type"):
                await self.app(scope, receive, send)
                return
            key = self._key(scope, body)
        else:
            await self.app(scope, receive, send)
            return
        encoding = choose_encoding(_header(scope, b"accept-encoding"))
        etag = self._etag(key, encoding)
        not_modified = self._not_modified(scope, key, etag)
        entry = self._stored_here(key) if not_modified else None
        if entry is None:
            entry = await self._answer(key, scope, receive, send)
        if entry is None:  # not cacheable: already answered as the app made it
            return
        if not_modified:
            await self._send_304(send, entry, etag)
        else:
            await self._send(send, entry, encoding, etag, head=method == "HEAD")

    def _stored_here(self, key: str) -> CacheEntry | None:
        """This worker's entry for ``key``, or at least its status and headers."""
        return self.local.get(key) or self.headers_seen.get(key)

    async def _answer(
        self, key: str, scope: Scope, receive: Receive, send: Send
    ) -> CacheEntry | None:
        if self.enabled:
            entry = await self._cached_or_computed(key, scope, receive, send)
        else:
            entry = await self._run_app(scope, receive, send)
        if entry is not None:
            self.headers_seen.put(key, CacheEntry(entry.status, entry.headers, b""))
        return entry

    def _key(self, scope: Scope, body: bytes) -> str:
        path: str = scope["path"]
        pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        defaults = self.query_defaults.get(path)
        if defaults:
            pairs = [(k, v) for k, v in pairs if defaults.get(k) != v]
        accept = _header(scope, b"accept")
        # One resource answers JSON, CSV or XLSX by Accept (api/rest/formats.py): an Accept
        # other than a browser's is part of the key, so a CSV is never served for JSON.
        # No Accept and `*/*` (curl, httpx) ask for the same thing: one key, one ETag.
        accept_class = (
            "html"
            if b"text/html" in accept
            else _ANY_ACCEPT.get(accept.strip(), accept.decode("latin-1").replace(" ", "")[:256])
        )
        # Some answers hold absolute URLs built from the request (the feeds' links): one
        # store served under two host names must not hand one host's links to the other.
        origin = (
            f"{scope.get('scheme', 'http')}://{_header(scope, b'host').decode('latin-1')[:256]}"
        )
        parts = [
            self.version.store_id,
            str(self.version.version),
            origin.lower(),
            path,
            urlencode(sorted(pairs)),
            accept_class,
        ]
        if body:
            parts.append(hashlib.sha256(body).hexdigest())
        return "|".join(parts)

    def _etag(self, key: str, encoding: str) -> bytes:
        digest = hashlib.blake2b(f"{key}|{encoding}".encode(), digest_size=12).hexdigest()
        return f'"{digest}"'.encode()

    def _not_modified(self, scope: Scope, key: str, etag: bytes) -> bool:
        """Whether the client's validators match this answer (RFC 9110 13.1.2 and 13.1.3).

        The ETag names the request and the data version, so it can be compared before any
        handler runs. ``If-None-Match`` uses weak comparison: ``W/"x"`` matches ``"x"``, and
        ``*`` matches any current representation (only a cacheable answer is then a 304).
        """
        inm = _header(scope, b"if-none-match")
        if inm:
            return any(
                tag == b"*" or tag.removeprefix(b"W/") == etag
                for tag in (t.strip() for t in inm.split(b","))
            )
        ims = _header(scope, b"if-modified-since")
        if not ims or self._stored_here(key) is None:
            return False
        try:
            since = parsedate_to_datetime(ims.decode("latin-1"))
        except (TypeError, ValueError):
            return False
        return since.tzinfo is not None and self.version.changed_at <= since

    async def _cached_or_computed(
        self, key: str, scope: Scope, receive: Receive, send: Send
    ) -> CacheEntry | None:
        """Local, then Redis, then the app, once per key however many requests wait."""
        entry = self.local.get(key)
        self.on_lookup("local", entry is not None)
        if entry is not None:
            return entry
        waiting = self._inflight.get(key)
        if waiting is not None:
            entry = await asyncio.shield(waiting)
            if entry is not None:
                return entry
            return await self._run_app(scope, receive, send)
        future: asyncio.Future[CacheEntry | None] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        entry = None
        try:
            entry = await self.shared.get(key)
            self.on_lookup("redis", entry is not None)
            if entry is None:
                entry = await self._run_app(scope, receive, send)
                if entry is not None:
                    await self.shared.put(key, entry)
            if entry is not None:
                self.local.put(key, entry)
        finally:
            del self._inflight[key]
            future.set_result(entry)
        return entry

    async def _run_app(self, scope: Scope, receive: Receive, send: Send) -> CacheEntry | None:
        start: Message | None = None
        chunks: list[bytes] = []
        complete = asyncio.Event()
        request_read = False
        inner_scope = dict(scope)
        if scope["method"] == "HEAD":
            inner_scope["method"] = "GET"

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    complete.set()

        async def inner_receive() -> Message:
            # Streaming responses wait for http.disconnect after their last chunk; the server
            # would only say so once the client has the response, which we are still holding.
            nonlocal request_read
            if not request_read:
                message = await receive()
                request_read = not message.get("more_body", False)
                return message
            await complete.wait()
            return {"type": "http.disconnect"}

        await self.app(inner_scope, inner_receive, capture)
        assert start is not None
        body = b"".join(chunks)
        headers = [(bytes(k).lower(), bytes(v)) for k, v in start.get("headers", [])]
        if _cacheable(start["status"], headers, body):
            return CacheEntry(
                status=start["status"],
                headers=[(k, v) for k, v in headers if k not in _OWN_HEADERS],
                body=body,
            )
        # Not ours to cache (an error, a no-store answer): pass it on as the app made it.
        await send(start)
        await send(
            {"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body}
        )
        return None

    async def _send(
        self, send: Send, entry: CacheEntry, encoding: str, etag: bytes, *, head: bool
    ) -> None:
        encoding = entry.encoding_for(encoding)
        body = entry.variant(encoding)
        headers = [
            *entry.headers,
            (b"content-length", str(len(body)).encode()),
            (b"etag", etag),
            (b"last-modified", self.version.last_modified),
            (b"vary", _VARY),
            (b"access-control-allow-origin", b"*"),
            (b"access-control-expose-headers", _EXPOSE),
        ]
        if encoding != "identity":
            headers.append((b"content-encoding", encoding.encode()))
        if entry.header(b"cache-control") is None:
            headers.append((b"cache-control", DEFAULT_CACHE_CONTROL))
        await send({"type": "http.response.start", "status": entry.status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else body})

    async def _send_304(self, send: Send, entry: CacheEntry, etag: bytes) -> None:
        # RFC 9110 15.4.5: the headers a 200 would carry that describe caching, ETag and Vary.
        headers = [
            (b"etag", etag),
            (b"last-modified", self.version.last_modified),
            (b"vary", _VARY),
            (b"cache-control", entry.header(b"cache-control") or DEFAULT_CACHE_CONTROL),
            (b"access-control-allow-origin", b"*"),
            (b"access-control-expose-headers", _EXPOSE),
        ]
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


def _cacheable(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> bool:
    """A 200 the app did not mark ``no-store`` or ``private``, sets no cookie, and fits."""
    if status != 200 or len(body) > MAX_CACHED_BODY:
        return False
    for key, value in headers:
        if key == b"set-cookie":
            return False
        if key == b"cache-control" and (b"no-store" in value or b"private" in value):
            return False
    return True


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, bool]:
    """Read up to ``limit`` bytes; the flag says the body goes on beyond what was read."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), False
        if size > limit:
            return b"".join(chunks), True


def _replay(body: bytes, more: bool, receive: Receive) -> Receive:
    """A receive that gives back what was already read, then the rest of the stream."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replay


def _ignore_lookup(tier: str, hit: bool) -> None:
    return None
