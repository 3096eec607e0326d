"""Chart processes: where a serving worker has its charts built and drawn, off its event loop.

Building a chart's Vega-Lite spec (altair, ~40 ms of Python for the cut-off chart of every
round) and drawing it (vl-convert, 0.1-0.6 s holding the GIL) are CPU work; done in the
worker, every other request waited behind them (a flood of new chart URLs took the cached
``/v1/draws/latest`` from 0.5 ms to 65 ms p50). So a worker sends each chart it is asked for,
as a ``ChartOrder``, to a process of its own (``python -m api.charts.drawer``) that reads the
rows through its own connection, builds the spec, draws the format and sends the bytes back.
Those processes run at a lower CPU priority (``drawer.NICENESS``): on a busy machine the
workers' answers come first. See docs/decisions/0019-charts-drawn-in-processes.md.

- ``processes`` drawers per worker, each drawing one chart at a time, started on the first
  chart asked for (a worker that draws none starts none) and stopped with the worker.
- At most ``queue`` orders wait for a free drawer; past that a 503 with ``Retry-After``, before
  any work is done: a flood of new URLs cannot queue minutes of drawing.
- A drawer that dies (killed, out of memory) or takes over ``DRAW_TIMEOUT`` costs the order it
  had in hand a 503 and is replaced by a new one on the next order; nothing else waits on it.
- A drawer reads its orders from a pipe: when the worker dies, the pipe closes and it exits.

The protocol on the drawer's stdin and stdout: frames of a 4-byte big-endian length and a
msgpack body: first a ``DrawerConfig``, then ``ChartOrder`` in, ``ChartAnswer`` out, in turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import sys
from typing import Any

import msgspec

from api.db import Timeouts
from api.errors import ApiError, InvalidParameter, NotFound, ServiceUnavailable
from api.filters import DrawFilter

log = logging.getLogger("eedraws.charts")

# A drawer answers in well under a second; past this it is stuck and is killed (a statement
# may take EEDRAWS_STATEMENT_TIMEOUT, and a low-priority process on a busy machine waits).
DRAW_TIMEOUT = 30.0
# How long a stopping worker lets its drawers finish before killing them.
STOP_GRACE = 2.0
RETRY_AFTER = 2
_LENGTH = struct.Struct(">I")


class DrawerConfig(msgspec.Struct, frozen=True, kw_only=True):
    """What a drawer needs to read: the serving database, as the worker reads it."""

    serving_url: str
    fallback_url: str = ""
    timeouts: Timeouts = Timeouts()


class ChartOrder(msgspec.Struct, frozen=True, kw_only=True):
    """One chart in one format: every parameter that changes it (a new one goes here too)."""

    chart: str  # crs | invitations | pool
    format: str = "svg"  # a key of api.charts.render.FORMATS
    width: int
    draw_filter: DrawFilter = DrawFilter()
    highlight: str | None = None
    focus: tuple[str, ...] = ()
    # The data version the worker serves: with a read replica, the drawer reads from it again
    # only once it has caught up with this (api/read_pool.py).
    data_version: int = 0


class Refusal(msgspec.Struct, frozen=True):
    """An ``ApiError`` raised in the drawer (``code`` "internal": a bug, logged there)."""

    code: str
    detail: str
    retry_after: int = 0


class DrawnChart(msgspec.Struct, frozen=True, kw_only=True):
    """A chart's bytes in the format asked, and what its file is named for (``api.charts.model
    .Chart``'s ``name``, ``asked`` and ``as_of``)."""

    body: bytes
    name: str
    asked: tuple[str, ...] = ()
    as_of: str = ""


class ChartAnswer(msgspec.Struct, frozen=True, kw_only=True):
    drawn: DrawnChart | None = None
    refusal: Refusal | None = None


_REFUSALS: dict[str, type[ApiError]] = {e.code: e for e in (InvalidParameter, NotFound)}


class ChartDrawingFailed(RuntimeError):
    """A drawer hit a bug: the request is a 500, as it was when drawing ran in the worker."""


def frame(message: msgspec.Struct) -> bytes:
    body = msgspec.msgpack.encode(message)
    return _LENGTH.pack(len(body)) + body


async def read_frame(reader: asyncio.StreamReader) -> bytes | None:
    """The next frame's body, or None at the end of the stream."""
    try:
        head = await reader.readexactly(_LENGTH.size)
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise
        return None
    return await reader.readexactly(_LENGTH.unpack(head)[0])


class DrawerGone(Exception):
    """The drawer process exited or closed its pipes."""


