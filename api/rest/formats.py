"""One handler per resource, any format: JSON, CSV or XLSX, by suffix or by ``Accept``.

Datasette's shape: a resource's view returns a ``Listing`` (its rows, its column table, its
JSON), and ``respond`` renders it in the format the request chose. ``/v1/draws.csv`` and
``/v1/draws.xlsx`` are the files; ``/v1/draws`` answers JSON, or the CSV/XLSX of the same page
when ``Accept`` asks for it. An unknown suffix or an ``Accept`` nothing matches is a 406
problem, never an empty file. ``tabular_routes`` registers a view at each of its URLs, each
documented in the OpenAPI with its own media type.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from anyio import to_thread
from litestar import Litestar, Request, Response, get, route
from litestar.datastructures import CacheControlHeader
from litestar.di import Provide
from litestar.enums import HttpMethod
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIFormat, OpenAPIMediaType, OpenAPIType, Operation, Schema
from litestar.params import FromPath, QueryParameter

from api import exports, reads
from api.columns import Table
from api.errors import InvalidParameter, NotAcceptable, NotFound
from api.filters import echo
from api.models import DataStamp
from api.rest.params import Database
from api.settings import OFFICIAL_SOURCE

JSON = "application/json"
# Litestar adds "; charset=utf-8" to every text/* type itself.
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Format(msgspec.Struct, frozen=True):
    name: str
    media_type: str
    # Files get a Content-Disposition with a name saying what and as of when. CSV is inline:
    # IMPORTDATA and Power Query fetch the URL themselves, and a browser shows the text.
    disposition: str | None = None


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("json", JSON),
        Format("csv", CSV, "inline"),
        Format("xlsx", XLSX, "attachment"),
    )
}
FILE_FORMATS = ("csv", "xlsx")
_BY_MEDIA_TYPE = {f.media_type: f for f in FORMATS.values()}


class Output(msgspec.Struct, frozen=True):
    """The format a request gets, and its options."""

    format: Format
    bom: bool = False


class Listing(msgspec.Struct, frozen=True, kw_only=True):
    """What a resource's view answers: rows for the files, the value for JSON."""

    table: Table
    rows: Sequence[Any]
    json: Any
    # Says what was asked in a file's name: ("healthcare",) -> eedraws-draws-healthcare-...
    name_parts: tuple[str, ...] = ()
    next_cursor: str | None = None
    # The CSV's data lines when PostgreSQL already wrote them (rows and json are then unused).
    csv_lines: bytes | None = None


# --- choosing a format -----------------------------------------------------------------


def negotiate(request: Request[Any, Any, Any]) -> Format:
    """JSON unless ``Accept`` prefers CSV or XLSX; 406 when it accepts none of them."""
    accept = request.headers.get("accept")
    if not accept:
        return FORMATS["json"]
    best = request.accept.best_match(list(_BY_MEDIA_TYPE))
    if best is None:
        raise NotAcceptable(
            f"nothing here matches `Accept: {accept[:80]}`; this resource is served as "
            f"{', '.join(_BY_MEDIA_TYPE)}"
        )
    return _BY_MEDIA_TYPE[best]


BomParam = Annotated[
    str | None,
    QueryParameter(
        name="bom",
        description="`1` (or `true`) starts a CSV answer with a UTF-8 byte-order mark, for "
        "Excel versions that open a double-clicked CSV in the Windows code page; a JSON or "
        "XLSX answer (chosen by `Accept`) is the same with or without it",
        # A boolean, so a generated client has a plain flag, not an enum of "0" and "1".
        schema_extra={"type": OpenAPIType.BOOLEAN, "one_of": None},
    ),
]


def _bom(raw: str | None, fmt: Format) -> bool:
    if raw is None:
        return False
    if raw not in _BOM_VALUES:
        raise InvalidParameter(f"`bom` must be 1 or 0 (true or false), got {echo(raw)}")
    # On a URL that answers JSON or CSV by `Accept`, the spec offers `bom` whichever is chosen:
    # a JSON answer ignores it rather than refusing a request the spec says is valid.
    return fmt.name == "csv" and _BOM_VALUES[raw]


