"""Whole-response cache and HTTP validators, keyed by data_version.

Between ingests every answer is a pure function of (data_version, request), so an encoded
response can be served again until the version changes. This module sits in front of Litestar's
router (see ``install``) so a hit costs a dict lookup and one ``send``:

- tier 1: an in-process LRU of encoded responses (compressed variants made once, on demand);
- tier 2: Redis, shared by workers and replicas, so a cold worker fills from it;
- misses for one key are computed once per worker, however many requests wait (no stampede);
- strong ETags derive from (data_version, request, encoding), not from the body, so a
  revalidation is answered 304 before any handler or query runs, with the cache on or off.

Redis is optional at every step: when it is down, requests are answered from PostgreSQL.
See docs/decisions/0002-response-cache.md for why this is not Litestar's response cache.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode

import asyncpg
import msgspec
import redis.asyncio as redis
from redis.exceptions import RedisError

from api.db import failures, query

try:
    import brotli
except ImportError:  # pragma: no cover - brotli is a declared dependency
    brotli = None

log = logging.getLogger("eedraws.cache")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

VERSION_CHANNEL = "eedraws:data_version"
REDIS_PREFIX = "eedraws:resp:"
REDIS_TTL_SECONDS = 24 * 3600
COMPRESS_MIN_BYTES = 1024
MAX_CACHED_BODY = 8 * 1024 * 1024
MAX_GRAPHQL_BODY = 100 * 1024
DEFAULT_CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=600"
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
# Longer query strings are not worth a key (and decoding a hostile one costs); the app judges.
MAX_QUERY_STRING = 8192
# Already compressed: gzip or brotli would cost CPU and save nothing.
_COMPRESSED_TYPES = (b"application/vnd.openxmlformats", b"application/zip", b"image/png")


class CacheEntry(msgspec.Struct):
    """An encoded 200 response; compressed variants are filled in on first demand."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    gzip: bytes | None = None
    br: bytes | None = None

    @property
    def precompressed(self) -> bool:
        content_type = next((v for k, v in self.headers if k == b"content-type"), b"")
        return content_type.startswith(_COMPRESSED_TYPES)

    def variant(self, encoding: str) -> bytes:
        if encoding == "br":
            if self.br is None:
                assert brotli is not None
                self.br = brotli.compress(self.body, quality=6)
            return self.br
        if encoding == "gzip":
            if self.gzip is None:
                self.gzip = gzip.compress(self.body, compresslevel=6, mtime=0)
            return self.gzip
        return self.body


_entry_encoder = msgspec.msgpack.Encoder()
_entry_decoder = msgspec.msgpack.Decoder(CacheEntry)


class LocalLRU:
    """Bounded by entry count and by total body bytes."""

    def __init__(self, max_entries: int, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._data: OrderedDict[str, CacheEntry] = OrderedDict()
        self._bytes = 0

    def get(self, key: str) -> CacheEntry | None:
        entry = self._data.get(key)
        if entry is not None:
            self._data.move_to_end(key)
        return entry

    def put(self, key: str, entry: CacheEntry) -> None:
        old = self._data.pop(key, None)
        if old is not None:
            self._bytes -= len(old.body)
        self._data[key] = entry
        self._bytes += len(entry.body)
        while self._data and (len(self._data) > self.max_entries or self._bytes > self.max_bytes):
            _, evicted = self._data.popitem(last=False)
            self._bytes -= len(evicted.body)

    def clear(self) -> None:
        self._data.clear()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._data)


