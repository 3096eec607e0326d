"""A chart as SVG, PNG, Vega-Lite JSON or CSV: the bytes of each format, from a ``Chart``.

vl-convert runs Vega in an embedded JavaScript engine: no browser, no network. Drawing is CPU
work that holds the GIL (tens to hundreds of milliseconds, more for the first chart a process
draws), so these run in a chart process, never in a serving worker (``api.charts.drawers``).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from html import escape

import msgspec
import vl_convert

from api.charts.model import Chart

PNG_SCALE = 2  # sharp on high-density screens and in social cards

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


def svg(chart: Chart) -> bytes:
    return accessible_svg(vl_convert.vegalite_to_svg(chart.spec), chart).encode("utf-8")


def png(chart: Chart) -> bytes:
    drawn: bytes = vl_convert.vegalite_to_png(chart.spec, scale=PNG_SCALE)
    return drawn


def vega_lite_json(chart: Chart) -> bytes:
    return msgspec.json.encode(chart.spec)


def table_csv(chart: Chart) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(chart.table.columns)
    writer.writerows(("" if cell is None else cell for cell in row) for row in chart.table.rows)
    return buffer.getvalue().encode("utf-8")


# A chart's bytes by the suffix of its URL.
FORMATS: dict[str, Callable[[Chart], bytes]] = {
    "svg": svg,
    "png": png,
    "vl.json": vega_lite_json,
    "csv": table_csv,
}