_BOM_VALUES = {"1": True, "true": True, "0": False, "false": False}


def output_dependency(fixed: str | None) -> Provide:
    """``output: Output`` for a route: its suffix's format, or ``Accept``'s (``fixed`` None)."""
    if fixed == "xlsx":

        def provide_xlsx() -> Output:
            return Output(FORMATS["xlsx"])

        return Provide(provide_xlsx, sync_to_thread=False)

    def provide_output(request: Request[Any, Any, Any], bom: BomParam = None) -> Output:
        fmt = FORMATS[fixed] if fixed else negotiate(request)
        return Output(fmt, _bom(bom, fmt))

    return Provide(provide_output, sync_to_thread=False)


# --- answering -------------------------------------------------------------------------


def next_link(request: Request[Any, Any, Any], cursor: str) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "cursor"]
    params.append(("cursor", cursor))
    return f'<{request.url.path}?{urlencode(params)}>; rel="next"'


_UNSAFE = re.compile(r"[^a-z0-9+_.-]+")


def file_name(parts: Sequence[str], stamp_date: str, extension: str) -> str:
    """``eedraws-draws-healthcare-2026-04-15.csv``: what, as asked, and as of when."""
    what = _UNSAFE.sub("-", "-".join(parts).lower()).strip("-")[:120]
    return f"eedraws-{what}-{stamp_date}.{extension}"


async def _data_stamp(request: Request[Any, Any, Any], db: reads.Db) -> DataStamp:
    return await kept_data_stamp(request.app, db)


async def kept_data_stamp(app: Litestar, db: reads.Db) -> DataStamp:
    """``reads.data_stamp``, read once per data version by each worker.

    A file answer only labels itself with it (name, XLSX "About" sheet), as each MCP tool's
    answer does (api/mcp), and a second statement per CSV was ~0.1 ms of the worker's CPU per
    cold W4 request (docs/exports.md). Kept only when it describes the version this worker
    serves (``DataVersion``, kept current from Redis and PostgreSQL), so a new version is read
    again; with the cache on, the whole answer is kept per version anyway."""
    version = app.state.response_cache.version.version
    kept: DataStamp | None = app.state.get(_STAMP)
    if kept is not None and kept.data_version == version:
        return kept
    stamp = await reads.data_stamp(db)
    if stamp.data_version == version:
        app.state[_STAMP] = stamp
    return stamp


_STAMP = "formats.data_stamp"


async def respond(
    request: Request[Any, Any, Any], db: reads.Db, output: Output, listing: Listing
) -> Response[Any]:
    headers = {}
    if listing.next_cursor is not None:
        headers["Link"] = next_link(request, listing.next_cursor)
    fmt = output.format
    if fmt.disposition is None:
        return Response(listing.json, headers=headers, media_type=fmt.media_type)
    stamp = await _data_stamp(request, db)
    about = exports.About(
        source=OFFICIAL_SOURCE,
        loaded_from=stamp.source,
        data_version=stamp.data_version,
        data_as_of=stamp.newest_draw_date,
        data_changed_at=stamp.data_changed_at,
        query=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    )
    if fmt.name == "csv" and listing.csv_lines is not None:
        body = exports.csv_document(listing.table, listing.csv_lines, bom=output.bom)
    elif fmt.name == "csv":
        body = exports.csv_bytes(listing.table, listing.rows, bom=output.bom)
    else:
        # XlsxWriter's constant-memory mode writes temporary files: keep that off the loop.
        body = await to_thread.run_sync(exports.xlsx_bytes, listing.table, listing.rows, about)
    as_of = str(stamp.newest_draw_date or stamp.data_changed_at.date())
    name = file_name([listing.table.name, *listing.name_parts], as_of, fmt.name)
    headers["Content-Disposition"] = f'{fmt.disposition}; filename="{name}"'
    return Response(body, headers=headers, media_type=fmt.media_type)


# --- registering a view at each of its URLs ------------------------------------------------


@dataclass
class _AlsoFiles(Operation):
    """The 200 of a resource's JSON URL also lists the file types ``Accept`` can ask for."""

    def __post_init__(self) -> None:
        ok = (self.responses or {}).get("200")
        content = getattr(ok, "content", None)
        if content is not None:
            content[CSV] = OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING))
            content[XLSX] = OpenAPIMediaType(
                schema=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
            )


