"""Per-client rate limiting, counted in Redis so every worker and replica shares one budget.

A fixed window aligned to the clock (``1000/minute``: the minute starting at :00), counted in
Redis by one Lua script (one round trip) in a hash per window that has no TTL: Redis shared
with cached answers evicts only keys with a TTL (``volatile-lru``), so cached answers and
persisted queries can never evict a count and reset a client's limit
(docs/decisions/0020-counters-redis-never-evicts.md). When Redis is unreachable, ``limits``'
in-process storage counts (per worker) until Redis answers again.
GraphQL is charged by the cost the GraphQL layer puts on the request's scope state under
``COST_STATE_KEY``: 1 + cost // ``GRAPHQL_COST_PER_REQUEST`` (an answer of up to 100 objects is
one request, as a REST page of that size is). The 1 is charged before the answer is made and the
rest once the cost is known; a cached answer keeps the cost of its first making and is charged
all of it up front (api/edge.py). See docs/operations.md.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import msgspec
import redis.asyncio as redis
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from redis.exceptions import RedisError

from api.db import failures
from api.redis_client import redis_client
from api.settings import SettingsError

log = logging.getLogger("eedraws.ratelimit")

COST_STATE_KEY = "eedraws.graphql_cost"  # set by api/graphql (cost.py) once it knows the cost
GRAPHQL_COST_PER_REQUEST = 100
REDIS_RETRY_SECONDS = 5.0
UNKNOWN_CLIENT = "unknown"  # a request with no peer address (a Unix socket)
# A window's counts: KEYS[1], a hash of client -> count, with no TTL. KEYS[2], the window
# before the last, is dropped here (a no-op once done), so two windows are ever kept.
_COUNT_SCRIPT = """
redis.call('UNLINK', KEYS[2])
return redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
"""


class Decision(msgspec.Struct, frozen=True):
    allowed: bool
    limit: int
    remaining: int
    reset: int  # seconds until the window ends
    window: int  # the window's length in seconds

    def headers(self) -> list[tuple[bytes, bytes]]:
        """IETF draft-ietf-httpapi-ratelimit-headers: the policy and what is left of it."""
        return [
            (b"ratelimit-policy", f'"default";q={self.limit};w={self.window}'.encode()),
            (b"ratelimit", f'"default";r={self.remaining};t={self.reset}'.encode()),
        ]


def parse_rate_limit(text: str, variable: str = "EEDRAWS_RATE_LIMIT") -> RateLimitItem | None:
    """``1000/minute``, ``50/second``, ``10 per 5 seconds``...; ``off`` (or empty) is None."""
    if text.strip().lower() in {"", "off", "0", "none"}:
        return None
    try:
        return parse(text)
    except ValueError:
        raise SettingsError(
            f"{variable}={text!r}: use e.g. 1000/minute, 20/second, or off"
        ) from None


class RateLimiter:
    """Counts per client and window, under ``eedraws:<name>:`` in Redis."""

    def __init__(self, item: RateLimitItem, redis_url: str = "", *, name: str = "rl") -> None:
        self.item = item
        self.window = item.get_expiry()
        self.prefix = f"eedraws:{name}:{self.window}:"
        self.redis_url = redis_url
        self._shared: redis.Redis | None = None
        self.local = MemoryStorage()
        self._shared_down_until = 0.0
        self._policy_checked = False

    async def charge(self, client: str, cost: int = 1) -> Decision:
        """Count ``cost`` against ``client``'s window and say whether it is within the limit."""
        now = time.time()
        window_index = int(now // self.window)
        used = await self._increment(client, window_index, cost)
        reset = max(1, math.ceil((window_index + 1) * self.window - now))
        return Decision(
            allowed=used <= self.item.amount,
            limit=self.item.amount,
            remaining=max(0, self.item.amount - used),
            reset=reset,
            window=self.window,
        )

    async def _increment(self, client: str, window_index: int, cost: int) -> int:
        if self.redis_url and time.monotonic() >= self._shared_down_until:
            try:
                return await self._count_in_redis(client, window_index, cost)
            except (RedisError, OSError) as exc:
                failures.report("Redis unreachable for rate limiting; counting per worker", exc)
                self._shared_down_until = time.monotonic() + REDIS_RETRY_SECONDS
        counted: int = await self.local.incr(f"{client}/{window_index}", self.window, amount=cost)
        return counted

    async def _count_in_redis(self, client: str, window_index: int, cost: int) -> int:
        if self._shared is None:
            self._shared = redis_client(self.redis_url)
        assert self._shared is not None
        if not self._policy_checked:
            self._policy_checked = True
            await _warn_if_counts_evictable(self._shared)
        keys = [f"{self.prefix}{window_index}", f"{self.prefix}{window_index - 2}"]
        used = await self._shared.eval(_COUNT_SCRIPT, 2, *keys, client, cost)
        return int(used)


async def _warn_if_counts_evictable(client: redis.Redis) -> None:
    """Say so when Redis may evict keys without a TTL: the counts would be among them."""
    try:
        policy = (await client.config_get("maxmemory-policy")).get("maxmemory-policy", "")
    except (RedisError, OSError):
        return  # managed services may refuse CONFIG; the docs say what to set
    if isinstance(policy, bytes):
        policy = policy.decode()
    if str(policy).startswith("allkeys"):
        log.warning(
            "Redis maxmemory-policy is %s: cached answers can evict rate-limit counts "
            "(a client's limit starts again); set volatile-lru (docs/operations.md)",
            policy,
        )


class ClientAddress:
    """Who a request is from: the peer address, or the ``X-Forwarded-For`` entry added by the
    outermost of ``trusted_hops`` proxies in front of us (0: trust no header)."""

    def __init__(self, trusted_hops: int = 0) -> None:
        self.trusted_hops = trusted_hops

    def __call__(self, scope: dict[str, Any] | Any) -> str:
        peer = scope.get("client") or (UNKNOWN_CLIENT, 0)
        address = str(peer[0])
        if self.trusted_hops <= 0:
            return address
        forwarded: list[str] = []
        for name, value in scope.get("headers", []):
            if bytes(name).lower() == b"x-forwarded-for":
                forwarded += [p.strip() for p in bytes(value).decode("latin-1").split(",")]
        forwarded = [hop for hop in forwarded if hop]
        if not forwarded:
            return address
        # Each trusted proxy appended the address it saw; the last `trusted_hops` entries are
        # theirs to vouch for, anything before them the client could have written itself.
        return forwarded[max(0, len(forwarded) - self.trusted_hops)]


def graphql_cost(state: dict[str, Any]) -> int:
    """The GraphQL cost the request's handling left on its scope state (0 if none)."""
    cost = state.get(COST_STATE_KEY)
    return cost if isinstance(cost, int) and cost > 0 else 0


def extra_charge(cost: int) -> int:
    """What an answer of GraphQL cost ``cost`` is charged beyond the 1 of any request."""
    return cost // GRAPHQL_COST_PER_REQUEST if cost > 0 else 0


class InFlight:
    """Requests each client has in progress in this worker, refused past ``limit``.

    Counted per worker, not across them: it bounds what one client can hold of a worker (a
    request whose body trickles in holds a connection slot and a task until the body timeout),
    which is the resource at stake; a shared count would cost a Redis round trip each way."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.counts: dict[str, int] = {}

    def enter(self, client: str) -> bool:
        """Count a request of ``client`` in, or say it is one too many (it is not counted)."""
        held = self.counts.get(client, 0)
        if held >= self.limit:
            return False
        self.counts[client] = held + 1
        return True

    def leave(self, client: str) -> None:
        held = self.counts[client] - 1
        if held:
            self.counts[client] = held
        else:
            del self.counts[client]
