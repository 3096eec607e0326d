"""Each chart's numbers, words and spec, from the read layer (no SQL here)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import msgspec

from api import reads
from api.charts import specs
from api.charts.model import Cell, Chart, ChartTable
from api.errors import InvalidParameter, NotFound
from api.filters import DrawFilter, DrawQuery, check_int_range
from api.models import Draw, PoolSnapshotSummary
from api.reads import Db, SeriesSpec

# Between years and band bounds in labels: an en dash, as in print.
EN_DASH = "\u2013"
# A category line that paused longer than this is drawn with a gap, not a line across it.
PAUSE = timedelta(days=183)
EVERY_ROUND = DrawFilter()


def check_width(width: int) -> int:
    """The same rule and words as ``width`` in a URL (``api.rest.charts``)."""
    check_int_range("width", width, specs.MIN_WIDTH, specs.MAX_WIDTH)
    return width


async def _source(db: Db) -> str:
    status = await reads.status(db)
    if status.newest_draw_date is None:
        return "Source: IRCC, Express Entry rounds of invitations; no round ingested yet"
    return (
        "Source: IRCC, Express Entry rounds of invitations; data as of "
        f"{status.newest_draw_date.isoformat()} (round {status.newest_draw})"
    )


def _chart(name: str, words: specs.Words, spec: dict[str, Any], table: ChartTable) -> Chart:
    return Chart(
        name=name,
        title=words.title,
        description=words.description,
        source=words.source,
        spec=spec,
        table=table,
    )


async def category_styles(db: Db) -> dict[str, specs.Style]:
    """Every category's style by slug; lines with the most rounds get the strongest colours."""
    categories = await reads.list_categories(db)
    ordered = sorted(categories, key=lambda c: (-c.draws, c.slug))
    return {
        c.slug: style
        for c, style in zip(ordered, specs.category_styles([c.name for c in ordered]), strict=True)
    }


