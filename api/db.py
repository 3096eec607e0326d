"""PostgreSQL access: the pool, named SQL queries from ``sql/queries``, and migrations."""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import functools
import json
import logging
import re
import time
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import Any

import asyncpg
import msgspec

from api.errors import ServiceUnavailable

log = logging.getLogger("eedraws.db")

# Any constant works; it only has to be the same in every eedraws process.
MIGRATION_LOCK = 0x6565_6D69  # "eemi"
INGEST_LOCK = 0x6565_696E  # "eein"

# Every connection's: dates and timestamps as text are ISO 8601 whatever the server's default
# (the CSV of draws is written by PostgreSQL, api/exports.py).
SERVER_SETTINGS = {"DateStyle": "ISO, YMD"}

# asyncpg's default: for connections with no deadline (the owner's: migrations, ingest).
CONNECT_TIMEOUT = 60.0

_NAME_HEADER = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)


def sql_dir() -> Path:
    """``sql/`` beside the package in a checkout, ``api/_sql`` in an installed wheel."""
    packaged = Path(__file__).parent / "_sql"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "sql"


@functools.cache
def queries() -> dict[str, str]:
    """Every ``-- name: x`` block of ``sql/queries/*.sql``, by name."""
    found: dict[str, str] = {}
    for path in sorted((sql_dir() / "queries").glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        heads = list(_NAME_HEADER.finditer(text))
        for head, nxt in zip(heads, [*heads[1:], None], strict=True):
            body = text[head.end() : nxt.start() if nxt else len(text)].strip()
            if head.group(1) in found:
                raise RuntimeError(f"query {head.group(1)!r} is defined twice ({path.name})")
            found[head.group(1)] = body
    return found


def query(name: str) -> str:
    return queries()[name]


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb arrives as Python objects, not JSON text, so callers never parse it twice.
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _keep_session(conn: asyncpg.Connection) -> None:
    return None


class Timeouts(msgspec.Struct, frozen=True, kw_only=True):
    """Time limits on serving connections, in seconds (0 = none). Defaults: see Settings."""

    statement: float = 1.5
    idle_in_transaction: float = 10.0
    acquire: float = 2.0
    # A request's reads in all (a read's, outside a request): waiting for a connection or
    # opening one, the queries and their answers. The one clock that still runs when
    # PostgreSQL hangs with its sockets open (docs/operations.md).
    deadline: float = 2.0

    @property
    def command(self) -> float | None:
        # asyncpg's own limit on a query (and on its cancel request): the deadline. With none,
        # a little past PostgreSQL's, so a server that hangs without answering is still left.
        if self.deadline:
            return self.deadline
        return self.statement + 1.0 if self.statement else None

    def left(self, started: float) -> float | None:
        """What is left of the deadline of work that started at ``started`` (monotonic); None:
        no deadline. Raises TimeoutError when nothing is left."""
        if not self.deadline:
            return None
        left = self.deadline - (time.monotonic() - started)
        if left <= 0:
            raise TimeoutError(f"the {self.deadline:g} s deadline passed before this read")
        return left

    def server_settings(self) -> dict[str, str]:
        return {
            "statement_timeout": str(int(self.statement * 1000)),
            "idle_in_transaction_session_timeout": str(int(self.idle_in_transaction * 1000)),
        }


async def create_pool(
    database_url: str,
    *,
    min_size: int = 2,
    max_size: int = 10,
    timeouts: Timeouts | None = None,
) -> asyncpg.Pool:
    timeouts = timeouts or Timeouts()
    pool: asyncpg.Pool = await asyncpg.create_pool(
        database_url,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        command_timeout=timeouts.command,
        # Opening a connection to a server that accepts and never answers (hung, or its
        # listen queue full) waits this long, not asyncpg's 60 s.
        timeout=timeouts.deadline or CONNECT_TIMEOUT,
        # Queries filter with `$n IS NULL OR ...`; a plan made for the actual values turns a
        # keyset cursor into an index range scan, so page 20,000 costs what page 1 does.
        server_settings={
            "plan_cache_mode": "force_custom_plan",
            **SERVER_SETTINGS,
            **timeouts.server_settings(),
        },
        # asyncpg's default reset costs a round trip per release. Our sessions hold no state
        # (reads are single statements; the refresh lock is released in a finally).
        reset=_keep_session,
    )
    return pool


# --- COPY ... TO STDOUT ---------------------------------------------------------------------
# COPY takes no bind parameters, so a query's arguments are written into it as literals (as
# asyncpg's copy_from_query does with two more round trips: a Parse of the query for its
# parameter types, then a SELECT quote_literal of each). Here they are typed in Python: the read
# layer's arguments are None, ints, dates, strings and lists of strings, already validated.


def sql_literal(value: object) -> str:
    """``value`` as an SQL literal: ``NULL``, ``42``, ``'2026-04-15'``, ``E'it''s'``, ``ARRAY[]``.

    Strings as escape strings (``E'...'``, backslash and quote doubled) mean the same whatever
    ``standard_conforming_strings`` says; a NUL, which PostgreSQL text cannot hold and which
    would end the query text on the wire, is refused. The query casts each argument
    (``$1::date``), as it must for bind parameters too."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.date):
        # A datetime keeps its UTC offset: '2026-04-15T10:43:11+00:00'.
        return f"'{value.isoformat()}'"
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("a NUL cannot be sent to PostgreSQL")
        return "E'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
    if isinstance(value, list | tuple):
        return f"ARRAY[{', '.join(map(sql_literal, value))}]" if value else "'{}'"
    raise TypeError(f"no SQL literal for {type(value).__name__} here")


_PARAMETER = re.compile(r"\$(\d+)\b")


@functools.lru_cache(maxsize=64)
def _pieces(query: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """``query``'s text around its ``$n``, and each one's argument index."""
    split = _PARAMETER.split(query)
    return tuple(split[0::2]), tuple(int(n) - 1 for n in split[1::2])


def with_literals(query: str, args: Sequence[object]) -> str:
    """``query`` with each ``$n`` replaced by ``sql_literal(args[n - 1])``."""
    texts, slots = _pieces(query)
    literals = [sql_literal(a) for a in args]
    written = [texts[0]]
    for slot, text in zip(slots, texts[1:], strict=True):
        written += (literals[slot], text)
    return "".join(written)


class CopyOut(msgspec.Struct, frozen=True):
    """What ``COPY (query) TO STDOUT (FORMAT csv)`` wrote, whole, and how many rows."""

    data: bytes
    rows: int


async def copy_out(conn: Any, query: str, timeout: float | None = None) -> CopyOut:
    """``query``'s rows as COPY writes them in CSV (no header, LF line ends), in one buffer.

    Buffered, not streamed: the response cache stores and tags whole bodies, and a read that
    moves to another server mid-way (api/read_pool.py) must start its buffer again."""
    chunks: list[bytes] = []

    async def keep(chunk: bytes) -> None:
        chunks.append(chunk)

    status: str = await conn.copy_from_query(query, output=keep, format="csv", timeout=timeout)
    return CopyOut(b"".join(chunks), int(status.rpartition(" ")[2]))


def call(
    conn: Any, method: str, query: str, args: tuple[Any, ...], timeout: float | None = None
) -> Awaitable[Any]:
    """``conn.method(query, *args)``; ``copy_out`` is this module's (its query has no ``$n``).

    ``timeout`` None: the connection's command timeout."""
    if method == "copy_out":
        return copy_out(conn, query, timeout)
    if timeout is None:
        return getattr(conn, method)(query, *args)  # type: ignore[no-any-return]
    return getattr(conn, method)(query, *args, timeout=timeout)  # type: ignore[no-any-return]


# When the request being served was handed to the app (monotonic): its reads share one deadline
# from then (api.edge sets it; reads outside a request have a deadline each).
REQUEST_STARTED = contextvars.ContextVar("eedraws_request_started", default=0.0)


async def read(
    pool: asyncpg.Pool, timeouts: Timeouts, method: str, query: str, args: tuple[Any, ...]
) -> Any:
    """One read on a connection of ``pool``, within ``timeouts.deadline`` of the request's start.

    A read that times out or is cancelled leaves asyncpg sending PostgreSQL a cancel request
    and the connection mid-protocol; released as it is, the pool would wait for the server to
    acknowledge the cancel, which a hung server never does (12 s a request was measured). It
    is terminated instead, and the pool opens a new one when it next needs it."""
    left = timeouts.left(REQUEST_STARTED.get() or time.monotonic())
    # With a connection idle, asyncpg hands it over without waiting (nothing runs between the
    # count and the take), so no time limit is armed for it: on Python 3.11 asyncpg arms one
    # with a task and a timer, an eighth of a cold request. asyncpg arms the query's anyway.
    if pool.get_idle_size():
        conn = await pool.acquire()
    else:
        limits = [t for t in (left, timeouts.acquire) if t]
        started = time.monotonic()
        conn = await pool.acquire(timeout=min(limits) if limits else None)
        if left is not None:
            left = max(left - (time.monotonic() - started), 0.001)
    try:
        return await call(conn, method, query, args, left)
    except (TimeoutError, asyncio.CancelledError):
        conn.terminate()
        raise
    finally:
        # After terminate() the pool has taken the connection back already: this does nothing.
        await pool.release(conn)


# What "PostgreSQL is away or too slow" looks like from asyncpg: the server refused or dropped
# the connection, is starting or shutting down (OperatorIntervention covers statement_timeout's
# QueryCanceledError too), has no connection slot left, or the pool/command timeout ran out.
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.OperatorInterventionError,
    asyncpg.InsufficientResourcesError,
    asyncpg.InterfaceError,
)


