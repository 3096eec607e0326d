"""Each chart's numbers, words and spec, from the read layer (no SQL here)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import msgspec

from api import reads
from api.charts import specs
from api.charts.model import Cell, Chart, ChartTable
from api.errors import NotFound, ServiceUnavailable
from api.filters import DrawFilter, DrawQuery, check_int_range
from api.models import Draw, NextRound, PoolSnapshotSummary
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


class Source(msgspec.Struct, frozen=True):
    line: str
    as_of: str


async def _source(db: Db) -> Source:
    status = await reads.status(db)
    if status.newest_draw_date is None:
        return Source(
            "Source: IRCC, Express Entry rounds of invitations; no round ingested yet", ""
        )
    as_of = status.newest_draw_date.isoformat()
    return Source(
        f"Source: IRCC, Express Entry rounds of invitations; data as of {as_of} "
        f"(round {status.newest_draw})",
        as_of,
    )


def _chart(
    name: str,
    words: specs.Words,
    spec: dict[str, Any],
    table: ChartTable,
    source: Source,
    asked: tuple[str, ...] = (),
) -> Chart:
    return Chart(
        name=name,
        title=words.title,
        description=words.description,
        source=words.source,
        spec=spec,
        table=table,
        asked=asked,
        as_of=source.as_of,
    )


def counted(n: int, thing: str, things: str | None = None) -> str:
    """``1 category``, ``2 categories``: a count with its noun in the right number."""
    return f"{n:,} {thing if n == 1 else (things or thing + 's')}"


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
    focus: Sequence[str] = (),
) -> Chart:
    """The cut-off CRS of every round ``draw_filter`` matches over time, one line per category;
    ``highlight``: a round to ring and label (one the filters leave out is not drawn, so not
    marked); ``focus``: the categories to draw in colour, the other lines in grey (by default
    every line, or past ``specs.MOST_COLOURED`` lines the ones with the most rounds drawn)."""
    check_width(width)
    query = DrawQuery(filter=draw_filter, sort="date", limit=None)
    draws = (await reads.list_draws(db, query)).draws
    styles = await category_styles(db)
    if not draws:
        raise NotFound("no round matches these filters, so there is nothing to draw")
    rounds = Counter(d.category.slug for d in draws)
    present = [slug for slug in styles if slug in rounds]
    coloured = _coloured(present, rounds, focus, styles)
    greyed = [slug for slug in present if slug not in coloured]
    others = f"{counted(len(greyed), 'other category', 'other categories')}" if greyed else None
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
    names = [styles[slug].name for slug in present]
    description = (
        f"Line chart of the cut-off CRS score of each Express Entry round, {span}: "
        f"{counted(len(draws), 'round')} in {counted(len(present), 'category', 'categories')} "
        f"({', '.join(names)}). {_score_range(draws)} "
        f"Newest: round {newest.number} on {newest.date.isoformat()}, "
        f"{styles[newest.category.slug].name}, cut-off {newest.crs_min}."
    )
    if greyed:
        description += (
            f" In colour: {', '.join(styles[slug].name for slug in coloured)}; in grey: "
            f"{', '.join(styles[slug].name for slug in greyed)}."
        )
    if marked is not None:
        description += (
            f" Marked: round {marked.number} on {marked.date.isoformat()}, "
            f"cut-off {marked.crs_min}."
        )
    source = await _source(db)
    words = specs.Words(
        title,
        # One line: its name heads the subtitle (on a line of its own: names are long).
        [styles[present[0]].name, subtitle] if one else subtitle,
        description,
        source.line,
    )
    shown = {styles[slug].name: styles[slug].name for slug in coloured}
    drawn = [
        {**point, "shown": shown.get(point["category"], others)} for point in _with_gaps(points)
    ]
    day = draw_filter.date_from, draw_filter.date_to
    estimated = await _estimates_after(db, draws)
    place = BandPlace.on(draw_filter.date_from or draws[0].date, newest.date)
    if estimated:
        words = words._replace(
            description=f"{words.description} {' '.join(estimate_sentence(e) for e in estimated)}"
        )
    spec = specs.crs_spec(
        drawn,
        [styles[slug] for slug in coloured],
        words,
        width=width,
        span=specs.TimeSpan(*(d.isoformat() if d else None for d in day)),
        others=others,
        highlight=_highlight_row(marked, draws) if marked is not None else None,
        estimates=[
            _estimate_row(
                e, styles[e.category].name, shown.get(styles[e.category].name, others), place
            )
            for e in estimated
            # A chart asked to end earlier (`to`) has no room for the band: it is left out.
            if draw_filter.date_to is None or place.end(e) <= draw_filter.date_to
        ],
    )
    table = ChartTable(
        columns=("date", "number", "category", "crs_min", "invitations"),
        headers=("Date", "Round", "Category", "Cut-off CRS (points)", "Invitations"),
        rows=[
            (d.date.isoformat(), d.number, styles[d.category.slug].name, d.crs_min, d.invitations)
            for d in reversed(draws)
        ],
    )
    asked = draw_filter.describe() + tuple(f"focus-{slug}" for slug in focus)
    if marked is not None:
        asked += (f"highlight-{marked.number}",)
    return _chart("crs", words, spec, table, source, asked)


def _score_range(draws: Sequence[Draw]) -> str:
    low, high = min(d.crs_min for d in draws), max(d.crs_min for d in draws)
    if low == high:
        return f"Every cut-off was {low} points."
    return f"Scores range from {low} to {high} points."


def _coloured(
    present: list[str], rounds: Counter[str], focus: Sequence[str], styles: dict[str, Any]
) -> list[str]:
    """The lines drawn in colour, in the styles' order (the legend's). A focus on a line with
    no round drawn (or none held) colours nothing: it is left out, as a filter matching
    nothing is (the spec cannot list the slugs the data holds)."""
    focus = [slug for slug in focus if slug in rounds]
    if focus:
        chosen = set(focus)
    elif len(present) <= specs.MOST_COLOURED:
        chosen = set(present)
    else:
        # The busiest lines of what is drawn; a tie goes to the busier line overall.
        busiest = sorted(present, key=lambda slug: (-rounds[slug], present.index(slug)))
        chosen = set(busiest[: specs.MOST_COLOURED])
    return [slug for slug in present if slug in chosen]


async def _estimates_after(db: Db, draws: Sequence[Draw]) -> list[NextRound]:
    """The next-round estimates of the lines drawn whose newest round is drawn too (a chart
    that stops earlier, by `to` or another filter, shows no band after it)."""
    last_drawn: dict[str, str] = {}
    for d in draws:
        last_drawn[d.category.slug] = d.number
    try:
        lines = await reads.next_rounds(db, list(last_drawn))
    except ServiceUnavailable:
        # A store not ingested since forecasts existed: the chart without bands.
        return []
    return [
        line
        for line in lines
        if line.crs_min is not None and last_drawn.get(line.category) == line.last_round.number
    ]


def estimate_sentence(line: NextRound) -> str:
    """A line's next-round estimate of the cut-off as a candidate reads it."""
    made = line.crs_min
    assert made is not None
    i80, i95 = made.interval_80, made.interval_95
    return (
        f"Estimate for the next {line.name} round: a cut-off of about {made.estimate:g} "
        f"(80% interval {i80.lower:g}{EN_DASH}{i80.upper:g}, 95% interval "
        f"{i95.lower:g}{EN_DASH}{i95.upper:g}). {made.in_words}"
    )