class RedisTier:
    """Redis as a shared cache that may vanish: failures open a short circuit, never raise."""

    RETRY_AFTER = 2.0

    def __init__(self, client: redis.Redis | None) -> None:
        self.client = client
        self._down_until = 0.0

    @property
    def available(self) -> bool:
        return self.client is not None and time.monotonic() >= self._down_until

    def _failed(self, exc: Exception) -> None:
        if time.monotonic() >= self._down_until:
            log.warning("Redis unavailable, serving without it for now: %r", exc)
        self._down_until = time.monotonic() + self.RETRY_AFTER

    async def get(self, key: str) -> CacheEntry | None:
        if not self.available:
            return None
        assert self.client is not None
        try:
            raw = await self.client.get(REDIS_PREFIX + key)
        except (RedisError, OSError) as exc:
            self._failed(exc)
            return None
        if raw is None:
            return None
        try:
            return _entry_decoder.decode(cast(bytes, raw))
        except msgspec.DecodeError:
            return None

    async def put(self, key: str, entry: CacheEntry) -> None:
        if not self.available:
            return
        assert self.client is not None
        plain = CacheEntry(entry.status, entry.headers, entry.body)
        try:
            await self.client.set(
                REDIS_PREFIX + key, _entry_encoder.encode(plain), ex=REDIS_TTL_SECONDS
            )
        except (RedisError, OSError) as exc:
            self._failed(exc)


class DataVersion:
    """This worker's view of data_version, kept current by Redis pub/sub and PostgreSQL."""

    POLL_WHEN_REDIS_UP = 10.0
    POLL_WHEN_REDIS_DOWN = 1.0

    def __init__(self) -> None:
        self.store_id = ""
        self.version = -1
        self.changed_at = datetime.fromtimestamp(0, UTC)
        self.last_modified = b""
        self.on_change: list[Callable[[], None]] = []
        # Set while this worker is subscribed to the version channel.
        self.subscribed = asyncio.Event()

    def set(self, version: int, changed_at: datetime, store_id: str = "") -> None:
        if (version, store_id) == (self.version, self.store_id):
            return
        self.version = version
        self.store_id = store_id
        self.changed_at = changed_at.replace(microsecond=0)
        self.last_modified = format_datetime(self.changed_at, usegmt=True).encode()
        for callback in self.on_change:
            callback()

    async def refresh_from(self, pool: asyncpg.Pool) -> None:
        row = await pool.fetchrow(query("data_version_and_time"))
        self.set(row["data_version"], row["changed_at"], row["store_id"])

    @contextlib.asynccontextmanager
    async def kept_current(
        self, pool: asyncpg.Pool, client: redis.Redis | None
    ) -> AsyncIterator[None]:
        await self.refresh_from(pool)
        self.subscribed = asyncio.Event()
        tasks = [asyncio.create_task(self._poll(pool), name="eedraws-version-poll")]
        if client is not None:
            tasks.append(asyncio.create_task(self._listen(pool, client), name="eedraws-pubsub"))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _poll(self, pool: asyncpg.Pool) -> None:
        # The safety net: pub/sub is instant but can miss a message while Redis restarts.
        while True:
            up = self.subscribed.is_set()
            await asyncio.sleep(self.POLL_WHEN_REDIS_UP if up else self.POLL_WHEN_REDIS_DOWN)
            try:
                await self.refresh_from(pool)
            except (OSError, asyncpg.PostgresError) as exc:
                # Every second while PostgreSQL is away: one line per 10 s, not one per check.
                failures.report("data_version check failed", exc)

    async def _listen(self, pool: asyncpg.Pool, client: redis.Redis) -> None:
        while True:
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(VERSION_CHANNEL)
                    self.subscribed.set()
                    # A version may have changed while we were not subscribed.
                    await self.refresh_from(pool)
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            await self.refresh_from(pool)
            except (RedisError, OSError) as exc:
                if self.subscribed.is_set():
                    log.warning("lost the data_version channel; checking PostgreSQL: %r", exc)
                self.subscribed.clear()
            except asyncpg.PostgresError as exc:
                failures.report("data_version refresh failed", exc)
            await asyncio.sleep(1.0)


def redis_client(url: str) -> redis.Redis | None:
    if not url:
        return None
    # Short timeouts: a Redis that hangs must cost a request milliseconds, not seconds.
    return redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)


