"""Requests are served by a role that can read and nothing else."""

from __future__ import annotations

import asyncpg
import pytest

from api.settings import Settings
from tests.support.db import FIXTURES, Ingest

WRITES = [
    "INSERT INTO categories (slug, name) VALUES ('x', 'x')",
    "UPDATE draws SET crs_min = 0",
    "DELETE FROM draws",
    "TRUNCATE draw_revisions",
    "UPDATE data_state SET data_version = data_version + 1",
    "CREATE TABLE planted (id int)",
    "CREATE VIEW planted_v AS SELECT 1",
    "ALTER TABLE draws ADD COLUMN planted int",
    "DROP TABLE draws",
    "CREATE ROLE planted",
    "CREATE DATABASE planted",
]


@pytest.fixture
async def reader(settings: Settings, ingest: Ingest) -> asyncpg.Connection:
    if not settings.database_read_url:
        pytest.skip("DATABASE_URL is set without DATABASE_READ_URL: no separate serving role")
    await ingest(FIXTURES / "rounds_2026.json")
    conn = await asyncpg.connect(settings.database_read_url)
    yield conn
    await conn.close()


async def test_the_serving_role_is_not_the_owner_nor_a_superuser(
    reader: asyncpg.Connection,
) -> None:
    role = await reader.fetchrow(
        "SELECT rolname, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles"
        " WHERE rolname = current_user"
    )
    assert role["rolname"] != "postgres"
    assert not role["rolsuper"] and not role["rolcreaterole"] and not role["rolcreatedb"]
    assert await reader.fetchval("SELECT count(*) FROM draws") == 14
    assert await reader.fetchval("SELECT data_version FROM data_state") >= 1


async def test_the_serving_role_cannot_write(reader: asyncpg.Connection) -> None:
    for statement in WRITES:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await reader.execute(statement)
    assert await reader.fetchval("SELECT count(*) FROM draws") == 14
