"""/v1/export.zip: every table as CSV plus a Frictionless ``datapackage.json`` describing them.

The CSVs are the same bytes as each table's own ``.csv`` (one column table, one renderer:
``api.columns``, ``api.exports``). The descriptor says each field's type, each table's primary
key and how the tables join (foreign keys), the licence, the source, the data_version and when
the data last changed. Built per request from the read layer; the response cache keeps the
answer per data version, so it is built once per version, not per download.
"""

from __future__ import annotations

import io
import stat
import zipfile
from collections.abc import Sequence
from typing import Any

import msgspec

from api import reads
from api.columns import CATEGORIES, DRAWS, POOL, POOL_BANDS, YEARLY, ColumnType, Table
from api.exports import LICENCE, LICENCE_URL, PUBLISHER, csv_bytes
from api.filters import DrawQuery
from api.models import DataStamp
from api.settings import OFFICIAL_SOURCE

FIELD_TYPES: dict[ColumnType, str] = {
    "text": "string",
    "int": "integer",
    "float": "number",
    "bool": "boolean",
    "date": "date",
    "datetime": "datetime",
    "list": "string",
}


class Resource(msgspec.Struct, frozen=True, kw_only=True):
    """One table of the package: its columns, its key, what its columns point at."""

    table: Table
    primary_key: tuple[str, ...]
    # (columns here, table there, its columns)
    foreign_keys: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...] = ()

    @property
    def path(self) -> str:
        return f"{self.table.name}.csv"


RESOURCES = (
    Resource(
        table=DRAWS,
        primary_key=("number",),
        foreign_keys=(
            (("category_slug",), CATEGORIES.name, ("slug",)),
            (("pool_snapshot_date",), POOL.name, ("date",)),
        ),
    ),
    Resource(table=CATEGORIES, primary_key=("slug",)),
    Resource(table=POOL, primary_key=("date",)),
    Resource(
        table=POOL_BANDS,
        primary_key=("date", "band"),
        foreign_keys=((("date",), POOL.name, ("date",)),),
    ),
    Resource(table=YEARLY, primary_key=("year",)),
)


def _schema(resource: Resource) -> dict[str, Any]:
    fields = []
    for column in resource.table.columns:
        field: dict[str, Any] = {
            "name": column.name,
            "type": FIELD_TYPES[column.type],
            "title": column.header,
            "description": column.description,
        }
        if column.type == "datetime":
            field["format"] = "%Y-%m-%dT%H:%M:%SZ"
        if column.name in resource.primary_key:
            field["constraints"] = {"required": True}
        fields.append(field)
    schema: dict[str, Any] = {
        "fields": fields,
        "primaryKey": list(resource.primary_key),
        "missingValues": [""],
    }
    if resource.foreign_keys:
        schema["foreignKeys"] = [
            {"fields": list(here), "reference": {"resource": there, "fields": list(theirs)}}
            for here, there, theirs in resource.foreign_keys
        ]
    return schema


def descriptor(stamp: DataStamp, created: str) -> dict[str, Any]:
    """The Frictionless Data Package descriptor of the zip."""
    return {
        "profile": "tabular-data-package",
        "name": "eedraws",
        "title": "Express Entry rounds of invitations (eedraws)",
        "description": "Every official Express Entry round of invitations, its category line, "
        "cut-off CRS and tie-break, the pool's CRS distribution per snapshot, and yearly "
        "aggregates, as published by IRCC and normalised by eedraws.",
        "licenses": [{"name": "OGL-Canada-2.0", "title": LICENCE, "path": LICENCE_URL}],
        "sources": [{"title": PUBLISHER, "path": OFFICIAL_SOURCE}],
        "version": str(stamp.data_version),
        "data_version": stamp.data_version,
        "data_as_of": stamp.newest_draw_date.isoformat() if stamp.newest_draw_date else None,
        "loaded_from": stamp.source,
        "created": created,
        "resources": [
            {
                "name": r.table.name,
                "title": r.table.title,
                "path": r.path,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {"delimiter": ",", "lineTerminator": "\r\n"},
                "schema": _schema(r),
            }
            for r in RESOURCES
        ],
    }


async def table_rows(db: reads.Db) -> dict[str, Sequence[Any]]:
    """Every table's rows, by table name, from the read layer."""
    draws = await reads.list_draws(db, DrawQuery(limit=None))
    return {
        DRAWS.name: draws.draws,
        CATEGORIES.name: await reads.list_categories(db),
        POOL.name: await reads.list_pool_snapshots(db),
        POOL_BANDS.name: await reads.pool_band_rows(db),
        YEARLY.name: await reads.yearly_stats(db),
    }


def zip_bytes(rows: dict[str, Sequence[Any]], stamp: DataStamp) -> bytes:
    """The zip: datapackage.json, then one CSV per resource. Entries are stamped with the data's
    change time, so the same data gives the same bytes."""
    created = stamp.data_changed_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    when = stamp.data_changed_at.timetuple()[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        package = msgspec.json.format(msgspec.json.encode(descriptor(stamp, created)), indent=2)
        archive.writestr(_entry("datapackage.json", when), package)
        for r in RESOURCES:
            info = _entry(r.path, when)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, csv_bytes(r.table, rows[r.table.name]))
    return buffer.getvalue()


# A plain file anyone may read: `unzip` applies an entry's Unix mode, and zipfile's writestr
# gives 0600 (owner only), so a shared folder's other users could not read what was unpacked.
_FILE_MODE = stat.S_IFREG | 0o644


def _entry(name: str, when: tuple[int, int, int, int, int, int]) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, when)
    info.create_system = 3  # Unix, whatever machine builds it: the mode above is a Unix mode
    info.external_attr = _FILE_MODE << 16
    return info
