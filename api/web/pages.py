"""Server-rendered pages: the dashboard at ``/`` and a page per round at ``/draws/{number}``.

HTML from Jinja2 templates with autoescaping on (every value is escaped unless a template says
otherwise, and none does), no script, no external asset: the pages work offline, with
JavaScript off, and the response cache serves them like any other answer. A bad value in a
form is shown next to its field (a 400 page), not as problem+json: a person sent it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import msgspec
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar import Controller, Request, get
from litestar.datastructures import MultiDict
from litestar.params import FromPath
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from markupsafe import Markup, escape

from api import reads
from api.charts import Chart, crs_chart, invitations_chart, pool_chart
from api.charts.data import EVERY_ROUND, category_styles, estimate_sentence, pool_comparison
from api.charts.specs import DEFAULT_WIDTH, Style
from api.errors import InvalidParameter, NotFound, ServiceUnavailable
from api.filters import FILTERS, MAX_CRS, DrawFilter, DrawQuery, parse_int
from api.mcp.server import assistant_snippet
from api.models import Draw, DrawContext, Standing
from api.public_origin import ABSOLUTE_LINKS
from api.rest.params import Database

HERE = Path(__file__).parent
ASSETS = "/assets"
# Widths the dashboard draws charts at: a phone's column, the headline's and a half column.
NARROW_WIDTH = 360
HEADLINE_WIDTH = 900
HALF_WIDTH = 560
NEWEST_DRAWS = 20
HTML = "text/html"
# Numbers in chart tables: counts get thousands separators, changes a sign, the rest as is.
_KINDS = {
    "invitations": "count",
    "draws": "count",
    "previous": "count",
    "latest": "count",
    "change": "change",
    "crs_min": "number",
    "crs_lo": "number",
    "crs_hi": "number",
    "year": "number",
}


# An ISO date, with its time and zone when it has them: "2025-11-14", "2025-11-14 07:14:25 UTC".
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?Z?(?: UTC)?)?")


def unbroken_dates(value: object) -> Markup:
    """``value``, escaped, with each ISO date in it kept on one line (the ``dates`` filter).

    A narrow screen broke "2025-11-14" at its hyphens; the span's class says not to."""
    text = str(escape(value))
    return Markup(_ISO_DATE.sub(lambda m: f'<span class="date">{m.group(0)}</span>', text))


def breakable_url(url: str) -> Markup:
    """``url``, escaped, with line-break opportunities after ``?`` and before each ``&`` (the
    ``url`` filter): a long link wraps between its parameters, never inside a date."""
    text = str(unbroken_dates(url)).replace("?", "?<wbr>").replace("&amp;", "<wbr>&amp;")
    return Markup(text)


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    environment = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["dates"] = unbroken_dates
    environment.filters["url"] = breakable_url
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))


def assets_router() -> Any:
    return create_static_files_router(
        path=ASSETS, directories=[HERE / "static"], include_in_schema=False
    )


@get("/favicon.ico", include_in_schema=False, media_type="image/png", sync_to_thread=False)
def favicon() -> bytes:
    """Browsers ask for it on any page, an SVG image opened on its own included."""
    return FAVICON


FAVICON = (HERE / "static" / "favicon.png").read_bytes()


class ChartView(msgspec.Struct, frozen=True, kw_only=True):
    """A chart as a page shows it: the words and table, and where its files are."""

    chart: Chart
    urls: dict[str, str]
    kinds: list[str]
    shown_width: int


def chart_view(
    chart: Chart, params: Sequence[tuple[str, str]] = (), *, shown_width: int = DEFAULT_WIDTH
) -> ChartView:
    """``shown_width``: the width the page draws it at on a wide screen (its column's width)."""

    def url(suffix: str, extra: Sequence[tuple[str, str]] = ()) -> str:
        query = urlencode([*params, *extra])
        return f"/v1/charts/{chart.name}.{suffix}" + (f"?{query}" if query else "")

    return ChartView(
        chart=chart,
        urls={
            "svg": url("svg"),
            "svg_shown": url(
                "svg", [("width", str(shown_width))] if shown_width != DEFAULT_WIDTH else []
            ),
            "svg_narrow": url("svg", [("width", str(NARROW_WIDTH))]),
            "png": url("png"),
            "csv": url("csv"),
            "vega_lite": url("vl.json"),
        },
        kinds=[_KINDS.get(column, "text") for column in chart.table.columns],
        shown_width=shown_width,
    )


class PickerEntry(msgspec.Struct, frozen=True, kw_only=True):
    slug: str
    name: str
    draws: int
    style: Style
    checked: bool


