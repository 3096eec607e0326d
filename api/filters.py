"""The draw filter, declared once: which rounds, in which order, how many.

``DrawFilter``'s fields are the table of filters. Each field's ``Filter`` says the parameter's
API name, the ``draws_v`` column it compares and how, its bounds and its description. From that
one table come the SQL predicates (``reads``), the REST query parameters and their OpenAPI
documentation (``api.rest.params``), parsing of raw query strings with errors in the API's own
words, and GraphQL's mapping (``api.graphql.types``). Adding a filter is one field here.

A ``DrawFilter`` validates itself when it is made (bounds, de-duplication), however it is made,
so no caller re-checks. A well-formed filter that no round can match (``from`` after ``to``,
``min_crs`` above ``max_crs``, a category slug no round has) is a question with an empty
answer, not an error: the OpenAPI document cannot state cross-field rules or the slugs the data
holds, and what it calls valid the server answers (docs/contract-testing.md).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import typing
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

import msgspec

from api.errors import InvalidParameter

MAX_LIMIT = 500
DEFAULT_LIMIT = 50
MAX_CURSOR_LENGTH = 200
# Echoed values are cut here: an error must not hand a 10 KB parameter back.
ECHO_LIMIT = 80

DrawSort = Literal["date", "-date", "crs_min", "-crs_min", "invitations", "-invitations"]
SORTS: tuple[str, ...] = typing.get_args(DrawSort)

Kind = Literal["slug", "date", "int"]
Op = Literal[">=", "<=", "any"]


class Filter(msgspec.Struct, frozen=True):
    """One filter: its API name, the ``draws_v`` column it compares, bounds, documentation."""

    name: str
    column: str
    op: Op
    description: str
    lo: int | None = None
    hi: int | None = None
    # GraphQL's input field, when it is not the name in camelCase.
    graphql: str | None = None


MAX_CRS = 1200
# Largest round so far: 27,332 (13 Feb 2021). A bound keeps values inside PostgreSQL's int.
MAX_INVITATIONS = 100_000
# More category lines than IRCC has ever had; a list past it is not a question, it is a load.
MAX_SLUGS = 50
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class DrawFilter(msgspec.Struct, frozen=True, kw_only=True):
    """Which draws. Every field is one filter; empty or ``None`` means "any"."""

    categories: Annotated[
        tuple[str, ...],
        Filter(
            "category",
            "category_slug",
            "any",
            "Category slugs, any of them (listed at /v1/categories)",
            graphql="categories",
        ),
    ] = ()
    date_from: Annotated[
        dt.date | None,
        Filter("from", "draw_date", ">=", "Rounds on or after this date (YYYY-MM-DD)"),
    ] = None
    date_to: Annotated[
        dt.date | None,
        Filter("to", "draw_date", "<=", "Rounds on or before this date (YYYY-MM-DD)"),
    ] = None
    min_crs: Annotated[
        int | None,
        Filter("min_crs", "crs_min", ">=", "Cut-off CRS at least this", lo=0, hi=MAX_CRS),
    ] = None
    max_crs: Annotated[
        int | None,
        Filter("max_crs", "crs_min", "<=", "Cut-off CRS at most this", lo=0, hi=MAX_CRS),
    ] = None
    min_invitations: Annotated[
        int | None,
        Filter(
            "min_invitations",
            "invitations",
            ">=",
            "At least this many invitations",
            lo=0,
            hi=MAX_INVITATIONS,
        ),
    ] = None

    def __post_init__(self) -> None:
        for spec in FILTERS:
            value = getattr(self, spec.attr)
            if spec.kind == "slug":
                if len(value) > MAX_SLUGS:
                    raise InvalidParameter(
                        f"`{spec.name}` takes at most {MAX_SLUGS} values, got {len(value)}"
                    )
                for slug in value:
                    check_slug(spec.name, slug)
                msgspec.structs.force_setattr(self, spec.attr, tuple(dict.fromkeys(value)))
            elif spec.kind == "int" and value is not None:
                check_int_range(spec.name, value, spec.filter.lo, spec.filter.hi)

    def empty_range(self) -> str | None:
        """Why no round can match, when a low bound is above its high bound (for people: the
        dashboard says so next to the field; the API answers the empty result)."""
        for low, high in RANGES:
            lo_value, hi_value = getattr(self, low.attr), getattr(self, high.attr)
            if lo_value is not None and hi_value is not None and lo_value > hi_value:
                relation = "after" if low.kind == "date" else "above"
                return f"`{low.name}` ({lo_value}) is {relation} `{high.name}` ({hi_value})"
        return None

    def args(self) -> tuple[Any, ...]:
        """The SQL arguments, in ``FILTERS`` order (empty tuples as NULL)."""
        return tuple(
            (list(v) or None) if spec.kind == "slug" else v
            for spec, v in ((s, getattr(self, s.attr)) for s in FILTERS)
        )

    def describe(self) -> tuple[str, ...]:
        """What it asks, for a file name: slugs as they are, other filters as name-value."""
        parts: list[str] = []
        for spec in FILTERS:
            value = getattr(self, spec.attr)
            if spec.kind == "slug":
                parts.extend(value)
            elif value is not None:
                parts.append(f"{spec.name}-{value}")
        return tuple(parts)

    @classmethod
    def parse(cls, raw: Mapping[str, Sequence[str]]) -> DrawFilter:
        """From raw query values by API name (REST), with errors in the API's words."""
        values: dict[str, Any] = {}
        for spec in FILTERS:
            given = raw.get(spec.name)
            if not given:
                continue
            if spec.kind == "slug":
                values[spec.attr] = tuple(given)
            elif spec.kind == "date":
                values[spec.attr] = parse_date(spec.name, given[-1])
            else:
                values[spec.attr] = parse_int(spec.name, given[-1], spec.filter.lo, spec.filter.hi)
        return cls(**values)

    @classmethod
    def from_fields(cls, fields: Mapping[str, Any]) -> DrawFilter:
        """From typed values by GraphQL input field name (``None`` or absent: any)."""
        values: dict[str, Any] = {}
        for spec in FILTERS:
            value = fields.get(spec.graphql_name)
            if value is not None:
                values[spec.attr] = tuple(value) if spec.kind == "slug" else value
        try:
            return cls(**values)
        except InvalidParameter as error:
            # The same rule, in the names the GraphQL client wrote.
            detail = error.detail
            for spec in FILTERS:
                detail = detail.replace(f"`{spec.name}`", f"`{spec.graphql_name}`")
            raise InvalidParameter(detail) from None


