"""The response cache as the edge layer (api/edge.py) uses it: keys, validators, tiers, capturing
an answer of the router, and the headers an entry is sent with.

It sees requests and responses, never handlers: what it may keep is decided by the answer's
status and headers (a handler or controller says ``Cache-Control: no-store`` or ``private``),
and the POST routes whose body is part of the question (a read, like GraphQL's queries) are
declared by their routes with the ``CACHEABLE_POST`` opt and handed in by the app's wiring.

It is no ASGI layer of its own: the edge makes one pass over each request and calls in here, so
a warm hit is a memoised key, a dict lookup and two ``send`` calls of prebuilt messages.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from litestar.routes import BaseRoute

from api.data_version import DataVersion
from api.public_origin import request_origin
from api.response_cache.entries import CacheEntry, Header, choose_encoding
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
EXPOSED = b"ETag, Link, Last-Modified, Content-Disposition"
# Requests told apart by these raw values are one key: (path, query, accept, origin (only where
# the answer holds absolute links), accept-encoding, body digest) -> (key, encoding, etag).
# Bounded; emptied per data version.
_MEMO_MAX = 8192
# Origins an answer holding absolute links is kept for, per worker and data version (with no
# EEDRAWS_PUBLIC_URL): loopback, localhost, a LAN name... Beyond them an answer is made per
# request and kept nowhere, so invented Hosts cannot multiply entries.
MAX_ORIGINS = 4


def cacheable_post_paths(routes: Iterable[BaseRoute]) -> frozenset[str]:
    """The paths whose POST handler declares ``CACHEABLE_POST`` in its opt."""
    return frozenset(
        route.path
        for route in routes
        for handler in getattr(route, "route_handlers", ())
        if "POST" in getattr(handler, "http_methods", ()) and handler.opt.get(CACHEABLE_POST)
    )


_ANY_ACCEPT = {b"": "", b"*/*": ""}


class Located:
    """Where a request's answer lives: its key, the coding to send and its ETag."""

    __slots__ = ("encoding", "etag", "kept", "key")

    def __init__(self, key: str, encoding: str, etag: bytes, kept: bool = True) -> None:
        self.key = key
        self.encoding = encoding
        self.etag = etag
        # False: made for this request only (an origin past MAX_ORIGINS), stored in no tier.
        self.kept = kept


