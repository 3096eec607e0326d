"""A chart process: ``python -m api.charts.drawer``, started by a worker's ``ChartDrawers``.

Reads a ``DrawerConfig`` then ``ChartOrder`` frames on stdin; for each, reads the rows through
the serving database, builds the chart and answers its bytes (or the error) on stdout. Exits
when stdin closes: the worker stopped or died. See ``api.charts.drawers``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import BinaryIO

import msgspec

from api import db, read_pool
from api.charts.data import crs_chart, invitations_chart, pool_chart
from api.charts.drawers import (
    ChartAnswer,
    ChartOrder,
    DrawerConfig,
    DrawnChart,
    Refusal,
    frame,
    read_frame,
)
from api.charts.model import Chart
from api.charts.render import FORMATS
from api.errors import ApiError, InvalidParameter
from api.reads import Db

log = logging.getLogger("eedraws.charts.drawer")

# Below the workers (0): when CPU is short, answers from the cache and the database go first
# and charts wait. 10, not 19: at 19 a chart on a machine kept busy by anything else waits
# for as long as that lasts (CFS gives nice 10 about a tenth of a nice-0 task's share).
NICENESS = 10

# Each chart's parameters from an order.
CHARTS: dict[str, Callable[[Db, ChartOrder], Awaitable[Chart]]] = {
    "crs": lambda rows, o: crs_chart(
        rows, o.draw_filter, width=o.width, highlight=o.highlight, focus=o.focus
    ),
    "invitations": lambda rows, o: invitations_chart(rows, o.draw_filter, width=o.width),
    "pool": lambda rows, o: pool_chart(rows, width=o.width),
}


async def answer(rows: Db, order: ChartOrder) -> ChartAnswer:
    build, encode = CHARTS.get(order.chart), FORMATS.get(order.format)
    try:
        if build is None or encode is None:
            raise InvalidParameter(f"no chart {order.chart}.{order.format}")
        chart = await build(rows, order)
        drawn = DrawnChart(
            body=encode(chart), name=chart.name, asked=chart.asked, as_of=chart.as_of
        )
        return ChartAnswer(drawn=drawn)
    except ApiError as exc:
        return ChartAnswer(refusal=Refusal(exc.code, exc.detail, getattr(exc, "retry_after", 0)))
    except Exception:
        log.exception("drawing %s failed", order)
        return ChartAnswer(refusal=Refusal("internal", "drawing this chart failed"))


@contextlib.asynccontextmanager
async def serving_reads(config: DrawerConfig) -> AsyncIterator[tuple[Db, list[int]]]:
    """The serving database as a worker reads it (replica, then the primary while it is down),
    on one connection: this process draws one chart at a time. Yields it and a one-item list
    the caller keeps at the data version the worker serves."""
    served = [0]
    pool = await db.create_pool(
        config.serving_url, min_size=0, max_size=1, timeouts=config.timeouts
    )
    fallback = None
    if config.fallback_url:
        fallback = await db.create_pool(
            config.fallback_url, min_size=0, max_size=1, timeouts=config.timeouts
        )
    try:
        if fallback is None:
            yield db.ServingDb(pool, config.timeouts), served
            return
        reads = read_pool.ReadPool(pool, fallback, timeouts=config.timeouts)
        healthy = asyncio.ensure_future(reads.keep_healthy(lambda: served[0]))
        try:
            yield read_pool.ServingReads(reads), served
        finally:
            healthy.cancel()
    finally:
        for opened in (pool, fallback):
            if opened is not None:
                opened.terminate()


async def serve(orders: asyncio.StreamReader, answers: BinaryIO) -> None:
    first = await read_frame(orders)
    if first is None:
        return
    config = msgspec.msgpack.decode(first, type=DrawerConfig)
    async with serving_reads(config) as (rows, served):
        while (body := await read_frame(orders)) is not None:
            order = msgspec.msgpack.decode(body, type=ChartOrder)
            served[0] = max(served[0], order.data_version)
            answers.write(frame(await answer(rows, order)))
            answers.flush()


async def _main(answers: BinaryIO) -> None:
    orders = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(orders), sys.stdin)
    with contextlib.suppress(BrokenPipeError):  # the worker is gone: nobody to answer
        await serve(orders, answers)


def main() -> None:
    # Answers go to a copy of stdout; stdout itself becomes stderr, so nothing printed by a
    # library (or a stray print) can corrupt the frames the worker reads.
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    os.nice(NICENESS)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(answers))


if __name__ == "__main__":
    main()