class Drawer:
    """One chart process and its pipes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.drawn = 0  # charts answered

    @classmethod
    async def start(cls, config: DrawerConfig) -> Drawer:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "api.charts.drawer",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        drawer = cls(process)
        drawer._send(frame(config))
        return drawer

    @property
    def alive(self) -> bool:
        return self.process.returncode is None

    def _send(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)

    async def ask(self, order: ChartOrder) -> ChartAnswer:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        try:
            self._send(frame(order))
            await self.process.stdin.drain()
            body = await read_frame(self.process.stdout)
        except (OSError, asyncio.IncompleteReadError) as exc:
            raise DrawerGone(f"the chart process {self.process.pid} died: {exc!r}") from exc
        if body is None:
            raise DrawerGone(f"the chart process {self.process.pid} exited")
        return msgspec.msgpack.decode(body, type=ChartAnswer)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()

    async def stop(self, grace: float) -> None:
        """Close its stdin (it exits after the chart in hand), then kill it after ``grace``."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), grace)
        except TimeoutError:
            self.kill()
            await self.process.wait()


class ChartDrawers:
    """A worker's chart processes: ``await drawers.draw(order)`` is the chart drawn."""

    def __init__(self, config: DrawerConfig, *, processes: int = 1, queue: int = 8) -> None:
        self.config = config
        self.queue = queue
        self._free = asyncio.Semaphore(processes)
        self._waiting = 0
        self._idle: list[Drawer] = []
        self._started: set[Drawer] = set()
        self._exchanges: set[asyncio.Task[ChartAnswer]] = set()
        self._closed = False

    async def draw(self, order: ChartOrder) -> DrawnChart:
        if self._closed:
            raise ServiceUnavailable("this worker is stopping; retry", retry_after=RETRY_AFTER)
        if self._free.locked() and self._waiting >= self.queue:
            raise ServiceUnavailable(
                f"{self.queue} charts are already waiting to be drawn here; retry shortly",
                retry_after=RETRY_AFTER,
            )
        self._waiting += 1
        try:
            await self._free.acquire()
        finally:
            self._waiting -= 1
        # The exchange runs to its end even if this request is cancelled (its client left):
        # a drawer's answer must be read before it can take the next order.
        exchange = asyncio.ensure_future(self._exchange(order))
        self._exchanges.add(exchange)
        exchange.add_done_callback(self._exchanges.discard)
        answer = await asyncio.shield(exchange)
        if answer.drawn is not None:
            return answer.drawn
        raise _raised(answer.refusal or Refusal("internal", "the chart process answered nothing"))

    async def _exchange(self, order: ChartOrder) -> ChartAnswer:
        try:
            # A drawer that had drawn before may have died since (killed while idle, or
            # while drawing this): the order goes to a new one, once.
            for reused in (True, False):
                if self._closed:  # waited through the worker's shutdown: start nothing now
                    return _unavailable("this worker is stopping")
                try:
                    drawer = await self._drawer(reuse=reused)
                except OSError as exc:  # no process could be started: out of memory or PIDs
                    log.warning("could not start a chart process: %r", exc)
                    return _unavailable("no process could be started to draw this chart")
                try:
                    async with asyncio.timeout(DRAW_TIMEOUT):
                        answer = await drawer.ask(order)
                except (DrawerGone, TimeoutError) as exc:
                    self._forget(drawer)
                    log.warning("chart process %d lost: %r", drawer.process.pid, exc)
                    if isinstance(exc, DrawerGone) and drawer.drawn and not self._closed:
                        continue
                    return _unavailable("the process drawing this chart stopped")
                except BaseException:
                    self._forget(drawer)
                    raise
                drawer.drawn += 1
                if self._closed:
                    self._forget(drawer)
                else:
                    self._idle.append(drawer)
                return answer
            raise AssertionError("unreachable")
        finally:
            self._free.release()

    async def _drawer(self, *, reuse: bool) -> Drawer:
        while reuse and self._idle:
            drawer = self._idle.pop()
            if drawer.alive:
                return drawer
            self._forget(drawer)
        drawer = await Drawer.start(self.config)
        self._started.add(drawer)
        return drawer

    def _forget(self, drawer: Drawer) -> None:
        drawer.kill()
        self._started.discard(drawer)
        _reap(drawer)

    async def aclose(self) -> None:
        """Stop every drawer: the worker is stopping."""
        self._closed = True
        drawers = list(self._started)
        self._idle.clear()
        await asyncio.gather(*(d.stop(STOP_GRACE) for d in drawers))
        self._started.clear()
        if self._exchanges:
            await asyncio.wait(self._exchanges)


_reaping: set[asyncio.Task[Any]] = set()


def _reap(drawer: Drawer) -> None:
    """Wait for a killed drawer in the background, so it leaves no zombie behind."""
    task = asyncio.ensure_future(drawer.process.wait())
    _reaping.add(task)
    task.add_done_callback(_reaping.discard)


def _unavailable(why: str) -> ChartAnswer:
    return ChartAnswer(
        refusal=Refusal(ServiceUnavailable.code, f"{why}; retry shortly", RETRY_AFTER)
    )


def _raised(refusal: Refusal) -> Exception:
    if refusal.code == ServiceUnavailable.code:
        return ServiceUnavailable(refusal.detail, retry_after=refusal.retry_after or RETRY_AFTER)
    kind = _REFUSALS.get(refusal.code)
    if kind is None:
        return ChartDrawingFailed(refusal.detail)
    return kind(refusal.detail)
