"""Whole-response cache and HTTP validators, keyed by data_version: what serving needs.

Between ingests every answer is a pure function of (data_version, request), so an encoded
response can be served again until the version changes. ``ResponseCache`` is used by the one
ASGI layer in front of Litestar's router (api/edge.py), so a hit costs a memoised key, a dict
lookup and two ``send`` calls of messages made on the entry's first hit:

- tier 1: an in-process LRU of encoded responses (compressed variants made once, on demand;
  with ``EEDRAWS_CACHE=off`` nothing is kept or compressed, only the headers a 304 repeats);
- tier 2: Redis, shared by workers and replicas, so a cold worker fills from it;
- misses for one key are computed once per worker, however many requests wait (no stampede);
- strong ETags derive from (data_version, request, encoding), not from the body, so a
  revalidation is answered 304 before any handler or query runs, with the cache on or off.

Redis is optional at every step: when it is down, requests are answered from PostgreSQL.
Tracking and announcing data_version is ``api.data_version`` (what the writer needs too).
See docs/decisions/0002-response-cache.md for why this is not Litestar's response cache.
"""

from api.response_cache.entries import CacheEntry
from api.response_cache.layer import CACHEABLE_POST, ResponseCache, cacheable_post_paths
from api.response_cache.tiers import REDIS_PREFIX, LocalLRU, RedisTier

__all__ = [
    "CACHEABLE_POST",
    "REDIS_PREFIX",
    "CacheEntry",
    "LocalLRU",
    "RedisTier",
    "ResponseCache",
    "cacheable_post_paths",
]
