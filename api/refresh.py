"""Keeping the store current: first load on an empty store, then a periodic refresh."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Coroutine
from typing import Any

import asyncpg
import redis.asyncio as redis

from api.data_version import announce_data_version
from api.db import INGEST_LOCK, query
from api.ingest.ircc import IngestError
from api.ingest.source import SEED_SOURCE, read_seed, read_source
from api.ingest.store import IngestReport, ingest_bytes
from api.settings import Settings

log = logging.getLogger("eedraws.refresh")


async def ingest_source(
    conn: asyncpg.Connection, source: str, *, force: bool = False, timeout: float = 30.0
) -> IngestReport:
    data = await read_source(source, timeout=timeout)
    return await ingest_bytes(conn, data, source=source, force=force)


async def ensure_loaded(conn: asyncpg.Connection, settings: Settings) -> IngestReport | None:
    """On an empty store, ingest the source; failing that, the seed shipped in the package."""
    if await conn.fetchval(query("count_draws")):
        return None
    try:
        return await ingest_source(conn, settings.source, timeout=min(settings.fetch_timeout, 15))
    except IngestError as exc:
        log.warning(
            "first load from %s failed (%s); loading the packaged seed", settings.source, exc
        )
    report = await ingest_bytes(conn, read_seed(), source=SEED_SOURCE)
    log.warning("loaded %d rounds from the packaged seed: %s", report.rounds_in_file, SEED_SOURCE)
    return report


async def refresh_once(
    pool: asyncpg.Pool, settings: Settings, client: redis.Redis | None = None
) -> IngestReport | None:
    """Ingest the source unless another process is ingesting or has just done so."""
    async with pool.acquire() as conn:
        # Session-level try-lock: with several workers or replicas, one refresh at a time.
        if not await conn.fetchval(query("refresh_try_lock"), INGEST_LOCK + 1):
            return None
        try:
            age = await conn.fetchval(query("seconds_since_last_ingest"))
            if age is not None and float(age) < settings.refresh_interval / 2:
                return None
            report = await ingest_source(conn, settings.source, timeout=settings.fetch_timeout)
        finally:
            await conn.execute(query("refresh_unlock"), INGEST_LOCK + 1)
    if report.changed_data:
        await announce_data_version(client, report.data_version, report.store_id)
    return report


async def _refresh_forever(
    pool: asyncpg.Pool, settings: Settings, client: redis.Redis | None
) -> None:
    while True:
        await asyncio.sleep(settings.refresh_interval)
        started = time.monotonic()
        try:
            report = await refresh_once(pool, settings, client)
        except IngestError as exc:
            log.warning("refresh from %s failed, will retry: %s", settings.source, exc)
            _count_failure()
            continue
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("refresh failed, will retry: %r", exc)
            _count_failure()
            continue
        if report is not None:
            log.info(
                "refreshed from %s in %.1fs: %d new, %d changed",
                settings.source,
                time.monotonic() - started,
                report.rounds_new,
                report.rounds_changed,
            )


def _count_failure() -> None:
    # Imported here: `eedraws serve` must set PROMETHEUS_MULTIPROC_DIR before prometheus_client
    # is first imported, and the CLI imports this module.
    from api.metrics import REFRESH_FAILURES

    REFRESH_FAILURES.inc()


@contextlib.asynccontextmanager
async def running(work: Coroutine[Any, Any, None], name: str | None = None) -> AsyncIterator[None]:
    """A background task for the life of the worker, cancelled when the worker stops."""
    task = asyncio.create_task(work, name=name)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def refresher(
    settings: Settings, pool: asyncpg.Pool, client: redis.Redis | None
) -> contextlib.AbstractAsyncContextManager[None]:
    if settings.refresh_interval <= 0:
        return contextlib.nullcontext()
    return running(_refresh_forever(pool, settings, client), name="eedraws-refresh")