class FilterField(msgspec.Struct, frozen=True):
    """A ``DrawFilter`` field with its ``Filter``: what the rest of the code iterates."""

    attr: str
    kind: Kind
    filter: Filter

    @property
    def name(self) -> str:
        return self.filter.name

    @property
    def graphql_name(self) -> str:
        head, *rest = self.filter.name.split("_")
        return self.filter.graphql or head + "".join(part.title() for part in rest)


def _kind(annotation: Any) -> Kind:
    args = set(typing.get_args(annotation)) - {type(None)} or {annotation}
    if dt.date in args:
        return "date"
    if int in args:
        return "int"
    return "slug"


def _filter_fields() -> tuple[FilterField, ...]:
    hints = typing.get_type_hints(DrawFilter, include_extras=True)
    found = []
    for attr in DrawFilter.__struct_fields__:
        base, spec = typing.get_args(hints[attr])
        found.append(FilterField(attr, _kind(base), spec))
    return tuple(found)


FILTERS: tuple[FilterField, ...] = _filter_fields()


def _ranges() -> tuple[tuple[FilterField, FilterField], ...]:
    """Pairs of filters bounding one column from below and above (``from``/``to``)."""
    lows = {f.filter.column: f for f in FILTERS if f.filter.op == ">="}
    return tuple(
        (lows[f.filter.column], f)
        for f in FILTERS
        if f.filter.op == "<=" and f.filter.column in lows
    )


RANGES = _ranges()