class ResponseCache:
    """Whole-response cache keyed by (store, data_version, request); see the package docs."""

    def __init__(
        self,
        *,
        enabled: bool,
        local: LocalLRU,
        shared: RedisTier,
        version: DataVersion,
        query_defaults: dict[str, dict[str, str]],
        cacheable_posts: frozenset[str] = frozenset(),
        origin_paths: frozenset[str] = frozenset(),
    ) -> None:
        self.enabled = enabled
        self.local = local
        self.shared = shared
        self.version = version
        self.query_defaults = query_defaults
        self.cacheable_posts = cacheable_posts
        # Paths whose answers hold absolute links made from the request's origin: empty when
        # EEDRAWS_PUBLIC_URL gives them one origin (api/public_origin.py).
        self.origin_paths = origin_paths
        self._origins: set[str] = set()
        # Status and headers (no body) of the answers this worker made: what a 304 repeats,
        # also with the cache off.
        self.headers_seen = LocalLRU(local.max_entries)
        self._inflight: dict[str, asyncio.Future[CacheEntry | None]] = {}
        self._located: dict[tuple[Any, ...], Located] = {}
        # Told of every lookup: (tier, hit). api.metrics counts them.
        self.on_lookup: Callable[[str, bool], None] = _ignore_lookup
        version.on_change.append(local.clear)
        version.on_change.append(self.headers_seen.clear)
        version.on_change.append(self._located.clear)
        version.on_change.append(self._origins.clear)

    @property
    def ready(self) -> bool:
        """Whether the data version is known (before that nothing is keyed)."""
        return self.version.version >= 0

    def locate(self, scope: Scope, headers: Mapping[bytes, bytes], body: bytes = b"") -> Located:
        digest = hashlib.sha256(body).hexdigest() if body else ""
        path: str = scope["path"]
        origin = request_origin(scope, headers) if path in self.origin_paths else ""
        raw = (
            path,
            scope["query_string"],
            headers.get(b"accept", b""),
            origin,
            headers.get(b"accept-encoding", b""),
            digest,
        )
        located = self._located.get(raw)
        if located is None:
            key = self._key(scope, headers, digest, origin)
            # With the cache off nothing is compressed: each answer would be compressed anew.
            encoding = choose_encoding(raw[4]) if self.enabled else "identity"
            located = Located(key, encoding, _etag(key, encoding), self._keeps(origin))
            if not located.kept:
                return located
            if len(self._located) >= _MEMO_MAX:
                self._located.clear()
            self._located[raw] = located
        return located

    def _keeps(self, origin: str) -> bool:
        """Whether answers for ``origin`` may be kept: one of the first ``MAX_ORIGINS``."""
        if not origin or origin in self._origins:
            return True
        if len(self._origins) >= MAX_ORIGINS:
            return False
        self._origins.add(origin)
        return True

    def _key(self, scope: Scope, headers: Mapping[bytes, bytes], digest: str, origin: str) -> str:
        path: str = scope["path"]
        pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        defaults = self.query_defaults.get(path)
        if defaults:
            pairs = [(k, v) for k, v in pairs if defaults.get(k) != v]
        accept = headers.get(b"accept", b"")
        # One resource answers JSON, CSV or XLSX by Accept (api/rest/formats.py): an Accept
        # other than a browser's is part of the key, so a CSV is never served for JSON.
        # No Accept and `*/*` (curl, httpx) ask for the same thing: one key, one ETag.
        accept_class = (
            "html"
            if b"text/html" in accept
            else _ANY_ACCEPT.get(accept.strip(), accept.decode("latin-1").replace(" ", "")[:256])
        )
        # Answers holding absolute URLs built from the request's origin (the feeds', with no
        # EEDRAWS_PUBLIC_URL) are one per origin; every other answer is the same whatever the
        # Host, so an invented Host is no new entry.
        parts = [
            self.version.store_id,
            str(self.version.version),
            origin,
            path,
            urlencode(sorted(pairs)),
            accept_class,
        ]
        if digest:
            parts.append(digest)
        return "|".join(parts)

    def stored_here(self, key: str) -> CacheEntry | None:
        """This worker's entry for ``key``, or at least its status and headers."""
        return self.local.get(key) or self.headers_seen.get(key)

    def not_modified(self, headers: Mapping[bytes, bytes], located: Located) -> bool:
        """Whether the client's validators match this answer (RFC 9110 13.1.2 and 13.1.3).

        The ETag names the request and the data version, so it can be compared before any
        handler runs. ``If-None-Match`` uses weak comparison: ``W/"x"`` matches ``"x"``, and
        ``*`` matches any current representation (only a cacheable answer is then a 304).
        """
        inm = headers.get(b"if-none-match")
        if inm:
            return any(
                tag == b"*" or tag.removeprefix(b"W/") == located.etag
                for tag in (t.strip() for t in inm.split(b","))
            )
        ims = headers.get(b"if-modified-since")
        if not ims or self.stored_here(located.key) is None:
            return False
        try:
            since = parsedate_to_datetime(ims.decode("latin-1"))
        except (TypeError, ValueError):
            return False
        return since.tzinfo is not None and self.version.changed_at <= since

    def held(self, key: str) -> CacheEntry | None:
        """This worker's entry (tier 1), counted as a lookup; None with the cache off."""
        if not self.enabled:
            return None
        entry = self.local.get(key)
        self.on_lookup("local", entry is not None)
        return entry

    async def filled(
        self, located: Located, compute: Callable[[], Awaitable[CacheEntry | None]]
    ) -> CacheEntry | None:
        """After a miss in this worker: Redis, then ``compute`` (the app), once per key however
        many requests wait. With the cache off, ``compute`` and keep nothing but the headers;
        for an answer not ``kept``, ``compute`` and keep nothing at all."""
        if not located.kept:
            return await compute()
        key = located.key
        if not self.enabled:
            entry = await compute()
        else:
            entry = await self._shared_or_computed(key, compute)
        if entry is not None:
            seen = CacheEntry(entry.status, entry.headers, b"", cost=entry.cost)
            self.headers_seen.put(key, seen)
        return entry

    async def _shared_or_computed(
        self, key: str, compute: Callable[[], Awaitable[CacheEntry | None]]
    ) -> CacheEntry | None:
        waiting = self._inflight.get(key)
        if waiting is not None:
            entry = await asyncio.shield(waiting)
            if entry is not None:
                return entry
            return await compute()
        future: asyncio.Future[CacheEntry | None] = asyncio.get_running_loop().create_future()
        self._inflight[key] = future
        entry = None
        try:
            entry = await self.shared.get(key)
            self.on_lookup("redis", entry is not None)
            if entry is None:
                entry = await compute()
                if entry is not None:
                    await self.shared.put(key, entry)
            if entry is not None:
                self.local.put(key, entry)
        finally:
            del self._inflight[key]
            future.set_result(entry)
        return entry

    def headers_for(self, entry: CacheEntry, located: Located) -> tuple[list[Header], bytes]:
        """The headers (the cache's own: length, validators, Vary, CORS) and body that send
        ``entry`` in the coding ``located`` asks for."""
        encoding = entry.encoding_for(located.encoding)
        body = entry.variant(encoding)
        headers = [
            *entry.headers,
            (b"content-length", str(len(body)).encode()),
            (b"etag", located.etag),
            (b"last-modified", self.version.last_modified),
            (b"vary", _VARY),
            (b"access-control-allow-origin", b"*"),
            (b"access-control-expose-headers", EXPOSED),
        ]
        if encoding != "identity":
            headers.append((b"content-encoding", encoding.encode()))
        if entry.header(b"cache-control") is None:
            headers.append((b"cache-control", DEFAULT_CACHE_CONTROL))
        return headers, body

    def not_modified_headers(self, entry: CacheEntry, located: Located) -> list[Header]:
        # RFC 9110 15.4.5: the headers a 200 would carry that describe caching, ETag and Vary.
        return [
            (b"etag", located.etag),
            (b"last-modified", self.version.last_modified),
            (b"vary", _VARY),
            (b"cache-control", entry.header(b"cache-control") or DEFAULT_CACHE_CONTROL),
            (b"access-control-allow-origin", b"*"),
            (b"access-control-expose-headers", EXPOSED),
        ]


