"""A TCP proxy in front of PostgreSQL that a test can cut and restore: "the database went away".

Stopping the shared test server would break every other test; cutting the proxy is what the app
sees when PostgreSQL stops or the network drops (refused connects, dropped connections). It runs
its own event loop in a thread: Litestar's test client may block the test's loop (lifespan).
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import threading
from collections.abc import Coroutine, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit, urlunsplit


class PgProxy:
    def __init__(self, target_url: str) -> None:
        parts = urlsplit(target_url)
        socket_dir = parse_qs(parts.query).get("host", [""])[0]
        self._unix: str | None = None
        if socket_dir.startswith("/"):
            suffix = f".s.PGSQL.{parts.port}" if parts.port else ".s.PGSQL.*"
            self._unix = sorted(glob.glob(f"{socket_dir}/{suffix}"))[0]
        self._tcp = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self._target = parts
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.StreamWriter] = set()
        self.port = 0

    def url(self, user: str | None = None) -> str:
        """The target URL, through the proxy (as ``user`` when given)."""
        netloc = self._target.netloc.rpartition("@")
        credentials = user if user is not None else netloc[0].partition(":")[0]
        return urlunsplit(
            self._target._replace(netloc=f"{credentials}@127.0.0.1:{self.port}", query="")
        )

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._unix:
            return await asyncio.open_unix_connection(self._unix)
        return await asyncio.open_connection(*self._tcp)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await self._open()
        except OSError:
            writer.close()
            return
        self._pipes.update((writer, up_writer))
        await asyncio.gather(
            self._pump(reader, up_writer),
            self._pump(up_reader, writer, from_server=True),
            return_exceptions=True,
        )

    def _server_bytes(self, data: bytes) -> tuple[bytes, bool]:
        """What of the server's ``data`` the client gets, and whether the connection drops
        right after (a subclass's hook: tests/support/copy_cut.py)."""
        return data, False

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, from_server: bool = False
    ) -> None:
        try:
            while data := await reader.read(65536):
                data, drop = self._server_bytes(data) if from_server else (data, False)
                writer.write(data)
                await writer.drain()
                if drop:
                    writer.transport.abort()
                    return
        finally:
            self._pipes.discard(writer)
            writer.close()

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._pipes):
            writer.transport.abort()
        self._pipes.clear()

    def _run(self, coroutine: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    def start(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._run(self._listen())

    def cut(self) -> None:
        """Refuse new connections and drop the open ones, as a stopped PostgreSQL does."""
        self._run(self._cut())

    def restore(self) -> None:
        self._run(self._listen())

    def stop(self) -> None:
        self._run(self._cut())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


@contextlib.contextmanager
def pg_proxy(target_url: str) -> Iterator[PgProxy]:
    proxy = PgProxy(target_url)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