@functools.cache
def where_clause(first_arg: int = 1) -> str:
    """``draws_v`` predicates of every filter, arguments ``$first_arg`` on in ``FILTERS`` order.

    Built only from the fixed table above, never from input; each reads "no filter" from NULL.
    """
    casts = {"slug": "text[]", "date": "date", "int": "int"}
    parts = []
    for n, spec in enumerate(FILTERS, start=first_arg):
        arg = f"${n}::{casts[spec.kind]}"
        test = (
            f"{spec.filter.column} = ANY({arg})"
            if spec.filter.op == "any"
            else f"{spec.filter.column} {spec.filter.op} {arg}"
        )
        parts.append(f"({arg} IS NULL OR {test})")
    return "\n  AND ".join(parts)


# --- raw values, errors in the API's words ---------------------------------------------------


def echo(value: object) -> str:
    """A value as an error message quotes it: in backticks, cut to ``ECHO_LIMIT`` characters."""
    text = str(value)
    if len(text) > ECHO_LIMIT:
        text = text[:ECHO_LIMIT] + "…"
    return f"`{text}`"


def parse_int(name: str, raw: str, lo: int | None, hi: int | None) -> int:
    # Digits only: "1e3", "1.0", " 5" and "+5" are not integers in a URL. Long runs of digits
    # are out of any range; they are not converted at all.
    if re.fullmatch(r"-?[0-9]{1,12}", raw):
        value = int(raw)
        if (lo is None or value >= lo) and (hi is None or value <= hi):
            return value
    raise InvalidParameter(f"`{name}` must be an integer {_range(lo, hi)}, got {echo(raw)}")


def check_int_range(name: str, value: int, lo: int | None, hi: int | None) -> None:
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise InvalidParameter(f"`{name}` must be an integer {_range(lo, hi)}, got {echo(value)}")


def _range(lo: int | None, hi: int | None) -> str:
    if lo is not None and hi is not None:
        return f"from {lo} to {hi}"
    return f"of at least {lo}" if lo is not None else f"of at most {hi}"


def parse_date(name: str, raw: str) -> dt.date:
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            pass
    raise InvalidParameter(f"`{name}` must be a date as YYYY-MM-DD, got {echo(raw)}")


def check_slug(name: str, value: str) -> None:
    if not SLUG.fullmatch(value):
        raise InvalidParameter(
            f"`{name}` must be a category slug (lowercase letters, digits and '-', as listed at "
            f"/v1/categories), got {echo(value)}"
        )


def parse_choice(name: str, raw: str, allowed: Sequence[str]) -> str:
    if raw in allowed:
        return raw
    raise InvalidParameter(f"`{name}` must be one of {', '.join(allowed)}; got {echo(raw)}")


# --- order and page ----------------------------------------------------------------------


class DrawQuery(msgspec.Struct, frozen=True, kw_only=True):
    """A filter, an order and a page: what ``reads.list_draws`` answers.

    ``limit`` ``None`` means every matching draw (a spreadsheet export)."""

    filter: DrawFilter = DrawFilter()
    sort: str = "-date"
    limit: int | None = DEFAULT_LIMIT
    cursor: str | None = None

    def __post_init__(self) -> None:
        parse_choice("sort", self.sort, SORTS)
        if self.limit is not None:
            check_int_range("limit", self.limit, 1, MAX_LIMIT)
        if self.cursor is not None and len(self.cursor) > MAX_CURSOR_LENGTH:
            raise InvalidParameter("`cursor` is not a cursor this API issued")

    @classmethod
    def parse(
        cls, raw: Mapping[str, Sequence[str]], *, default_limit: int | None = DEFAULT_LIMIT
    ) -> DrawQuery:
        """From raw query values (REST); ``default_limit`` when ``limit`` is not given."""
        sort = raw.get("sort")
        limit = raw.get("limit")
        cursor = raw.get("cursor")
        return cls(
            filter=DrawFilter.parse(raw),
            sort=parse_choice("sort", sort[-1], SORTS) if sort else "-date",
            limit=parse_int("limit", limit[-1], 1, MAX_LIMIT) if limit else default_limit,
            cursor=cursor[-1] if cursor else None,
        )
