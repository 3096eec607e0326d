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
    # For its files' names, as every export is named: what was asked (``("healthcare",
    # "from-2024-01-01")``) and the date the data is as of (the newest round's).
    asked: tuple[str, ...] = ()
    as_of: str = ""
