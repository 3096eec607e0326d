"""Driving the app over HTTP in-process, and counting what reaches PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, TypeVar

import msgspec
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.columns import DRAWS
from api.data_version import DataVersion
from api.exports import csv_bytes
from api.models import DrawPage

Client = AsyncTestClient[Litestar]
T = TypeVar("T")


class CountingPool:
    """The real pool, counting the statements sent to it.

    ``reads`` leaves out the data_version check, which is not a read of data.
    """

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self.statements: list[str] = []

    @property
    def reads(self) -> list[str]:
        return [sql for sql in self.statements if "FROM data_state" not in sql]

    async def fetch(self, sql: str, *args: Any) -> Any:
        self.statements.append(sql)
        return await self.pool.fetch(sql, *args)

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        self.statements.append(sql)
        return await self.pool.fetchrow(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> Any:
        self.statements.append(sql)
        return await self.pool.fetchval(sql, *args)

    async def copy_out(self, sql: str) -> Any:
        self.statements.append(sql)
        return await self.pool.copy_out(sql)


@contextlib.contextmanager
def counting_statements(client: Client) -> Iterator[CountingPool]:
    """Count what ``client``'s app sends to PostgreSQL until the block ends."""
    real = client.app.state.pool
    counting = CountingPool(real)
    client.app.state.pool = counting
    try:
        yield counting
    finally:
        client.app.state.pool = real


@contextlib.asynccontextmanager
async def running(app: Litestar) -> AsyncIterator[tuple[Client, CountingPool]]:
    """A started app, its client, and the count of its statements."""
    async with AsyncTestClient(app=app) as client:
        with counting_statements(client) as counting:
            yield client, counting


async def pages(client: Client, url: str) -> list[dict[str, Any]]:
    """Every row of a list endpoint, following ``Link: rel="next"`` to the end."""
    rows: list[dict[str, Any]] = []
    while True:
        answer = await client.get(url)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        rows.extend(body["data"])
        if body["next_cursor"] is None:
            assert "link" not in answer.headers
            return rows
        link = answer.headers["link"]
        match = re.fullmatch(r'<([^>]+)>; rel="next"', link)
        assert match, link
        url = match.group(1)


def in_app_loop(
    client: Client, function: Callable[..., Awaitable[T]], *args: Any, timeout: float = 5.0
) -> T:
    """Await ``function(*args)`` on the app's own event loop, within ``timeout`` seconds.

    The test client runs the app on a loop of its own (in a portal thread); the app's events
    and tasks live there, so waiting on them must happen there too.
    """

    async def bounded() -> T:
        return await asyncio.wait_for(function(*args), timeout)

    return client.blocking_portal.call(bounded)


async def data_version_reaches(version: DataVersion, wanted: int) -> None:
    """Return once ``version`` (an app's view of data_version) is at least ``wanted``.

    Run it on the app's loop with ``in_app_loop``: it waits on the version's change callback.
    """
    changed = asyncio.Event()
    version.on_change.append(changed.set)
    try:
        while version.version < wanted:
            await changed.wait()
            changed.clear()
    finally:
        version.on_change.remove(changed.set)


async def pythons_csv(client: Client) -> bytes:
    """What Python's renderer writes for the rows the JSON list serves now."""
    response = await client.get("/v1/draws?limit=500")
    assert response.status_code == 200, response.text
    return csv_bytes(DRAWS, msgspec.json.decode(response.content, type=DrawPage).data)
