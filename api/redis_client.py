"""The Redis client: one per process, optional, with timeouts short enough to be ignorable."""

from __future__ import annotations

import redis.asyncio as redis


def redis_client(url: str) -> redis.Redis | None:
    """A client for ``url``, or None when no Redis is configured."""
    if not url:
        return None
    # Short timeouts: a Redis that hangs must cost a request milliseconds, not seconds.
    return redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)
