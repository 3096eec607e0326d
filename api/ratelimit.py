"""Per-client rate limiting, counted in Redis so every worker and replica shares one budget.

A fixed window aligned to the clock (``1000/minute``: the minute starting at :00), counted with
``limits``' atomic Redis increment (one round trip, a Lua script); when Redis is unreachable,
with the same library's in-process storage (a per-worker count) until Redis answers again.
GraphQL is charged by the cost the GraphQL layer puts on the request's scope state under
``COST_STATE_KEY``: 1 + cost // ``GRAPHQL_COST_PER_REQUEST`` (an answer of up to 100 objects is
one request, as a REST page of that size is). The 1 is charged before the answer is made and the
rest once the cost is known; a cached answer keeps the cost of its first making and is charged
all of it up front (api/edge.py). See docs/operations.md.
"""

from __future__ import annotations

import math
import time
from typing import Any

import msgspec
from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.errors import StorageError

from api.db import failures
from api.settings import SettingsError

COST_STATE_KEY = "eedraws.graphql_cost"  # set by api/graphql (cost.py) once it knows the cost
GRAPHQL_COST_PER_REQUEST = 100
REDIS_RETRY_SECONDS = 5.0
REDIS_TIMEOUT = 0.25
UNKNOWN_CLIENT = "unknown"  # a request with no peer address (a Unix socket)


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


def parse_rate_limit(text: str) -> RateLimitItem | None:
    """``1000/minute``, ``50/second``, ``10 per 5 seconds``...; ``off`` (or empty) is None."""
    if text.strip().lower() in {"", "off", "0", "none"}:
        return None
    try:
        return parse(text)
    except ValueError:
        raise SettingsError(
            f"EEDRAWS_RATE_LIMIT={text!r}: use e.g. 1000/minute, 20/second, or off"
        ) from None


def _limits_uri(redis_url: str) -> str:
    if redis_url.startswith("unix://"):
        return "async+redis+" + redis_url
    return "async+" + redis_url


class RateLimiter:
    def __init__(self, item: RateLimitItem, redis_url: str = "") -> None:
        self.item = item
        self.window = item.get_expiry()
        self.shared: Storage | None = None
        if redis_url:
            self.shared = RedisStorage(
                _limits_uri(redis_url),
                implementation="redispy",
                wrap_exceptions=True,
                key_prefix="eedraws:rl",
                socket_timeout=REDIS_TIMEOUT,
                socket_connect_timeout=REDIS_TIMEOUT,
            )
        self.local = MemoryStorage()
        self._shared_down_until = 0.0

    async def charge(self, client: str, cost: int = 1) -> Decision:
        """Count ``cost`` against ``client``'s window and say whether it is within the limit."""
        now = time.time()
        window_index = int(now // self.window)
        key = f"{client}/{window_index}"
        used = await self._increment(key, cost)
        reset = max(1, math.ceil((window_index + 1) * self.window - now))
        return Decision(
            allowed=used <= self.item.amount,
            limit=self.item.amount,
            remaining=max(0, self.item.amount - used),
            reset=reset,
            window=self.window,
        )

    async def _increment(self, key: str, cost: int) -> int:
        if self.shared is not None and time.monotonic() >= self._shared_down_until:
            try:
                used: int = await self.shared.incr(key, self.window, amount=cost)
                return used
            except StorageError as exc:
                failures.report("Redis unreachable for rate limiting; counting per worker", exc)
                self._shared_down_until = time.monotonic() + REDIS_RETRY_SECONDS
        counted: int = await self.local.incr(key, self.window, amount=cost)
        return counted


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