class BandPlace(msgspec.Struct, frozen=True):
    """Where a next-round band goes after a line's last round, in days: a share of the time
    axis, so it reads as a band at any span (the next round's date is not estimated)."""

    gap: timedelta
    width: timedelta

    @classmethod
    def on(cls, first: date, last: date) -> BandPlace:
        days = (last - first).days
        return cls(
            gap=timedelta(days=max(specs.ESTIMATE_GAP_DAYS, days // 60)),
            width=timedelta(days=max(specs.ESTIMATE_BAND_DAYS, days // 40)),
        )

    def end(self, line: NextRound) -> date:
        return line.last_round.date + self.gap + self.width


def _estimate_row(
    line: NextRound, name: str, shown: str | None, place: BandPlace
) -> dict[str, Any]:
    made = line.crs_min
    assert made is not None
    start = line.last_round.date + place.gap
    return {
        "category": name,
        "shown": shown,
        "start": start.isoformat(),
        "end": place.end(line).isoformat(),
        "estimate": made.estimate,
        "lower_80": made.interval_80.lower,
        "upper_80": made.interval_80.upper,
        "lower_95": made.interval_95.lower,
        "upper_95": made.interval_95.upper,
        "label": f"estimate {made.estimate:g}",
    }


def _highlighted(draws: Sequence[Draw], number: str) -> Draw | None:
    wanted = reads.normalise_draw_number(number)
    return next((draw for draw in draws if draw.number == wanted), None)


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
    issued: Counter[str] = Counter()
    for p in points:
        issued[p.category or ""] += int(p.value or 0)
    present = [slug for slug in styles if slug in issued]
    # As on the cut-off chart: past six categories the six that invited most are coloured and
    # the rest are one grey stack on top, so no two bars share a hue or need a legend hunt.
    coloured = _coloured(present, issued, (), styles)
    greyed = [slug for slug in present if slug not in coloured]
    others = f"{counted(len(greyed), 'other category', 'other categories')}" if greyed else None
    rows: list[dict[str, Any]] = []
    grey_rows: dict[int, dict[str, Any]] = {}
    table_rows: list[tuple[Cell, ...]] = []
    totals: dict[int, int] = {}
    for p in points:
        assert p.category is not None
        year, name, invitations = int(p.period), styles[p.category].name, int(p.value or 0)
        table_rows.append((year, name, p.draws, invitations))
        totals[year] = totals.get(year, 0) + invitations
        if p.category in coloured:
            rows.append(
                {
                    "year": year,
                    "category": name,
                    "invitations": invitations,
                    "draws": p.draws,
                    "rank": rank[p.category],
                }
            )
            continue
        assert others is not None
        grey = grey_rows.setdefault(
            year,
            {"year": year, "category": others, "invitations": 0, "draws": 0, "rank": len(rank)},
        )
        grey["invitations"] += invitations
        grey["draws"] += p.draws
    rows.extend(grey_rows.values())
    years = sorted(totals)
    busiest = max(years, key=lambda y: totals[y])
    span = f"{years[0]}{EN_DASH}{years[-1]}" if len(years) > 1 else str(years[0])
    title = "Express Entry invitations per year, by category"
    description = (
        f"Stacked bar chart of invitations to apply issued per calendar year, {span}, "
        f"split by category ({', '.join(styles[slug].name for slug in present)}). "
        f"Most in {busiest}: {totals[busiest]:,} invitations. "
        f"{years[-1]}: {totals[years[-1]]:,} so far."
    )
    if greyed:
        description += (
            f" In colour: {', '.join(styles[slug].name for slug in coloured)}; in grey, one "
            f"stack: {', '.join(styles[slug].name for slug in greyed)}."
        )
    source = await _source(db)
    words = specs.Words(
        title,
        f"Invitations to apply issued in each calendar year, {span} (latest year to date)",
        description,
        source.line,
    )
    drawn = [styles[slug] for slug in coloured]
    if others is not None:
        drawn.append(specs.Style(others, specs.GREY, specs.SOLID))
    spec = specs.invitations_spec(rows, drawn, words, width=width)
    table = ChartTable(
        columns=("year", "category", "draws", "invitations"),
        headers=("Year", "Category", "Rounds", "Invitations"),
        rows=table_rows,
    )
    return _chart("invitations", words, spec, table, source, draw_filter.describe())


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
    source = await _source(db)
    words = specs.Words(title, subtitle, description, source.line)
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
    return _chart("pool", words, spec, table, source)
