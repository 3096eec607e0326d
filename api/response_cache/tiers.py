"""Where cached responses are kept: this worker's memory, then Redis shared by all workers."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import cast

import redis.asyncio as redis
from redis.exceptions import RedisError

from api.response_cache.entries import CacheEntry, decode_entry, encode_entry

log = logging.getLogger("eedraws.cache")

REDIS_PREFIX = "eedraws:resp:"
REDIS_TTL_SECONDS = 24 * 3600


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
        return None if raw is None else decode_entry(cast(bytes, raw))

    async def put(self, key: str, entry: CacheEntry) -> None:
        if not self.available:
            return
        assert self.client is not None
        try:
            await self.client.set(REDIS_PREFIX + key, encode_entry(entry), ex=REDIS_TTL_SECONDS)
        except (RedisError, OSError) as exc:
            self._failed(exc)