# The draw filters the dashboard's picker has fields for; any other filter of /v1/draws that a
# shared link carries is applied too and kept through the forms as hidden fields.
PICKED = ("category", "from", "to")


class DashboardForm(msgspec.Struct, frozen=True, kw_only=True):
    """What the page's forms were sent, as typed, to fill them in again."""

    # Each draw filter's non-blank values, by its name in the URL (a blank field is no filter).
    filters: dict[str, list[str]]
    crs: str

    @classmethod
    def from_query(cls, query: MultiDict[str]) -> DashboardForm:
        def given(name: str) -> list[str]:
            return [value.strip() for value in query.getall(name, []) if value.strip()]

        filters = {spec.name: given(spec.name) for spec in FILTERS}
        crs = given("crs")
        return cls(filters={k: v for k, v in filters.items() if v}, crs=crs[-1] if crs else "")

    @property
    def categories(self) -> list[str]:
        return self.filters.get("category", [])

    @property
    def date_from(self) -> str:
        return self.filters.get("from", [""])[-1]

    @property
    def date_to(self) -> str:
        return self.filters.get("to", [""])[-1]

    @property
    def other_filters(self) -> list[tuple[str, str]]:
        """The filters the picker has no field for, as hidden fields' names and values."""
        return [(k, v) for k, values in self.filters.items() if k not in PICKED for v in values]

    def draw_filter(self) -> DrawFilter:
        return DrawFilter.parse(self.filters)

    def score(self) -> int | None:
        if not self.crs:
            return None
        return parse_int("crs", self.crs, 0, MAX_CRS)


def chart_params(f: DrawFilter) -> list[tuple[str, str]]:
    """``f`` as a chart URL's query: every draw filter it sets, by its name in the URL."""
    params: list[tuple[str, str]] = []
    for spec in FILTERS:
        value = getattr(f, spec.attr)
        if spec.kind == "slug":
            params.extend((spec.name, slug) for slug in value)
        elif value is not None:
            params.append((spec.name, str(value)))
    return params


def _friendly(detail: str) -> str:
    return detail.replace("`", "")


async def _as_of(db: Database) -> str:
    status = await reads.status(db)
    if status.newest_draw_date is None:
        return "no round ingested yet"
    return f"data as of {status.newest_draw_date.isoformat()} (round {status.newest_draw})"


# The draws' feeds (issue 11), advertised on every page once the app serves them.
FEEDS = (
    ("/v1/draws.atom", "application/atom+xml", "Express Entry rounds (Atom)"),
    ("/v1/draws.feed.json", "application/feed+json", "Express Entry rounds (JSON Feed)"),
)


def _feeds(request: Request[Any, Any, Any], query: str = "") -> list[dict[str, str]]:
    """The feeds the app serves; ``query``: a draw filter's, for the feeds of those rounds."""
    state = request.app.state
    if "page_feeds" not in state:
        served = {route.path for route in request.app.routes}
        state.page_feeds = [
            {"href": path, "type": media_type, "title": title}
            for path, media_type, title in FEEDS
            if path in served
        ]
    feeds: list[dict[str, str]] = state.page_feeds
    if not query:
        return feeds
    return [
        {**feed, "href": f"{feed['href']}?{query}", "title": f"{feed['title']}, as filtered"}
        for feed in feeds
    ]


def _page(
    request: Request[Any, Any, Any],
    name: str,
    context: Mapping[str, Any],
    status: int = 200,
    *,
    feed_query: str = "",
) -> Template:
    return Template(
        template_name=name,
        context={"assets": ASSETS, "feeds": _feeds(request, feed_query), **context},
        media_type=HTML,
        status_code=status,
    )


# A draw filter in words, for the line that says what the page shows ("from 2024-01-01").
_FILTER_WORDS = {
    "from": "from {}",
    "to": "to {}",
    "min_crs": "cut-off at least {}",
    "max_crs": "cut-off at most {}",
    "min_invitations": "at least {:,} invitations",
}


def filter_words(f: DrawFilter, names: Mapping[str, str]) -> str:
    """What ``f`` chooses, as a person would say it: ``Healthcare, CEC; from 2024-01-01``."""
    parts: list[str] = []
    for spec in FILTERS:
        value = getattr(f, spec.attr)
        if spec.kind == "slug":
            if value:
                parts.append(", ".join(names.get(slug, slug) for slug in value))
        elif value is not None:
            parts.append(_FILTER_WORDS.get(spec.name, spec.name + " {}").format(value))
    return "; ".join(parts)


