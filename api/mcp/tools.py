"""The MCP tools: each one question of the REST API, answered by one call into ``api/reads.py``.

A tool's arguments are the REST endpoint's query parameters by the same names, read by the same
code (``api.filters``, ``api.rest.params.check_given``): a bad argument is refused in the words
of the REST 400. Each value is taken as the text a URL would carry (``481`` and ``"481"`` are
one answer), so ``DrawQuery.parse`` and ``parse_int`` see what they see from a query string.

Each answer is ``{"data": <what the REST endpoint answers as JSON>, "about": ...}``: ``about``
is what a file export says about its data (``exports.About``: the official source, where it
was loaded from, the data version, as of when) and ``query``, the REST URL that answers the
same question, so an assistant can cite it and a person can check it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import msgspec

from api import reads
from api.columns import TABLES, markdown
from api.errors import InvalidParameter
from api.filters import (
    FILTERS,
    MAX_CURSOR_LENGTH,
    MAX_LIMIT,
    SLUG,
    SORTS,
    DrawFilter,
    DrawQuery,
    parse_choice,
    parse_date,
)
from api.models import (
    BandHistory,
    Category,
    Draw,
    DrawContext,
    DrawPage,
    NextRound,
    PoolSnapshot,
    Series,
    Standing,
    Status,
    YearlyStat,
)
from api.reads import Db
from api.rest.params import check_given, missing_parameter
from api.rest.stats import GROUPINGS
from api.rest.trends import MEASURES, Measure, series_spec, standing_args

Raw = dict[str, list[str]]
JsonSchema = dict[str, Any]


class Asked(msgspec.Struct, frozen=True):
    """A question read from a tool's arguments: the REST path that asks it, and its query."""

    path: str
    query: Raw

    def url(self) -> str:
        pairs = [(name, value) for name, values in self.query.items() for value in values]
        return self.path + (f"?{urlencode(pairs)}" if pairs else "")


class ToolSpec(msgspec.Struct, frozen=True, kw_only=True):
    """One tool: its name, what it answers (the REST endpoint's words), the arguments it takes
    (name: repeatable), their JSON Schema, the model of its ``data``, and how it reads."""

    name: str
    title: str
    description: str
    arguments: Mapping[str, bool]
    properties: Mapping[str, JsonSchema]
    required: tuple[str, ...] = ()
    model: Any
    answer: Callable[[Db, Raw], Awaitable[tuple[Any, Asked]]]

    def input_schema(self) -> JsonSchema:
        schema: JsonSchema = {
            "type": "object",
            "properties": dict(self.properties),
            "additionalProperties": False,
        }
        if self.required:
            schema["required"] = list(self.required)
        return schema


def raw_arguments(arguments: Mapping[str, Any], accepted: Mapping[str, bool]) -> Raw:
    """Arguments as the values of a query string, refused as REST refuses its parameters."""
    raw: Raw = {}
    for name, value in arguments.items():
        if value is None:
            continue
        values = value if isinstance(value, list) else [value]
        raw[name] = [_text(v) for v in values]
    check_given({name: len(values) for name, values in raw.items()}, accepted)
    return raw


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return msgspec.json.encode(value).decode()


def _one(raw: Raw, name: str) -> str | None:
    values = raw.get(name)
    return values[-1] if values else None


def _required(raw: Raw, name: str, source: str = "query") -> str:
    value = _one(raw, name)
    if value is None:
        raise InvalidParameter(missing_parameter(name, source))
    return value


# --- argument schemas, from the tables the REST parameters come from ------------------------


def _filter_properties() -> dict[str, JsonSchema]:
    properties: dict[str, JsonSchema] = {}
    for spec in FILTERS:
        doc = spec.filter.description
        if spec.kind == "slug":
            item = {"type": "string", "pattern": SLUG.pattern, "maxLength": 64}
            properties[spec.name] = {
                "type": "array",
                "items": item,
                "description": doc + " (a list of slugs)",
            }
        elif spec.kind == "date":
            properties[spec.name] = {"type": "string", "format": "date", "description": doc}
        else:
            properties[spec.name] = {
                "type": "integer",
                "minimum": spec.filter.lo,
                "maximum": spec.filter.hi,
                "description": doc,
            }
    return properties


