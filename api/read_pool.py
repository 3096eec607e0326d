"""Serving reads: ``DATABASE_READ_URL`` (a read replica) when it is up, else the primary as
the same read-only role (``DATABASE_READ_FALLBACK_URL``).

Every read, and the worker's data_version, come from the same server, so an answer is never
older than the version it is cached under: a streaming replica replays in commit order, and the
version and the rows of one ingest commit together (docs/decisions/0011-read-replica.md). The
consequences:

- the worker's data_version is read through this pool (``api.data_version.DataVersion``), and
  a version announced over Redis is waited for until the replica has replayed it;
- when the replica fails, reads move to the primary at once (the primary is never behind);
  with no fallback configured, its failures are 503s (``api.db.ServingDb``);
- they move back only when a probe finds the replica up *and* at least at the version this
  worker already serves, so a replica that restarts behind cannot serve older rows under it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from api import db
from api.db import query

log = logging.getLogger("eedraws.read_pool")

# What says "this server is unreachable or going away", not "this query is wrong".
UNREACHABLE: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    asyncpg.InterfaceError,
    # A connection whose server shut down mid-query can be left in a confused protocol state.
    asyncpg.InternalClientError,
)


class ReadPool:
    """An asyncpg-pool look-alike for the read layer (``fetch``/``fetchrow``/``fetchval``).

    ``replica`` is where reads go; ``primary``, when given, is where they go while it is down.
    Errors are asyncpg's (``ServingReads`` turns them into 503s for requests).
    """

    PROBE_EVERY = 0.5

    def __init__(
        self,
        replica: asyncpg.Pool,
        primary: asyncpg.Pool | None = None,
        *,
        timeouts: db.Timeouts | None = None,
    ) -> None:
        self.replica = replica
        self.primary = primary
        # Each read within its deadline, on whichever server (api.db.read).
        self.timeouts = timeouts or db.Timeouts()
        self.replica_up = True
        self.fallbacks = 0  # reads answered by the primary because the replica failed
        # Called when reads move between servers: the data version must be read again there.
        self.on_switch: list[Callable[[], None]] = []
        self._changed = asyncio.Event()

    @property
    def current(self) -> asyncpg.Pool:
        return self.replica if self.replica_up or self.primary is None else self.primary

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        return await self._read("fetch", sql, args)  # type: ignore[no-any-return]

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        return await self._read("fetchrow", sql, args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        return await self._read("fetchval", sql, args)

    async def copy_out(self, sql: str) -> db.CopyOut:
        # A COPY cut mid-way starts again on the primary, into a buffer of its own.
        return await self._read("copy_out", sql, ())  # type: ignore[no-any-return]

    def acquire(self) -> Any:
        """A connection from the pool reads go to now (no fallback within its use)."""
        return self.current.acquire()

    def _on(
        self, pool: asyncpg.Pool, method: str, sql: str, args: tuple[Any, ...]
    ) -> Awaitable[Any]:
        return db.read(pool, self.timeouts, method, sql, args)

    async def _read(self, method: str, sql: str, args: tuple[Any, ...]) -> Any:
        pool = self.current
        if self.primary is None or pool is self.primary:
            return await self._on(pool, method, sql, args)
        try:
            return await self._on(pool, method, sql, args)
        except UNREACHABLE as exc:
            self._replica_failed(exc)
        except asyncpg.SerializationError:
            # Cancelled by a conflict with recovery on the replica: the primary answers.
            pass
        self.fallbacks += 1
        return await self._on(self.primary, method, sql, args)

    def _replica_failed(self, exc: BaseException) -> None:
        if self.replica_up:
            log.warning("read replica unavailable, reading from the primary: %r", exc)
            self.replica_up = False
            self._changed.set()
            self._switched()

    def _switched(self) -> None:
        for callback in self.on_switch:
            callback()

    async def _probe(self, served_version: Callable[[], int]) -> bool:
        try:
            version = await self._on(self.replica, "fetchval", query("data_version"), ())
        except (*UNREACHABLE, asyncpg.PostgresError):
            return False
        # Behind what this worker serves: reading from it would cache older rows.
        return int(version) >= served_version()

    async def keep_healthy(self, served_version: Callable[[], int]) -> None:
        """Run for the worker's life: probe a failed replica, take it back once caught up."""
        if self.primary is None:
            return
        while True:
            if self.replica_up:
                self._changed.clear()
                await self._changed.wait()
                continue
            started = time.monotonic()
            if await self._probe(served_version):
                log.info("read replica is back; reading from it again")
                self.replica_up = True
                self._switched()
                continue
            await asyncio.sleep(max(0.0, self.PROBE_EVERY - (time.monotonic() - started)))


class ServingReads:
    """``ReadPool`` as requests see it: a failure of the last server tried is a 503."""

    def __init__(self, reads: ReadPool) -> None:
        self.reads = reads

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        return await self._mapped(self.reads.fetch(sql, *args))  # type: ignore[no-any-return]

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        return await self._mapped(self.reads.fetchrow(sql, *args))

    async def fetchval(self, sql: str, *args: Any) -> Any:
        return await self._mapped(self.reads.fetchval(sql, *args))

    async def copy_out(self, sql: str) -> db.CopyOut:
        return await self._mapped(self.reads.copy_out(sql))  # type: ignore[no-any-return]

    async def _mapped(self, read: Awaitable[Any]) -> Any:
        try:
            return await read
        except db.UNAVAILABLE_ERRORS as exc:
            unavailable = db.unavailable_from(exc)
            assert unavailable is not None
            raise unavailable from exc