def unavailable_from(exc: BaseException) -> ServiceUnavailable | None:
    """The 503 an asyncpg failure means, or None when it is a bug (bad SQL, a constraint...)."""
    if not isinstance(exc, UNAVAILABLE_ERRORS):
        return None
    slow = isinstance(exc, TimeoutError | asyncpg.QueryCanceledError)
    kind = "PostgreSQL too slow" if slow else "PostgreSQL unreachable"
    failures.report(f"{kind}; answering 503", exc)
    if slow:
        return ServiceUnavailable("the database is too slow right now; retry soon", retry_after=2)
    return ServiceUnavailable("the database is unreachable right now; retry soon", retry_after=5)


class FailureLog:
    """One log line per kind of failure per interval, with how many were not logged.

    A database that is down fails every request; a traceback each would bury the log (19 MB in
    8 s was measured before this).
    """

    def __init__(self, interval: float = 10.0) -> None:
        self.interval = interval
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def report(self, kind: str, exc: BaseException) -> None:
        key = f"{kind}: {type(exc).__name__}"
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last < self.interval:
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return
        self._last[key] = now
        more = self._suppressed.pop(key, 0)
        tail = f" (and {more} more in the last {now - last:.0f}s)" if more and last else ""
        log.warning("%s (%s: %s)%s", kind, type(exc).__name__, exc, tail)