FILTER_PROPERTIES = _filter_properties()
FILTER_ARGUMENTS = {spec.name: spec.kind == "slug" for spec in FILTERS}
PAGE_PROPERTIES: dict[str, JsonSchema] = {
    "sort": {"type": "string", "enum": list(SORTS), "description": "Order; `-` for descending"},
    "limit": {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_LIMIT,
        "description": f"Rounds per page (default 50, at most {MAX_LIMIT})",
    },
    "cursor": {
        "type": "string",
        "maxLength": MAX_CURSOR_LENGTH,
        "description": "`next_cursor` of the previous page",
    },
}
NUMBER = {
    "type": "string",
    "pattern": reads.ROUND_NUMBER.pattern,
    "description": "A round number: digits, perhaps a letter (`385`, `91b`)",
}
CATEGORIES = {
    "type": "array",
    "items": {"type": "string", "pattern": SLUG.pattern, "maxLength": 64},
    "description": "Category slugs, any of them (a list; `list_categories` lists them)",
}


# --- the answers: each one read -------------------------------------------------------------


async def _list_draws(db: Db, raw: Raw) -> tuple[Any, Asked]:
    rows = await reads.list_draws(db, DrawQuery.parse(raw))
    return rows.page(), Asked("/v1/draws", raw)


async def _get_draw(db: Db, raw: Raw) -> tuple[Any, Asked]:
    number = reads.normalise_draw_number(_required(raw, "number", "path"))
    return await reads.get_draw(db, number), Asked(f"/v1/draws/{number}", {})


async def _latest_draw(db: Db, raw: Raw) -> tuple[Any, Asked]:
    categories = raw.get("category", [])
    return await reads.latest_draw(db, categories), Asked("/v1/draws/latest", raw)


async def _draw_context(db: Db, raw: Raw) -> tuple[Any, Asked]:
    number = reads.normalise_draw_number(_required(raw, "number", "path"))
    return await reads.draw_context(db, number), Asked(f"/v1/draws/{number}/context", {})


def _series(measure: Measure) -> Callable[[Db, Raw], Awaitable[tuple[Any, Asked]]]:
    async def answer(db: Db, raw: Raw) -> tuple[Any, Asked]:
        spec = series_spec(
            DrawFilter.parse(raw),
            _one(raw, "frequency"),
            _one(raw, "agg"),
            _one(raw, "transform"),
            _one(raw, "window"),
        )
        return await measure.read(db, spec), Asked(f"/v1/series/{measure.name}", raw)

    return answer


async def _yearly_stats(db: Db, raw: Raw) -> tuple[Any, Asked]:
    group_by = _one(raw, "group_by")
    by_category = (
        group_by is not None and parse_choice("group_by", group_by, GROUPINGS) == "category"
    )
    stats = await reads.yearly_stats(db, by_category=by_category)
    return stats, Asked("/v1/stats/yearly", raw)


async def _pool_snapshot(db: Db, raw: Raw) -> tuple[Any, Asked]:
    day = _one(raw, "date")
    if day is None:
        return await reads.latest_pool_snapshot(db), Asked("/v1/pool/latest", {})
    snapshot_date = parse_date("date", day)
    snapshot = await reads.get_pool_snapshot(db, snapshot_date)
    return snapshot, Asked(f"/v1/pool/{snapshot_date.isoformat()}", {})


async def _pool_band_history(db: Db, raw: Raw) -> tuple[Any, Asked]:
    band = _required(raw, "band")
    return await reads.pool_band_history(db, band), Asked("/v1/pool/bands/history", raw)


async def _standing(db: Db, raw: Raw) -> tuple[Any, Asked]:
    score, count = standing_args(_required(raw, "crs"), _one(raw, "last"))
    standing = await reads.standing(db, score, DrawFilter.parse(raw), count)
    return standing, Asked("/v1/standing", raw)


async def _list_categories(db: Db, raw: Raw) -> tuple[Any, Asked]:
    return await reads.list_categories(db), Asked("/v1/categories", {})


async def _next_round(db: Db, raw: Raw) -> tuple[Any, Asked]:
    lines = await reads.next_rounds(db, raw.get("category", []))
    return lines, Asked("/v1/forecasts/next", raw)


