"""What a chart is, independent of how it is drawn: its spec, its words and its data."""

from __future__ import annotations

from typing import Any

import msgspec

Cell = str | int | float | None


class ChartTable(msgspec.Struct, frozen=True, kw_only=True):
    """The numbers a chart draws, as a table: CSV columns and the page's ``<details>`` table."""

    columns: tuple[str, ...]
    headers: tuple[str, ...]
    rows: list[tuple[Cell, ...]]


class Chart(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    title: str
    description: str
    source: str
    spec: dict[str, Any]
    table: ChartTable
