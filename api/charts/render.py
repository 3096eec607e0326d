"""A chart as SVG, PNG, Vega-Lite JSON or CSV.

vl-convert runs Vega in an embedded JavaScript engine: no browser, no network. Drawing is CPU
work (tens of milliseconds, more for the first chart a process draws), so it runs in a worker
thread, one drawing at a time per process, and the response cache keeps the result per data
version: a chart is drawn once per ingest, not per request.
"""

from __future__ import annotations

import csv
import io
import re
from html import escape

import anyio
import msgspec
import vl_convert
from anyio import to_thread

from api.charts.model import Chart
from api.errors import ServiceUnavailable

PNG_SCALE = 2  # sharp on high-density screens and in social cards
# Distinct charts waiting to be drawn in this process (the cache lets one request per URL
# through). Past this, a 503 with Retry-After: a flood of new URLs (every width, every filter)
# must not queue minutes of CPU work behind it.
MAX_WAITING = 8
_one_at_a_time = anyio.CapacityLimiter(1)


def _admit() -> None:
    if _one_at_a_time.statistics().tasks_waiting >= MAX_WAITING:
        raise ServiceUnavailable(
            f"{MAX_WAITING} charts are already waiting to be drawn here; retry shortly",
            retry_after=2,
        )


_SVG_OPEN = re.compile(r"<svg\b[^>]*>")


def accessible_svg(svg: str, chart: Chart) -> str:
    """``svg`` with ``<title>`` and ``<desc>`` first and ``role="img"``, for screen readers."""
    match = _SVG_OPEN.search(svg)
    if match is None:
        raise ValueError("vl-convert returned no <svg> element")
    ids = f"eedraws-{chart.name}-title eedraws-{chart.name}-desc"
    opening = match.group(0)[:-1] + f' role="img" aria-labelledby="{ids}">'
    words = (
        f'<title id="eedraws-{chart.name}-title">{escape(chart.title)}</title>'
        f'<desc id="eedraws-{chart.name}-desc">{escape(chart.description)} '
        f"{escape(chart.source)}</desc>"
    )
    return svg[: match.start()] + opening + words + svg[match.end() :]


def _svg(chart: Chart) -> bytes:
    return accessible_svg(vl_convert.vegalite_to_svg(chart.spec), chart).encode("utf-8")


def _png(chart: Chart) -> bytes:
    png: bytes = vl_convert.vegalite_to_png(chart.spec, scale=PNG_SCALE)
    return png


async def svg(chart: Chart) -> bytes:
    _admit()
    return await to_thread.run_sync(_svg, chart, limiter=_one_at_a_time)


async def png(chart: Chart) -> bytes:
    _admit()
    return await to_thread.run_sync(_png, chart, limiter=_one_at_a_time)


def vega_lite_json(chart: Chart) -> bytes:
    return msgspec.json.encode(chart.spec)


def table_csv(chart: Chart) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(chart.table.columns)
    writer.writerows(("" if cell is None else cell for cell in row) for row in chart.table.rows)
    return buffer.getvalue().encode("utf-8")
