"""A second empty, migrated database in a test that compares two stores."""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import msgspec

from api.settings import Settings

_numbers = itertools.count()


@contextlib.asynccontextmanager
async def another_database(servers: Settings, template: str) -> AsyncIterator[Settings]:
    """Settings for a new database cloned from ``template``, dropped on exit."""
    name = f"eedraws_other_{os.getpid()}_{next(_numbers)}"
    url = _with_database(servers.database_url, name)
    read_url = _with_database(servers.database_read_url, name) if servers.database_read_url else ""
    admin = await asyncpg.connect(servers.database_url)
    try:
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    finally:
        await admin.close()
    clone = await asyncpg.connect(url)
    try:
        await clone.execute("UPDATE data_state SET store_id = gen_random_uuid()")
    finally:
        await clone.close()
    try:
        yield msgspec.structs.replace(servers, database_url=url, database_read_url=read_url)
    finally:
        admin = await asyncpg.connect(servers.database_url)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await admin.close()


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
