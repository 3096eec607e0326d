"""The CSV of rounds is written by PostgreSQL's COPY (exports.csv_select_sql, copy_lines): it
must be, byte for byte, the file Python's renderer (exports.csv_bytes) writes for the same rows."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import asyncpg
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from api import db
from api.columns import DRAWS, Column, Table
from api.exports import copy_lines, copy_lines_with_keys, csv_bytes, csv_select_sql
from api.models import DrawPage

Client = AsyncTestClient  # type: ignore[type-arg]


async def python_csv(client: Client, query: str) -> tuple[bytes, str | None]:
    """What Python's renderer writes for the JSON list's rows of ``query``, and its cursor."""
    response = await client.get(f"/v1/draws?{query}")
    assert response.status_code == 200, response.text
    page = msgspec.json.decode(response.content, type=DrawPage)
    return csv_bytes(DRAWS, page.data), page.next_cursor


@pytest.mark.parametrize(
    "query",
    [
        "",
        "sort=date",
        "sort=crs_min",
        "sort=-invitations",
        "category=healthcare&category=pnp",
        "from=2021-01-01&to=2024-12-31&min_crs=400",
        "min_invitations=5000&sort=-crs_min",
    ],
)
async def test_the_csv_of_every_round_is_byte_identical_to_pythons(
    client_all_rounds: Client, query: str
) -> None:
    want, _ = await python_csv(client_all_rounds, f"limit=500&{query}")
    response = await client_all_rounds.get(f"/v1/draws.csv?{query}")
    assert response.status_code == 200
    assert response.content == want
    assert want.count(b"\r\n") > 1


async def test_csv_pages_by_accept_are_the_json_pages_rows_and_link_to_the_same_next_page(
    client_all_rounds: Client,
) -> None:
    query = "limit=40&sort=crs_min"
    for _ in range(3):
        want, cursor = await python_csv(client_all_rounds, query)
        response = await client_all_rounds.get(f"/v1/draws?{query}", headers={"Accept": "text/csv"})
        assert response.content == want
        assert cursor is not None and f"cursor={cursor}" in response.headers["link"]
        query = f"limit=40&sort=crs_min&cursor={cursor}"


async def test_the_bom_option_starts_the_postgresql_csv_with_the_mark(
    client_all_rounds: Client,
) -> None:
    plain = (await client_all_rounds.get("/v1/draws.csv?category=fst")).content
    marked = (await client_all_rounds.get("/v1/draws.csv?category=fst&bom=1")).content
    assert marked == b"\xef\xbb\xbf" + plain


EVERY_TYPE = Table(
    "t",
    "every type PostgreSQL writes",
    (
        Column("text", "text", "", 1, ""),
        Column("list", "list", "", 1, ""),
        Column("int", "int", "", 1, ""),
        Column("bool", "bool", "", 1, ""),
        Column("date", "date", "", 1, ""),
        Column("at", "datetime", "", 1, ""),
    ),
)
# The cells of EVERY_TYPE from arrays, in order; with each row's ordinal as a last cell, where
# a page's cursor key is in draws_csv_page.
ROWS_FROM = """
FROM unnest($1::text[], $2::text[], $3::int[], $4::bool[], $5::date[], $6::timestamptz[])
     WITH ORDINALITY AS t(text, list_joined, int, bool, date, at, n)
CROSS JOIN LATERAL (SELECT string_to_array(list_joined, '|') AS list) l
ORDER BY n
"""
CELLS = f"SELECT {csv_select_sql(EVERY_TYPE)} {ROWS_FROM}"
CELLS_AND_KEY = f"SELECT {csv_select_sql(EVERY_TYPE)}, n {ROWS_FROM}"
AWKWARD_TEXT = [
    "plain",
    "",
    None,
    "comma, inside",
    'a "quote"',
    "line\nbreak",
    "carriage\rreturn",
    "=1+1",
    "+33 1",
    "-5",
    "+1.5e3",
    "-.5",
    "-5\n",
    "@SUM(A1)",
    "\tTab",
    "\rCR",
    "-٣",
    "'already",
    "élan \u2013 ünïcode",
    '=HYPERLINK("x","y")',
]
UTC = dt.UTC


def awkward_rows(texts: list[str | None]) -> list[dict[str, Any]]:
    lists = [None, "", "a", "a|b", "-x", "x|,y", "=f|g"]
    times = [
        None,
        dt.datetime(2026, 4, 15, 10, 43, 11, tzinfo=UTC),
        dt.datetime(2025, 11, 14, 7, 14, 25, 500000, tzinfo=UTC),
        dt.datetime(2025, 1, 1, 23, 59, 59, 1, tzinfo=UTC),
        # Rounds up to the next day's midnight: still a fraction, written as one.
        dt.datetime(2025, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ]
    return [
        {
            "text": text,
            "list": lists[i % len(lists)],
            "int": [None, 0, -7, 2_147_483_647][i % 4],
            "bool": [None, True, False][i % 3],
            "date": [None, dt.date(2018, 5, 30), dt.date(999, 12, 31)][i % 3],
            "at": times[i % len(times)],
        }
        for i, text in enumerate(texts)
    ]


async def copied(conn: asyncpg.Connection, sql: str, rows: list[dict[str, Any]]) -> db.CopyOut:
    args = [[r[c] for r in rows] for c in rows[0]]
    return await db.copy_out(conn, db.with_literals(sql, args))


def pythons_lines(rows: list[dict[str, Any]]) -> bytes:
    structs = [
        SimpleNamespace(**{**r, "list": None if r["list"] is None else r["list"].split("|")})
        for r in rows
    ]
    return csv_bytes(EVERY_TYPE, structs).split(b"\r\n", 1)[1]


@pytest.mark.parametrize(
    "texts",
    [
        pytest.param(AWKWARD_TEXT, id="line breaks in cells"),
        pytest.param([t for t in AWKWARD_TEXT if not t or "\n" not in t], id="no line break"),
    ],
)
async def test_copy_writes_awkward_values_as_pythons_csv_writer_does(
    conn: asyncpg.Connection, texts: list[str | None]
) -> None:
    rows = awkward_rows(texts)
    python = pythons_lines(rows)
    out = await copied(conn, CELLS, rows)
    assert out.rows == len(rows)
    assert copy_lines(out.data, out.rows) == python
    # With a last cell that is no column (the row's ordinal): cut off, the same lines.
    out = await copied(conn, CELLS_AND_KEY, rows)
    with_keys = copy_lines_with_keys(out.data, out.rows)
    assert [key for _, key in with_keys] == [str(n) for n in range(1, len(rows) + 1)]
    assert b"".join(line for line, _ in with_keys) == python


def test_a_float_column_is_refused_rather_than_spelt_differently() -> None:
    table = Table("f", "f", (Column("mean", "float", "", 1, ""),))
    with pytest.raises(ValueError, match="float"):
        csv_select_sql(table)
