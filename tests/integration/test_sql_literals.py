"""COPY takes no bind parameters: api.db.with_literals writes a query's arguments into it. Each
literal must reach PostgreSQL as exactly the value, whatever its quotes, backslashes or
dollar signs, and under either setting of standard_conforming_strings."""

from __future__ import annotations

import datetime as dt

import asyncpg
import pytest

from api import db

HOSTILE_TEXT = [
    "",
    "plain",
    "it's",
    "''",
    "\\",
    "\\'",
    "'; DROP TABLE draws; --",
    "E'x'",
    "$1",
    "$$",
    "a\\nb",
    "line\nbreak\r\n",
    "/* not a comment */",
    "-- not a comment",
    "élan \u2013 ünïcode \U0001f600",
    "\t tab",
]


@pytest.mark.parametrize("conforming", ["on", "off"])
async def test_text_literals_reach_postgresql_as_the_very_strings(
    conn: asyncpg.Connection, conforming: str
) -> None:
    await conn.execute(f"SET standard_conforming_strings = {conforming}")
    for text in HOSTILE_TEXT:
        sql = db.with_literals(
            "SELECT $1::text, $2::text[], $1::text = $3::text", [text, [text, None, text], text]
        )
        row = await conn.fetchrow(sql)
        assert row[0] == text
        assert row[1] == [text, None, text]
        assert row[2] is True


async def test_numbers_dates_nulls_and_arrays_reach_postgresql_as_the_values(
    conn: asyncpg.Connection,
) -> None:
    at = dt.datetime(2025, 11, 14, 7, 14, 25, 500000, tzinfo=dt.UTC)
    values = [
        0,
        -7,
        2_147_483_647,
        dt.date(2026, 4, 15),
        dt.date(999, 12, 31),
        None,
        True,
        [],
        ["healthcare", "pnp"],
        at,
    ]
    sql = db.with_literals(
        "SELECT $1::int, $2::int, $3::int, $4::date, $5::date, $6::int, $7::bool, $8::text[], "
        "$9::text[], $10::timestamptz",
        values,
    )
    assert list(await conn.fetchrow(sql)) == values


def test_a_nul_and_values_with_no_literal_here_are_refused() -> None:
    with pytest.raises(ValueError, match="NUL"):
        db.with_literals("SELECT $1::text", ["a\x00b"])
    with pytest.raises(TypeError):
        db.with_literals("SELECT $1", [1.5])