def rows_view(
    read: Callable[[reads.Db], Awaitable[Sequence[Any]]], table: Table
) -> Callable[..., Awaitable[Response[Any]]]:
    """The view of a resource that is one list and takes no parameter: ``read``'s rows are
    its JSON and its files' rows."""

    async def list_rows(
        request: Request[Any, Any, Any], db: Database, output: Output
    ) -> Response[Any]:
        rows = await read(db)
        return await respond(request, db, output, Listing(table=table, rows=rows, json=rows))

    return list_rows


def tabular_routes(
    path: str,
    view: Callable[..., Any],
    *,
    json_model: Any,
    summary: str,
    file_summary: str,
    file_operation: str,
    description: str,
    operation_id: str | None = None,
    dependencies: Callable[[str | None], dict[str, Provide]] | None = None,
    cache_control: CacheControlHeader | None = None,
) -> list[HTTPRouteHandler]:
    """``view`` at ``path`` (JSON, or a file by ``Accept``) and at ``path.csv``, ``path.xlsx``.

    ``file_summary`` names the rows for the files' summaries ("Rounds" gives "Rounds as CSV"),
    ``file_operation`` their operationIds ("getDraws" gives "getDrawsCsv", "getDrawsXlsx");
    ``operation_id`` is the JSON URL's when the view's name does not make it. Each operation is
    tagged with its resource (``/v1/pool/bands``: ``pool``), and its description says where the
    files are.
    """
    description += f" Also as `{path}.csv` and `{path}.xlsx` (or `Accept: text/csv`)."
    tags = [path.split("/")[2]]
    handlers = []
    operation: type[Operation]
    for fmt in (None, *FILE_FORMATS):
        deps = {**(dependencies(fmt) if dependencies else {}), "output": output_dependency(fmt)}
        if fmt is None:
            spec = ResponseSpec(
                json_model,
                description="JSON; CSV or XLSX when `Accept` asks",
                generate_examples=False,
            )
            route, media_type, operation = path, JSON, _AlsoFiles
            route_operation_id = operation_id
        else:
            body = bytes if fmt == "xlsx" else str
            media_type = FORMATS[fmt].media_type
            spec = ResponseSpec(
                body,
                description=f"{fmt.upper()} file",
                media_type=media_type,
                generate_examples=False,
            )
            route, operation = f"{path}.{fmt}", Operation
            route_operation_id = f"{file_operation}{fmt.title()}"
        handlers.append(
            get(
                route,
                summary=summary if fmt is None else f"{file_summary} as {fmt.upper()}",
                description=description,
                tags=tags,
                media_type=media_type,
                dependencies=deps,
                responses={200: spec},
                cache_control=cache_control,
                operation_class=operation,
                operation_id=route_operation_id,
            )(view)
        )
    return handlers


def unknown_format_route(parent: str, resources: Sequence[str]) -> HTTPRouteHandler:
    """``{parent}/{name}`` for names no route has: a known resource with another suffix is a
    406 listing its formats (to a GET); anything else, whatever the method, the usual 404 (not a
    405: there is no resource at the path to allow any method on)."""

    async def unknown_format(name: FromPath[str], request: Request[Any, Any, Any]) -> None:
        stem, dot, suffix = name.partition(".")
        if dot and stem in resources and request.method == "GET":
            served = ", ".join(f"`{parent}/{stem}.{f}`" for f in FILE_FORMATS)
            raise NotAcceptable(
                f"{echo(suffix)} is not a format of `{parent}/{stem}`; it is served as JSON "
                f"at `{parent}/{stem}` and as {served}"
            )
        raise NotFound("no resource at this path; see /docs")

    # Every method but OPTIONS (CORS preflights and Allow) and HEAD (answered as a GET).
    methods = [m for m in HttpMethod if m not in (HttpMethod.OPTIONS, HttpMethod.HEAD)]
    return route(f"{parent}/{{name:str}}", http_method=methods, include_in_schema=False)(
        unknown_format
    )