async def _status(db: Db, raw: Raw) -> tuple[Any, Asked]:
    return await reads.status(db), Asked("/v1/status", {})


SERIES_TOOLS = {"crs": "crs_series", "invitations": "invitation_series"}


def _series_tool(measure: Measure) -> ToolSpec:
    agg = {
        "crs": (
            "min",
            "Per period: lowest (`min`, default), highest (`max`), `mean` cut-off, "
            "or the cut-off of the `last` round",
            reads.CRS_AGGS,
        ),
        "invitations": (
            "sum",
            "Per period: invitations (`sum`, default) or rounds (`count`)",
            reads.INVITATION_AGGS,
        ),
    }[measure.name]
    return ToolSpec(
        name=SERIES_TOOLS[measure.name],
        title=measure.summary,
        description=f"{measure.summary} (REST /v1/series/{measure.name}). Of the rounds "
        "matching the draw filters: one series per `category`, or all rounds together when "
        "none is given.",
        arguments={
            **FILTER_ARGUMENTS,
            "frequency": False,
            "agg": False,
            "transform": False,
            "window": False,
        },
        properties={
            **FILTER_PROPERTIES,
            "frequency": {
                "type": "string",
                "enum": list(reads.SERIES_FREQUENCIES),
                "description": "`draw` (default): one point per round date; `month`, "
                "`quarter`, `year`: every period of the range, `value` null where no round "
                "fell",
            },
            "agg": {"type": "string", "enum": list(agg[2]), "description": agg[1]},
            "transform": {
                "type": "string",
                "enum": list(reads.SERIES_TRANSFORMS),
                "description": "`change` from the previous period, `pct_change` (percent), "
                "`yoy` (percent change from a year earlier; not with `frequency=draw`), "
                "`rolling_mean` over `window` periods",
            },
            "window": {
                "type": "integer",
                "minimum": 1,
                "maximum": reads.MAX_WINDOW,
                "description": f"Periods in a `rolling_mean` (default {reads.DEFAULT_WINDOW})",
            },
        },
        model=Series,
        answer=_series(measure),
    )


TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        name="list_draws",
        title="List rounds of invitations",
        description="Express Entry rounds of invitations matching the filters, newest first by "
        "default (REST /v1/draws). A page holds 50 rounds unless `limit` says otherwise; "
        "follow `next_cursor` (pass it as `cursor`) until it is null.",
        arguments={**FILTER_ARGUMENTS, "sort": False, "limit": False, "cursor": False},
        properties={**FILTER_PROPERTIES, **PAGE_PROPERTIES},
        model=DrawPage,
        answer=_list_draws,
    ),
    ToolSpec(
        name="get_draw",
        title="One round by its number",
        description="One round of invitations by its number, e.g. 385 or 91b (REST "
        "/v1/draws/{number}): date, category, cut-off CRS, invitations, tie-breaking rule.",
        arguments={"number": False},
        properties={"number": NUMBER},
        required=("number",),
        model=Draw,
        answer=_get_draw,
    ),
    ToolSpec(
        name="latest_draw",
        title="The newest round",
        description="The newest round of invitations, or the newest of the rounds in any of "
        "`category` (REST /v1/draws/latest).",
        arguments={"category": True},
        properties={"category": CATEGORIES},
        model=Draw,
        answer=_latest_draw,
    ),
    ToolSpec(
        name="draw_context",
        title="A round in context",
        description="A round among the others (REST /v1/draws/{number}/context): its rank in "
        "the year and in its category line, the line's year so far, the round before it in "
        "its line, and the pool snapshot published with it.",
        arguments={"number": False},
        properties={"number": NUMBER},
        required=("number",),
        model=DrawContext,
        answer=_draw_context,
    ),
    *(_series_tool(measure) for measure in MEASURES),
    ToolSpec(
        name="yearly_stats",
        title="Per-year aggregates",
        description="Per year: rounds, invitations, lowest/highest/mean cut-off CRS (REST "
        "/v1/stats/yearly); `group_by=category` gives one row per year and category line.",
        arguments={"group_by": False},
        properties={
            "group_by": {
                "type": "string",
                "enum": list(GROUPINGS),
                "description": "`category`: one row per year and category line",
            }
        },
        model=list[YearlyStat],
        answer=_yearly_stats,
    ),
    ToolSpec(
        name="pool_snapshot",
        title="The CRS distribution of the pool",
        description="A snapshot of the CRS distribution of everyone in the pool, with its "
        "bands: the newest (REST /v1/pool/latest), or the one of `date` (REST /v1/pool/{date}).",
        arguments={"date": False},
        properties={
            "date": {
                "type": "string",
                "format": "date",
                "description": "The snapshot's date (YYYY-MM-DD); default: the newest",
            }
        },
        model=PoolSnapshot,
        answer=_pool_snapshot,
    ),
    ToolSpec(
        name="pool_band_history",
        title="One CRS band over time",
        description="One CRS band's count of candidates over every pool snapshot, oldest first "
        "(REST /v1/pool/bands/history).",
        arguments={"band": False},
        properties={
            "band": {
                "type": "string",
                "enum": list(reads.BAND_VALUES),
                "description": "The band's range (`crs_lo-crs_hi`, e.g. `451-500`), or its band "
                "number (1 to 17)",
            }
        },
        required=("band",),
        model=BandHistory,
        answer=_pool_band_history,
    ),
    ToolSpec(
        name="standing",
        title="Where a CRS score stands",
        description="Where a CRS score stands (REST /v1/standing): the pool at or above it "
        "(from the newest snapshot's bands), and per category line how many of its `last` "
        "newest rounds had a cut-off at or below the score, and the newest round it would "
        "have met; the draw filters choose which rounds count.",
        arguments={**FILTER_ARGUMENTS, "crs": False, "last": False},
        properties={
            "crs": {
                "type": "integer",
                "minimum": 0,
                "maximum": reads.MAX_CRS_SCORE,
                "description": "A CRS score, an integer 0..1200",
            },
            "last": {
                "type": "integer",
                "minimum": 1,
                "maximum": reads.MAX_LAST,
                "description": f"How many of each line's newest rounds to count (default "
                f"{reads.DEFAULT_LAST})",
            },
            **FILTER_PROPERTIES,
        },
        required=("crs",),
        model=Standing,
        answer=_standing,
    ),
    ToolSpec(
        name="list_categories",
        title="Category lines",
        description="Every category line (programs and categories: CEC, healthcare, French...) "
        "with every name IRCC gave it, its slug (what the `category` arguments take), counts "
        "and first and last round, most recently drawn first (REST /v1/categories).",
        arguments={},
        properties={},
        model=list[Category],
        answer=_list_categories,
    ),
    ToolSpec(
        name="next_round",
        title="Each category line's next round, estimated",
        description="Per category line, most recently drawn first: the estimated cut-off CRS "
        "and invitations of its next round, with 80% and 95% intervals, the model a backtest "
        "picked and its scores (REST /v1/forecasts/next). A line with too few rounds since its "
        "last regime break is `insufficient_history`, one with no round for 183 days "
        "`dormant`: no estimate is guessed for them. Estimates, not announcements.",
        arguments={"category": True},
        properties={"category": CATEGORIES},
        model=list[NextRound],
        answer=_next_round,
    ),
    ToolSpec(
        name="status",
        title="Freshness of the data",
        description="Freshness (REST /v1/status): the data version, when the data last "
        "changed, the last ingest and its source, the newest round and its date, counts.",
        arguments={},
        properties={},
        model=Status,
        answer=_status,
    ),
)


# --- what the answers' fields mean: one resource, from the column tables of the files ------

FIELDS_URI = "eedraws://fields"


def fields_guide() -> str:
    """Every table's fields and what they mean (docs/exports.md's tables), for an assistant."""
    parts = [
        "# eedraws: what each field means",
        "",
        "Names are the CSV columns'; the tools answer the same values as JSON, nested where a "
        "column name joins two (`category_slug` is `category.slug`). Source: IRCC's Express "
        "Entry rounds of invitations (Open Government Licence - Canada); every answer's "
        "`about` names the file and data version.",
    ]
    for table in TABLES:
        rows = markdown(table).split("\n\nIn pandas")[0]
        parts += ["", f"## {table.title} (`{table.name}`)", "", rows]
    return "\n".join(parts) + "\n"
