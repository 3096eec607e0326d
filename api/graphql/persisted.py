"""Apollo automatic persisted queries: documents by their sha256, shared through Redis.

A client sends only the hash; on ``PersistedQueryNotFound`` it sends hash and document once,
and from then on every worker knows the hash. Redis is optional: when it is absent or down,
each worker keeps its own bounded LRU (which also spares Redis a round trip for hot hashes).

Registering is open, so it is bounded per client (``Registrations``): a document over
``EEDRAWS_APQ_MAX_BYTES`` is refused, and so is a client's registration past
``EEDRAWS_APQ_REGISTRATIONS`` (counted like the rate limit). A document already kept costs
nothing to send again. Refusals are errors, which are never cached: a flood of registrations
fills neither this store nor the response cache beyond one client's budget.
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

from api.graphql import errors
from api.ratelimit import ClientAddress, RateLimiter

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


class RegistrationRefused(Exception):
    """A document not kept: too large (400) or past the client's budget (429)."""

    def __init__(self, code: str, message: str, status: int, retry_after: int = 0) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.retry_after = retry_after


class Registrations:
    """How many documents each client may register per window, and how large each may be."""

    def __init__(
        self, limiter: RateLimiter | None, max_bytes: int, client_of: ClientAddress
    ) -> None:
        self.limiter = limiter
        self.max_bytes = max_bytes
        self.client_of = client_of

    async def admit(self, scope: Any, document: str) -> None:
        """Charge ``scope``'s client one registration of ``document``, or refuse it."""
        size = len(document.encode())
        if size > self.max_bytes:
            raise RegistrationRefused(
                errors.PERSISTED_QUERY_TOO_LARGE,
                f"a persisted query is at most {self.max_bytes} bytes, this one is {size}: "
                "send it without extensions.persistedQuery",
                400,
            )
        if self.limiter is None:
            return
        decision = await self.limiter.charge(self.client_of(scope))
        if not decision.allowed:
            raise RegistrationRefused(
                errors.PERSISTED_QUERY_RATE_LIMITED,
                f"this client registered {decision.limit} persisted queries in "
                f"{decision.window} s, this API's limit; retry in {decision.reset} s, or send "
                "the query without extensions.persistedQuery",
                429,
                retry_after=decision.reset,
            )
