"""Apollo automatic persisted queries: documents by their sha256, shared through Redis.

A client sends only the hash; on ``PersistedQueryNotFound`` it sends hash and document once,
and from then on every worker knows the hash. Redis is optional: when it is absent or down,
each worker keeps its own bounded LRU (which also spares Redis a round trip for hot hashes).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from collections import OrderedDict
from typing import Any, TypeGuard

from redis.exceptions import RedisError

log = logging.getLogger("eedraws.graphql")

REDIS_PREFIX = "eedraws:apq:"
REDIS_TTL_SECONDS = 30 * 24 * 3600
REDIS_TIMEOUT_SECONDS = 0.5
# After a Redis failure, skip it for this long rather than pay a timeout per request.
REDIS_RETRY_SECONDS = 5.0
LOCAL_ENTRIES = 2048

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


def is_sha256_hex(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and _SHA256_HEX.match(value) is not None


def sha256_hex(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


class PersistedQueries:
    def __init__(self, redis: Any, max_local: int = LOCAL_ENTRIES) -> None:
        self.redis = redis
        self.max_local = max_local
        self.local: OrderedDict[str, str] = OrderedDict()
        self._redis_retry_at = 0.0

    async def get(self, sha256: str) -> str | None:
        document = self.local.get(sha256)
        if document is not None:
            self.local.move_to_end(sha256)
            return document
        raw = await self._redis("get", REDIS_PREFIX + sha256)
        if raw is None:
            return None
        document = raw.decode() if isinstance(raw, bytes) else str(raw)
        self._remember(sha256, document)
        return document

    async def put(self, sha256: str, document: str) -> None:
        self._remember(sha256, document)
        await self._redis("set", REDIS_PREFIX + sha256, document, ex=REDIS_TTL_SECONDS)

    def _remember(self, sha256: str, document: str) -> None:
        self.local[sha256] = document
        self.local.move_to_end(sha256)
        while len(self.local) > self.max_local:
            self.local.popitem(last=False)

    async def _redis(self, command: str, *args: Any, **kwargs: Any) -> Any:
        if self.redis is None or time.monotonic() < self._redis_retry_at:
            return None
        try:
            async with asyncio.timeout(REDIS_TIMEOUT_SECONDS):
                return await getattr(self.redis, command)(*args, **kwargs)
        except (RedisError, OSError, TimeoutError) as exc:
            self._redis_retry_at = time.monotonic() + REDIS_RETRY_SECONDS
            log.warning(
                "persisted queries: Redis %s failed (%s); using this worker's", command, exc
            )
            return None