class PagesController(Controller):
    include_in_schema = False
    # A page takes what its forms send and ignores anything else (a shared link may carry
    # tracking parameters): a person must not get an error page for them.
    opt = {"any_query_params": True}  # noqa: RUF012 (Litestar reads it as a class attribute)

    # The assistant section names this server's /mcp URL (api/mcp/server.py).
    @get("/", opt={ABSOLUTE_LINKS: True})
    async def dashboard(self, request: Request[Any, Any, Any], db: Database) -> Template:
        form = DashboardForm.from_query(request.query_params)
        status = 200
        filter_error = crs_error = None
        try:
            f = form.draw_filter()
        except InvalidParameter as error:
            f, filter_error, status = DrawFilter(), _friendly(error.detail), 400
        # The API answers an empty range with no rounds; a person is told why next to the field.
        if (why := f.empty_range()) is not None:
            f, filter_error, status = DrawFilter(), _friendly(why), 400
        try:
            score = form.score()
        except InvalidParameter as error:
            score, crs_error, status = None, _friendly(error.detail), 400

        styles = await category_styles(db)
        categories = {c.slug: c for c in await reads.list_categories(db)}
        unknown = [slug for slug in f.categories if slug not in categories]
        if unknown:
            filter_error = f"unknown category {', '.join(unknown)}"
            f, status = DrawFilter(), 400
        # Every section of rounds shows the rounds the filter chooses: the charts, the table,
        # the files and feeds it links, the standing's rounds. The pool is not rounds: it says so.
        params = chart_params(f)
        query = urlencode(params)
        crs_view, crs_message = None, ""
        try:
            crs_view = chart_view(await crs_chart(db, f), params, shown_width=HEADLINE_WIDTH)
        except NotFound:
            crs_message = "No round matches these filters."
        chosen = await reads.list_draws(db, DrawQuery(filter=f, limit=NEWEST_DRAWS))
        every = (await reads.list_draws(db, DrawQuery(limit=1))).draws
        names = {slug: style.name for slug, style in styles.items()}
        estimates = await estimates_in_words(db, f.categories)
        context: dict[str, Any] = {
            "as_of": await _as_of(db),
            "form": form,
            "filter_error": filter_error,
            "crs_error": crs_error,
            "crs": crs_view,
            "crs_message": crs_message,
            "estimates": estimates,
            "filtered": filter_words(f, names),
            "matching": len(crs_view.chart.table.rows) if crs_view else 0,
            "query": query,
            "picker": [
                PickerEntry(
                    slug=slug,
                    name=style.name,
                    draws=categories[slug].draws,
                    style=style,
                    checked=slug in f.categories,
                )
                for slug, style in styles.items()
            ],
            "draws": chosen.draws,
            "newest": every[0] if every else None,
            "total_draws": sum(c.draws for c in categories.values()),
            "first_date": min(
                (c.first_draw_date for c in categories.values() if c.first_draw_date),
                default=None,
            ),
            "standing": None,
            "assistant": assistant_snippet(request.app.state.public_origin.of(request.scope)),
            **await _yearly_and_pool(db, f, params),
        }
        if score is not None:
            context["standing"] = await standing_view(db, score, f)
        return _page(request, "dashboard.html", context, status, feed_query=query)

    @get("/draws/{number:str}")
    async def draw_page(
        self, request: Request[Any, Any, Any], db: Database, number: FromPath[str]
    ) -> Template:
        try:
            draw = await reads.get_draw(db, number)
        except (NotFound, InvalidParameter) as error:
            context = {"as_of": await _as_of(db), "message": _friendly(error.detail)}
            return _page(request, "not_found.html", context, 404)
        return _page(request, "draw.html", await draw_context_view(db, draw))


async def _yearly_and_pool(
    db: Database, f: DrawFilter, params: Sequence[tuple[str, str]]
) -> dict[str, Any]:
    found: dict[str, Any] = {"invitations": None, "pool": None, "pool_sentence": ""}
    with contextlib.suppress(NotFound):
        found["invitations"] = chart_view(
            await invitations_chart(db, f), params, shown_width=HALF_WIDTH
        )
    try:
        found["pool"] = chart_view(await pool_chart(db), shown_width=HALF_WIDTH)
        pool = await pool_comparison(db)
    except NotFound:
        return found
    latest, previous = pool.latest, pool.previous
    sentence = f"{latest.total:,} candidates in the pool on {latest.date.isoformat()}"
    if previous is not None:
        sentence += f", {latest.total - previous.total:+,} since {previous.date.isoformat()}"
    found["pool_sentence"] = sentence + "."
    return found