failures = FailureLog()


def _pool_floor_failure(record: logging.LogRecord) -> bool:
    """asyncpg logs a traceback each time it fails to reopen a pool's minimum connections."""
    if record.exc_info and record.exc_info[1] is not None and "connection floor" in record.msg:
        failures.report(
            "PostgreSQL unreachable; reopening the pool's connections", record.exc_info[1]
        )
        return False
    return True


logging.getLogger("asyncpg.pool").addFilter(_pool_floor_failure)


class ServingDb:
    """The pool as requests see it: every failure of PostgreSQL becomes ServiceUnavailable.

    The one place asyncpg errors are mapped (REST and GraphQL both read through it). Each read
    has ``timeouts.deadline`` in all (``read``).
    """

    def __init__(self, pool: asyncpg.Pool, timeouts: Timeouts | None = None) -> None:
        self.pool = pool
        self.timeouts = timeouts or Timeouts()

    async def _run(self, method: str, query: str, args: tuple[Any, ...]) -> Any:
        try:
            return await read(self.pool, self.timeouts, method, query, args)
        except UNAVAILABLE_ERRORS as exc:
            unavailable = unavailable_from(exc)
            assert unavailable is not None
            raise unavailable from exc

    async def fetch(self, query: str, *args: Any) -> list[Any]:
        rows: list[Any] = await self._run("fetch", query, args)
        return rows

    async def fetchrow(self, query: str, *args: Any) -> Any:
        return await self._run("fetchrow", query, args)

    async def fetchval(self, query: str, *args: Any) -> Any:
        return await self._run("fetchval", query, args)

    async def copy_out(self, query: str) -> CopyOut:
        copied: CopyOut = await self._run("copy_out", query, ())
        return copied


async def connect(database_url: str) -> asyncpg.Connection:
    conn: asyncpg.Connection = await asyncpg.connect(database_url, server_settings=SERVER_SETTINGS)
    await _init_connection(conn)
    return conn


async def migrate(conn: asyncpg.Connection) -> list[str]:
    """Apply the numbered migrations not applied yet, each in its own transaction."""
    applied_now: list[str] = []
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version text PRIMARY KEY,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        for path in sorted((sql_dir() / "migrations").glob("[0-9][0-9][0-9][0-9]_*.sql")):
            if path.stem in done:
                continue
            async with conn.transaction():
                await conn.execute(path.read_text(encoding="utf-8"))
                await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", path.stem)
            log.info("applied migration %s", path.stem)
            applied_now.append(path.stem)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)
    return applied_now