def _etag(key: str, encoding: str) -> bytes:
    digest = hashlib.blake2b(f"{key}|{encoding}".encode(), digest_size=12).hexdigest()
    return f'"{digest}"'.encode()


async def captured(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> CacheEntry | None:
    """Run ``app`` and keep its answer when it may be cached; otherwise pass the answer on to
    ``send`` as the app made it and return None."""
    start: Message | None = None
    chunks: list[bytes] = []
    complete = asyncio.Event()
    request_read = False

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

    await app(scope, inner_receive, capture)
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
    await send({"type": "http.response.body", "body": body})
    return None


def _cacheable(status: int, headers: list[Header], body: bytes) -> bool:
    """A 200 the app did not mark ``no-store`` or ``private``, sets no cookie, and fits."""
    if status != 200 or len(body) > MAX_CACHED_BODY:
        return False
    for key, value in headers:
        if key == b"set-cookie":
            return False
        if key == b"cache-control" and (b"no-store" in value or b"private" in value):
            return False
    return True


async def read_body(receive: Receive, limit: int, length: int | None = None) -> tuple[bytes, bool]:
    """Read up to ``limit`` bytes; the flag says the body goes on beyond what was read.

    ``length`` is the request's ``Content-Length``: once that much has come, the body is whole
    and the server is not asked for its closing empty message. (granian sends a body as its
    chunk, then an empty ``more_body=False`` message; each ``receive`` is a round trip to its
    Rust runtime, which cost a POST about as much as the rest of a cache hit.)
    """
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False) or size == length:
            return b"".join(chunks), False
        if size > limit:
            return b"".join(chunks), True


def content_length(headers: Mapping[bytes, bytes]) -> int | None:
    """The request's ``Content-Length`` (None when absent or not a number: chunked, say)."""
    raw = headers.get(b"content-length")
    return int(raw) if raw is not None and raw.isdigit() else None


def replay(body: bytes, more: bool, receive: Receive) -> Receive:
    """A receive that gives back what was already read, then the rest of the stream."""
    sent = False

    async def replaying() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replaying


def _ignore_lookup(tier: str, hit: bool) -> None:
    return None