class EstimateWords(msgspec.Struct, frozen=True, kw_only=True):
    """A line's next round as the pages say it: an estimate and its record, or why none."""

    slug: str
    name: str
    estimated: bool
    sentence: str


async def estimates_in_words(db: Database, categories: Sequence[str]) -> list[EstimateWords]:
    """The lines with an estimate (of ``categories``, or all), and each asked-for line without
    one with the reason: a page shows what the chart's bands are and what is not drawn."""
    try:
        lines = await reads.next_rounds(db, categories)
    except ServiceUnavailable:
        return []
    return [
        EstimateWords(
            slug=line.category,
            name=line.name,
            estimated=line.crs_min is not None,
            sentence=estimate_sentence(line) if line.crs_min is not None else line.message,
        )
        for line in lines
        if line.crs_min is not None or line.category in categories
    ]


class StandingView(msgspec.Struct, frozen=True, kw_only=True):
    standing: Standing
    pool_sentence: str


async def standing_view(db: Database, score: int, f: DrawFilter = EVERY_ROUND) -> StandingView:
    """``reads.standing`` for the rounds ``f`` chooses, with the pool's answer as a sentence."""
    standing = await reads.standing(db, score, f)
    pool = standing.pool
    sentence = ""
    if pool is not None:
        about = "" if pool.exact else "about "
        sentence = (
            f"{about}{pool.candidates_at_or_above:,} of the {pool.total:,} candidates in the "
            f"pool on {pool.date.isoformat()} ({pool.share:.1%}) have a CRS score of {score} "
            "or more."
        )
        sentence = sentence[0].upper() + sentence[1:]
    return StandingView(standing=standing, pool_sentence=sentence)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _points(n: int) -> str:
    return f"{abs(n)} point{'' if abs(n) == 1 else 's'}"


def context_facts(context: DrawContext, name: str) -> list[str]:
    """The facts an article about a round states, as sentences."""
    year, line = context.year_to_date, context.category_year_to_date
    facts = [
        f"The {_ordinal(context.year_rank)} round of {context.year} and the "
        f"{_ordinal(context.category_year_rank)} for {name} that year.",
    ]
    if line.draws > 1:
        facts.append(
            f"{name} rounds of {context.year} so far: cut-offs from {line.crs_min} to "
            f"{line.crs_max}, {line.invitations_min:,} to {line.invitations_max:,} invitations a "
            f"round, {line.invitations_total:,} in all."
        )
    facts.append(
        f"All rounds of {context.year} up to this one: {year.draws}, "
        f"{year.invitations_total:,} invitations."
    )
    previous = context.previous_in_category
    if previous is None:
        facts.append(f"The first {name} round.")
    else:
        if previous.crs_change == 0:
            moved = "the same cut-off"
        else:
            moved = (
                f"{_points(previous.crs_change)} {'higher' if previous.crs_change > 0 else 'lower'}"
            )
        facts.append(
            f"The previous {name} round, #{previous.number} on {previous.date.isoformat()} "
            f"({previous.days_between} days before), had a cut-off of {previous.crs_min} and "
            f"{previous.invitations:,} invitations: this one was {moved}."
        )
    if context.pool_snapshot is not None:
        facts.append(
            f"The pool held {context.pool_snapshot.total:,} candidates on "
            f"{context.pool_snapshot.date.isoformat()}."
        )
    return facts


async def draw_context_view(db: Database, draw: Draw) -> dict[str, Any]:
    snapshot = None
    if draw.pool_snapshot_date is not None:
        found = await reads.pool_snapshots(db, [draw.pool_snapshot_date])
        snapshot = found.get(draw.pool_snapshot_date)
    styles = await category_styles(db)
    chart_from = _year_start(draw.date, 3)
    line = DrawFilter(categories=(draw.category.slug,), date_from=date.fromisoformat(chart_from))
    chart = chart_view(
        await crs_chart(db, line, highlight=draw.number),
        [*chart_params(line), ("highlight", draw.number)],
    )
    return {
        "as_of": await _as_of(db),
        "draw": draw,
        "snapshot": snapshot,
        "style": styles.get(draw.category.slug),
        "context": context_facts(await reads.draw_context(db, draw.number), draw.category.name),
        "estimates": await estimates_in_words(db, [draw.category.slug]),
        "has_context": True,
        "chart_from": chart_from,
        "chart": chart,
    }


def _year_start(day: date, years_back: int) -> str:
    return date(day.year - years_back, 1, 1).isoformat()