async def announce_data_version(client: redis.Redis | None, version: int) -> None:
    """Tell every worker a new version exists. Best effort: they poll PostgreSQL anyway."""
    if client is None:
        return
    try:
        await client.publish(VERSION_CHANNEL, str(version))
    except (RedisError, OSError) as exc:
        log.warning("could not announce data_version %d over Redis: %r", version, exc)


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return b""


def choose_encoding(accept_encoding: bytes) -> str:
    """br, then gzip, then identity; a coding refused with q=0 is not used."""
    offered: dict[str, float] = {}
    for part in accept_encoding.decode("latin-1").lower().split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        offered[name.strip()] = q
    star = offered.get("*", 0.0)
    for coding in ("br", "gzip"):
        if coding == "br" and brotli is None:
            continue
        if offered.get(coding, star) > 0:
            return coding
    return "identity"


class ResponseCache:
    """ASGI layer in front of the router. See the module docstring."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        enabled: bool,
        local: LocalLRU,
        shared: RedisTier,
        version: DataVersion,
        query_defaults: dict[str, dict[str, str]],
    ) -> None:
        self.app = app
        self.enabled = enabled
        self.local = local
        self.shared = shared
        self.version = version
        self.query_defaults = query_defaults
        self._inflight: dict[str, asyncio.Future[CacheEntry | None]] = {}
        version.on_change.append(local.clear)

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
        elif method == "POST" and scope["path"] == "/graphql":
            body, more = await _read_body(receive, MAX_GRAPHQL_BODY)
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
        if self._not_modified(scope, key, etag):
            await self._send_304(send, etag)
            return
        if self.enabled:
            entry = await self._cached_or_computed(key, scope, receive, send)
        else:
            entry = await self._run_app(scope, receive, send)
        if entry is not None:  # None: not cacheable, already answered as the app made it
            await self._send(send, entry, encoding, etag, head=method == "HEAD")

    def _key(self, scope: Scope, body: bytes) -> str:
        path: str = scope["path"]
        pairs = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        defaults = self.query_defaults.get(path)
        if defaults:
            pairs = [(k, v) for k, v in pairs if defaults.get(k) != v]
        accept = _header(scope, b"accept")
        # One resource answers JSON, CSV or XLSX by Accept (api/rest/formats.py): an Accept
        # other than a browser's is part of the key, so a CSV is never served for JSON.
        accept_class = (
            "html" if b"text/html" in accept else accept.decode("latin-1").replace(" ", "")[:256]
        )
        parts = [
            self.version.store_id,
            str(self.version.version),
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
        # The ETag names the request and the data version, so a match is safe to answer even
        # before we know whether the answer is cacheable: only cacheable answers carry one.
        inm = _header(scope, b"if-none-match")
        if inm:
            return etag in (t.strip() for t in inm.split(b","))
        ims = _header(scope, b"if-modified-since")
        if not ims or self.local.get(key) is None:
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
        if len(entry.body) < COMPRESS_MIN_BYTES or entry.precompressed:
            encoding = "identity"
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
        if not any(k == b"cache-control" for k, _ in entry.headers):
            headers.append((b"cache-control", DEFAULT_CACHE_CONTROL.encode()))
        await send({"type": "http.response.start", "status": entry.status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else body})

    async def _send_304(self, send: Send, etag: bytes) -> None:
        headers = [
            (b"etag", etag),
            (b"last-modified", self.version.last_modified),
            (b"vary", _VARY),
            (b"access-control-allow-origin", b"*"),
        ]
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})


def _cacheable(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> bool:
    if status != 200 or len(body) > MAX_CACHED_BODY:
        return False
    for key, value in headers:
        if key == b"set-cookie":
            return False
        if key == b"cache-control" and (b"no-store" in value or b"private" in value):
            return False
        if key == b"content-type" and b"json" in value and body.startswith(b'{"errors"'):
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
