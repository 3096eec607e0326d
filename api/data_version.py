"""data_version: which state of the store an answer describes, and telling workers it changed.

The writer (ingest, refresh) bumps ``data_state.data_version`` in its transaction and then
``announce_data_version``; every serving worker keeps a ``DataVersion`` current from Redis
pub/sub, with a PostgreSQL poll as the safety net, so Redis is never needed for correctness.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from email.utils import format_datetime

import asyncpg
import redis.asyncio as redis
from redis.exceptions import RedisError

from api.db import failures, query

log = logging.getLogger("eedraws.data_version")

VERSION_CHANNEL = "eedraws:data_version"
# How long one wait for a pub/sub message lasts: also how quickly the listener stops.
LISTEN_TICK = 0.2


async def announce_data_version(
    client: redis.Redis | None, version: int, store_id: str = ""
) -> None:
    """Tell every worker a new version exists. Best effort: they poll PostgreSQL anyway.

    ``store_id:version``: a worker of another store sharing the Redis can tell it is not its own.
    """
    if client is None:
        return
    try:
        await client.publish(VERSION_CHANNEL, f"{store_id}:{version}" if store_id else str(version))
    except (RedisError, OSError) as exc:
        log.warning("could not announce data_version %d over Redis: %r", version, exc)


def _announced(data: object) -> tuple[str | None, int | None]:
    """``store_id:version`` (or a bare version) as published by ``announce_data_version``."""
    text = data.decode() if isinstance(data, bytes) else data
    if not isinstance(text, str):
        return None, None
    store_id, _, version = text.rpartition(":")
    try:
        return store_id or None, int(version)
    except ValueError:
        return None, None


class DataVersion:
    """This worker's view of data_version, kept current by Redis pub/sub and PostgreSQL."""

    POLL_WHEN_REDIS_UP = 10.0
    POLL_WHEN_REDIS_DOWN = 1.0
    CATCH_UP_SECONDS = 5.0

    def __init__(self) -> None:
        self.store_id = ""
        self.version = -1
        self.changed_at = datetime.fromtimestamp(0, UTC)
        self.last_modified = b""
        self.on_change: list[Callable[[], None]] = []
        # Set while this worker is subscribed to the version channel.
        self.subscribed = asyncio.Event()
        # Reads come from a replica that may not have replayed an announced version yet.
        self.wait_for_announced = False

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

    async def catch_up(
        self, pool: asyncpg.Pool, store_id: str | None, announced: int | None
    ) -> None:
        """Refresh; from a read replica, retry until it has replayed the announced version."""
        deadline = time.monotonic() + self.CATCH_UP_SECONDS
        await self.refresh_from(pool)
        while (
            self.wait_for_announced
            and announced is not None
            and store_id in (None, self.store_id)
            and self.version < announced
            and time.monotonic() < deadline
        ):
            await asyncio.sleep(0.02)
            await self.refresh_from(pool)

    @contextlib.asynccontextmanager
    async def kept_current(
        self, pool: asyncpg.Pool, client: redis.Redis | None
    ) -> AsyncIterator[None]:
        try:
            await self.refresh_from(pool)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            # A worker (re)started while PostgreSQL is away still starts: it answers 503s (and
            # caches nothing: version -1) until the poll below reaches PostgreSQL.
            failures.report("data_version unknown at start", exc)
        self.subscribed = asyncio.Event()
        stop = asyncio.Event()
        poll = asyncio.create_task(self._poll(pool), name="eedraws-version-poll")
        listen = None
        if client is not None:
            listen = asyncio.create_task(self._listen(pool, client, stop), name="eedraws-pubsub")
        try:
            yield
        finally:
            poll.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poll
            if listen is not None:
                await self._stop_listening(listen, stop)

    @staticmethod
    async def _stop_listening(listen: asyncio.Task[None], stop: asyncio.Event) -> None:
        # Asked, not cancelled: redis-py can swallow a cancellation inside a pub/sub read and
        # wait on the socket for good, which would keep the worker from stopping.
        stop.set()
        done, _ = await asyncio.wait({listen}, timeout=2 * LISTEN_TICK + 1.0)
        if not done:
            listen.cancel()

    async def _poll(self, pool: asyncpg.Pool) -> None:
        # The safety net: pub/sub is instant but can miss a message while Redis restarts.
        while True:
            up = self.subscribed.is_set()
            await asyncio.sleep(self.POLL_WHEN_REDIS_UP if up else self.POLL_WHEN_REDIS_DOWN)
            try:
                await self.refresh_from(pool)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                # Every second while PostgreSQL is away: one line per 10 s, not one per check.
                failures.report("data_version check failed", exc)

    async def _listen(self, pool: asyncpg.Pool, client: redis.Redis, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(VERSION_CHANNEL)
                    self.subscribed.set()
                    # A version may have changed while we were not subscribed.
                    await self.refresh_from(pool)
                    while not stop.is_set():
                        message = await pubsub.get_message(
                            ignore_subscribe_messages=True, timeout=LISTEN_TICK
                        )
                        if message is not None and message.get("type") == "message":
                            await self.catch_up(pool, *_announced(message.get("data")))
            except (TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                # PostgreSQL's (asyncpg's timeouts are the builtin TimeoutError, an OSError;
                # redis-py's are RedisErrors): Redis is fine, listen again.
                failures.report("data_version refresh failed", exc)
            except (RedisError, OSError) as exc:
                if self.subscribed.is_set():
                    log.warning("lost the data_version channel; checking PostgreSQL: %r", exc)
                self.subscribed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
