"""Next-round estimates of every category line, stored in the ingest transaction.

``api.forecasts`` computes them from the rounds just written; requests only read what is
stored here (docs/forecasts.md). They are written again whenever the rounds changed, or when
the stored ones were made by another method (``forecasts.METHOD``, as ``csv_format`` does for
the CSV lines): derived data must never outlive what it was derived from.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec

from api import forecasts
from api.db import query
from api.ingest.ircc import ParsedFile, ParsedRound
from api.models import BacktestRow


async def forecasts_are_current(conn: asyncpg.Connection) -> bool:
    """Whether the stored forecasts were made by this release's method."""
    method: str | None = await conn.fetchval(query("forecast_method"))
    return method == forecasts.METHOD


async def store_forecasts(conn: asyncpg.Connection) -> int:
    """Every line's forecast, from the stored rounds, replacing what was stored; returns how
    many lines got an estimate. Run inside the ingest's transaction."""
    lines: dict[int, forecasts.Line] = {}
    for r in await conn.fetch(query("forecast_rounds")):
        line = lines.get(r["category_id"])
        if line is None:
            line = lines[r["category_id"]] = forecasts.Line(
                slug=r["slug"], name=r["name"], kind=r["kind"], rounds=[]
            )
        line.rounds.append(
            forecasts.LineRound(
                number=r["number"],
                date=r["draw_date"],
                version=r["category_version"],
                crs_min=r["crs_min"],
                invitations=r["invitations"],
            )
        )
    await conn.execute(query("forget_forecasts"))
    await conn.execute(query("set_forecast_method"), forecasts.METHOD)
    made = forecasts.forecast_lines(list(lines.values()))
    ids = {line.slug: category_id for category_id, line in lines.items()}
    answers = [
        (ids[f.next_round.category], msgspec.json.encode(f.next_round).decode()) for f in made
    ]
    rows = [(ids[f.next_round.category], i, row) for f in made for i, row in enumerate(f.rows)]
    await conn.executemany(query("insert_forecast"), answers)
    if rows:
        await conn.execute(query("insert_backtest_rows"), *_columns(rows))
    return sum(f.next_round.status == "estimate" for f in made)


_FIELDS = tuple(f.name for f in msgspec.structs.fields(BacktestRow))


def _columns(rows: list[tuple[int, int, BacktestRow]]) -> list[list[Any]]:
    """``rows`` as the column arrays ``insert_backtest_rows`` unnests."""
    return [
        [category_id for category_id, _, _ in rows],
        [position for _, position, _ in rows],
        *([getattr(row, name) for _, _, row in rows] for name in _FIELDS),
    ]


def lines_of_file(parsed: ParsedFile) -> list[forecasts.Line]:
    """A rounds file's lines as ingest stores them, each named after its newest round (as
    ``store._name_categories`` does), so ``eedraws backtest`` reproduces the stored forecasts
    from the file alone."""
    rounds: dict[str, list[forecasts.LineRound]] = {}
    newest: dict[str, ParsedRound] = {}
    for r in sorted(parsed.rounds, key=lambda r: (r.draw_date, r.seq)):
        newest[r.category.slug] = r
        rounds.setdefault(r.category.slug, []).append(
            forecasts.LineRound(
                number=r.number,
                date=r.draw_date,
                version=r.category.version,
                crs_min=r.crs_min,
                invitations=r.invitations,
            )
        )
    return [
        forecasts.Line(
            slug=slug,
            name=newest[slug].category.name,
            kind=newest[slug].category.kind,
            rounds=found,
        )
        for slug, found in rounds.items()
    ]