def _with_gaps(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``points`` (date order) with a null between two rounds of a line more than PAUSE apart."""
    drawn: list[dict[str, Any]] = []
    last: dict[str, date] = {}
    for point in points:
        day = date.fromisoformat(point["date"])
        before = last.get(point["category"])
        if before is not None and day - before > PAUSE:
            gap = before + (day - before) / 2
            drawn.append({"date": gap.isoformat(), "category": point["category"], "crs_min": None})
        last[point["category"]] = day
        drawn.append(point)
    return drawn


def _span(first: date, last: date) -> str:
    return str(first.year) if first.year == last.year else f"{first.year}{EN_DASH}{last.year}"


async def crs_chart(
    db: Db,
    draw_filter: DrawFilter = EVERY_ROUND,
    *,
    width: int = specs.DEFAULT_WIDTH,
    highlight: str | None = None,
) -> Chart:
    """The cut-off CRS of every round ``draw_filter`` matches over time, one line per category;
    ``highlight``: a round to ring and label (one of those drawn)."""
    check_width(width)
    query = DrawQuery(filter=draw_filter, sort="date", limit=None)
    draws = (await reads.list_draws(db, query)).draws
    styles = await category_styles(db)
    if not draws:
        raise NotFound("no round matches these filters, so there is nothing to draw")
    present = [s for slug, s in styles.items() if any(d.category.slug == slug for d in draws)]
    points = [
        {
            "date": d.date.isoformat(),
            "number": d.number,
            "category": styles[d.category.slug].name,
            "crs_min": d.crs_min,
        }
        for d in draws
    ]
    newest = draws[-1]
    span = _span(draws[0].date, newest.date)
    marked = _highlighted(draws, highlight) if highlight is not None else None
    one = len(present) == 1
    title = "Express Entry cut-off scores" + ("" if one else " by category")
    subtitle = f"Lowest CRS score invited in each round, {span}"
    description = (
        f"Line chart of the cut-off CRS score of each Express Entry round, {span}: "
        f"{len(draws)} rounds in {len(present)} categories "
        f"({', '.join(s.name for s in present)}). Scores range from "
        f"{min(d.crs_min for d in draws)} to {max(d.crs_min for d in draws)} points. "
        f"Newest: round {newest.number} on {newest.date.isoformat()}, "
        f"{styles[newest.category.slug].name}, cut-off {newest.crs_min}."
    )
    if marked is not None:
        description += (
            f" Marked: round {marked.number} on {marked.date.isoformat()}, "
            f"cut-off {marked.crs_min}."
        )
    words = specs.Words(
        title,
        # One line: its name heads the subtitle (on a line of its own: names are long).
        [present[0].name, subtitle] if one else subtitle,
        description,
        await _source(db),
    )
    spec = specs.crs_spec(
        _with_gaps(points),
        present,
        words,
        width=width,
        highlight=_highlight_row(marked, draws) if marked is not None else None,
    )
    table = ChartTable(
        columns=("date", "number", "category", "crs_min", "invitations"),
        headers=("Date", "Round", "Category", "Cut-off CRS (points)", "Invitations"),
        rows=[
            (d.date.isoformat(), d.number, styles[d.category.slug].name, d.crs_min, d.invitations)
            for d in reversed(draws)
        ],
    )
    return _chart("crs", words, spec, table)


def _highlighted(draws: Sequence[Draw], number: str) -> Draw:
    wanted = reads.normalise_draw_number(number)
    for draw in draws:
        if draw.number == wanted:
            return draw
    raise InvalidParameter(
        f"highlight: round {wanted} is not among the rounds drawn (check the draw filters)"
    )


def _highlight_row(marked: Draw, draws: Sequence[Draw]) -> dict[str, Any]:
    # Label to the left of the ring in the right half of the time axis, so it stays inside.
    first, last = draws[0].date, draws[-1].date
    right_half = (marked.date - first) > (last - first) / 2
    return {
        "date": marked.date.isoformat(),
        "crs_min": marked.crs_min,
        "label": f"#{marked.number}: {marked.crs_min}",
        "align": "right" if right_half else "left",
    }


async def invitations_chart(
    db: Db, draw_filter: DrawFilter = EVERY_ROUND, *, width: int = specs.DEFAULT_WIDTH
) -> Chart:
    """Invitations per calendar year of the rounds ``draw_filter`` matches, stacked by
    category."""
    check_width(width)
    styles = await category_styles(db)
    rank = {slug: i for i, slug in enumerate(styles)}
    # One series per category line (every line when none is asked for), a value per year.
    lines = msgspec.structs.replace(draw_filter, categories=draw_filter.categories or (*styles,))
    series = SeriesSpec(filter=lines, frequency="year", agg="sum")
    points = [p for p in (await reads.invitation_series(db, series)).data if p.value and p.category]
    if not points:
        raise NotFound("no round matches these filters, so there is nothing to draw")
    points.sort(key=lambda p: (p.period, rank[p.category or ""]))
    slugs = {p.category for p in points}
    present = [style for slug, style in styles.items() if slug in slugs]
    rows: list[dict[str, Any]] = []
    table_rows: list[tuple[Cell, ...]] = []
    totals: dict[int, int] = {}
    for p in points:
        assert p.category is not None
        year, name, invitations = int(p.period), styles[p.category].name, int(p.value or 0)
        rows.append(
            {
                "year": year,
                "category": name,
                "invitations": invitations,
                "draws": p.draws,
                "rank": rank[p.category],
            }
        )
        table_rows.append((year, name, p.draws, invitations))
        totals[year] = totals.get(year, 0) + invitations
    years = sorted(totals)
    busiest = max(years, key=lambda y: totals[y])
    span = f"{years[0]}{EN_DASH}{years[-1]}" if len(years) > 1 else str(years[0])
    title = "Express Entry invitations per year, by category"
    description = (
        f"Stacked bar chart of invitations to apply issued per calendar year, {span}, "
        f"split by category ({', '.join(s.name for s in present)}). Most in {busiest}: "
        f"{totals[busiest]:,} invitations. {years[-1]}: {totals[years[-1]]:,} so far."
    )
    words = specs.Words(
        title,
        f"Invitations to apply issued in each calendar year, {span} (latest year to date)",
        description,
        await _source(db),
    )
    spec = specs.invitations_spec(rows, present, words, width=width)
    table = ChartTable(
        columns=("year", "category", "draws", "invitations"),
        headers=("Year", "Category", "Rounds", "Invitations"),
        rows=table_rows,
    )
    return _chart("invitations", words, spec, table)


def _band_label(crs_lo: int, crs_hi: int) -> str:
    return f"{crs_lo}{EN_DASH}{crs_hi}"


class PoolComparison(msgspec.Struct, frozen=True, kw_only=True):
    """The newest pool snapshot beside the one before it (None when there is only one)."""

    latest: PoolSnapshotSummary
    previous: PoolSnapshotSummary | None
    # (crs_lo, crs_hi, previous count, latest count, change), highest band first.
    bands: list[tuple[int, int, int | None, int, int | None]]


async def pool_comparison(db: Db) -> PoolComparison:
    """The newest snapshot's bands beside the snapshot before it, from ``reads.pool_changes``."""
    summaries = await reads.list_pool_snapshots(db)
    if not summaries:
        raise NotFound("no pool snapshot has been published")
    latest = summaries[0]
    change = next((c for c in await reads.pool_changes(db) if c.date == latest.date), None)
    bands: list[tuple[int, int, int | None, int, int | None]]
    if change is None:
        snapshot = (await reads.pool_snapshots(db, [latest.date]))[latest.date]
        bands = [(b.crs_lo, b.crs_hi, None, b.candidates, None) for b in snapshot.bands]
        subtotals = {(b.crs_lo, b.crs_hi) for b in snapshot.bands if b.is_subtotal}
        previous = None
    else:
        bands = [
            (b.crs_lo, b.crs_hi, b.previous_candidates, b.candidates, b.change)
            for b in change.bands
        ]
        subtotals = {(b.crs_lo, b.crs_hi) for b in change.bands if b.is_subtotal}
        previous = next(s for s in summaries if s.date == change.previous_date)
    kept = sorted((b for b in bands if (b[0], b[1]) not in subtotals), reverse=True)
    return PoolComparison(latest=latest, previous=previous, bands=kept)


async def pool_chart(db: Db, *, width: int = specs.DEFAULT_WIDTH) -> Chart:
    """The latest distribution of the pool by CRS band, beside the snapshot before it."""
    check_width(width)
    pool = await pool_comparison(db)
    latest, previous = pool.latest, pool.previous
    rows = []
    for rank, (lo, hi, then, now, _) in enumerate(pool.bands):
        for day, count in ((previous.date if previous else None, then), (latest.date, now)):
            if day is not None and count is not None:
                rows.append(
                    {
                        "band": _band_label(lo, hi),
                        "rank": rank,
                        "snapshot": day.isoformat(),
                        "candidates": count,
                    }
                )
    table_rows: list[tuple[Cell, ...]] = list(pool.bands)
    snapshots = [s for s in (previous, latest) if s is not None]
    title = "Express Entry pool by CRS score"
    if previous is None:
        subtitle = (
            f"Candidates in the pool on {latest.date.isoformat()}; bands as IRCC publishes them"
        )
        total_change = ""
    else:
        subtitle = (
            f"Candidates in the pool on {latest.date.isoformat()}, "
            f"beside {previous.date.isoformat()}; bands as IRCC publishes them"
        )
        total_change = f" ({latest.total - previous.total:+,} since {previous.date.isoformat()})"
    lo, hi, _, most, _ = max(pool.bands, key=lambda band: band[3])
    description = (
        f"Bar chart of candidates in the Express Entry pool by CRS score band on "
        f"{latest.date.isoformat()}: {latest.total:,} in all{total_change}. "
        f"The largest band is {_band_label(lo, hi)} with {most:,}."
    )
    words = specs.Words(title, subtitle, description, await _source(db))
    spec = specs.pool_spec(rows, [s.date.isoformat() for s in snapshots], words, width=width)
    table = ChartTable(
        columns=("crs_lo", "crs_hi", "previous", "latest", "change"),
        headers=(
            "CRS from",
            "CRS to",
            f"Candidates {previous.date.isoformat()}" if previous else "Candidates before",
            f"Candidates {latest.date.isoformat()}",
            "Change",
        ),
        rows=table_rows,
    )
    return _chart("pool", words, spec, table)
