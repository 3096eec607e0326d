"""A flood from one client evicts neither others' cached answers nor anyone's rate-limit count.

A real ``eedraws serve`` on a Redis started as the embedded one is (``api.embedded.start_redis``:
its eviction policy), with a small ``maxmemory``. Clients are told apart by their loopback
source address (127.0.0.x), as the rate limit tells them apart. Issue 19, item 6."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
import redis

from api.embedded import start_redis
from api.settings import Settings
from tests.support.server import served

MAXMEMORY = "4mb"
RATE_LIMIT = "100000/day"  # a window no test outlasts: counts only grow during it
REGISTRATIONS = 50
OTHERS = [f"127.0.0.{n}" for n in range(11, 16)]
FLOODER = "127.0.0.2"
_REMAINING = re.compile(r"\br=(\d+)")


@pytest.fixture
def small_redis(tmp_path: Path) -> Iterator[redis.Redis]:
    sock = tmp_path / "r.sock"
    process = start_redis(tmp_path, sock, maxmemory=MAXMEMORY)
    client = redis.Redis(unix_socket_path=str(sock))
    try:
        yield client
    finally:
        client.close()
        process.terminate()
        process.wait(10)


class Client:
    """HTTP from one source address, as a distinct client is seen by the rate limit."""

    def __init__(self, base: str, address: str) -> None:
        port = int(base.rsplit(":", 1)[1])
        self.conn = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=30, source_address=(address, 0)
        )

    def send(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, str]]:
        status, headers, _ = self.exchange(method, path, body)
        return status, headers

    def exchange(
        self, method: str, path: str, body: Any = None
    ) -> tuple[int, dict[str, str], bytes]:
        payload = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        self.conn.request(method, path, body=payload, headers=headers)
        response = self.conn.getresponse()
        content = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, content

    def remaining(self) -> int:
        """What the rate limit has left for this client, after one more request."""
        status, headers = self.send("GET", "/v1/status")
        match = _REMAINING.search(headers.get("ratelimit", ""))
        assert match, (status, headers)
        return int(match.group(1))

    def close(self) -> None:
        self.conn.close()


def registration(n: int, size: int) -> dict[str, Any]:
    """A valid document of about ``size`` bytes, new for each ``n``, sent to be persisted."""
    head = f"# registration {n} "
    document = head + "x" * max(0, size - len(head)) + "\n{ latestDraw { number } }"
    sha256 = hashlib.sha256(document.encode()).hexdigest()
    return {
        "query": document,
        "extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha256}},
    }


def big_answer(n: int) -> dict[str, Any]:
    """A new document (no persisted query) whose answer is ~50 KB: cache data, not registered."""
    fields = "number date name invitations crsMin programs runAt tieBreakAt category { slug name }"
    aliases = " ".join(f"a{i}: draws(first: 500) {{ nodes {{ {fields} }} }}" for i in range(10))
    return {"query": f"# cache flood {n}\n{{ {aliases} }}"}


def test_a_flood_from_one_client_evicts_no_one_elses_cached_answer_and_no_count(
    rounds_2026: Settings, small_redis: redis.Redis
) -> None:
    unix = small_redis.connection_pool.connection_kwargs["path"]
    settings = msgspec.structs.replace(
        rounds_2026, redis_url=f"unix://{unix}", rate_limit=RATE_LIMIT
    )
    extra = {"EEDRAWS_APQ_REGISTRATIONS": f"{REGISTRATIONS}/day"}
    with served(settings, env=extra) as base, contextlib.ExitStack() as closing:
        others = [Client(base, a) for a in OTHERS]
        flooder = Client(base, FLOODER)
        for c in [*others, flooder]:
            closing.callback(c.close)
        # Each other client's answers, cached in Redis; what each has left of its limit.
        for i, c in enumerate(others):
            for path in (f"/v1/draws?limit={i + 1}", f"/v1/draws?limit={i + 11}&sort=crs_min"):
                assert c.send("GET", path)[0] == 200
        cached = set(small_redis.scan_iter("eedraws:resp:*"))
        assert len(cached) >= 2 * len(others)
        left = {c: c.remaining() for c in [*others, flooder]}

        # The flood: documents over the size limit, then more registrations than allowed.
        statuses: dict[int, int] = {}
        refusals: dict[int, tuple[dict[str, str], bytes]] = {}
        floods = [registration(n, 90_000) for n in range(30)]
        floods += [registration(n, 15_000) for n in range(30, 30 + 3 * REGISTRATIONS)]
        for body in floods:
            status, headers, content = flooder.exchange("POST", "/graphql", body)
            statuses[status] = statuses.get(status, 0) + 1
            refusals[status] = headers, content
        sent = len(floods)
        print(f"\n  registration flood: {statuses}; Redis: {_memory(small_redis)}")

        assert cached <= set(small_redis.scan_iter("eedraws:resp:*")), "cached answers evicted"
        assert _evicted(small_redis) == 0
        assert len(list(small_redis.scan_iter("eedraws:apq:*"))) == REGISTRATIONS
        assert statuses == {400: 30, 200: REGISTRATIONS, 429: 2 * REGISTRATIONS}
        for status, code in (
            (400, "PERSISTED_QUERY_TOO_LARGE"),
            (429, "PERSISTED_QUERY_RATE_LIMITED"),
        ):
            headers, content = refusals[status]
            assert json.loads(content)["errors"][0]["extensions"]["code"] == code
            assert headers["cache-control"] == "no-store"
        assert 0 < int(refusals[429][0]["retry-after"]) <= 86400
        for c in others:
            assert c.remaining() == left[c] - 1, "a client's count was lost"
        assert flooder.remaining() == left[flooder] - sent - 1

        # Cache data past maxmemory (answers no registration made): entries evict each other,
        # never a count. Redis guarantees it: it evicts only keys with a TTL, and no count has
        # one (under allkeys-lru the busy counts hash would merely be likely to survive).
        assert small_redis.config_get("maxmemory-policy")["maxmemory-policy"] == "volatile-lru"
        counts = list(small_redis.scan_iter("eedraws:rl*"))
        assert counts
        assert all(small_redis.ttl(key) == -1 for key in counts)
        for n in range(120):
            assert flooder.send("POST", "/graphql", big_answer(n))[0] == 200
        print(f"  cache flood: Redis: {_memory(small_redis)}")
        assert _evicted(small_redis) > 0, "the cache flood did not fill Redis: it proves nothing"
        for c in others:
            assert c.remaining() == left[c] - 2, "a cached answer evicted a client's count"
        # Charged by cost (each answer is thousands of objects): far more than one a request.
        assert flooder.remaining() < left[flooder] - sent - 120


def _evicted(client: redis.Redis) -> int:
    return int(client.info("stats")["evicted_keys"])


def _memory(client: redis.Redis) -> str:
    memory = client.info("memory")
    return (
        f"used {memory['used_memory_human']} of {memory['maxmemory_human']}, "
        f"{client.dbsize()} keys, {_evicted(client)} evicted"
    )
