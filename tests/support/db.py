"""Test databases: a migrated template, a fresh clone per writing test, loaded shared copies."""

from __future__ import annotations

import contextlib
import gzip
import itertools
import os
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import msgspec

from api import db
from api.ingest.store import IngestReport, ingest_bytes
from api.settings import Settings

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
SEED = REPO / "api" / "ingest" / "seed" / "ee_rounds_123_en.json.gz"
TEMPLATE_DB = "eedraws_test_template"
_numbers = itertools.count()


def _shared_data() -> Path:
    """``../shared/data/ircc`` beside the repo; from a git worktree it sits further up."""
    for parent in REPO.parents:
        candidate = parent / "shared" / "data" / "ircc"
        if candidate.is_dir():
            return candidate
    return REPO.parent / "shared" / "data" / "ircc"


SHARED_DATA = _shared_data()


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def unique_name(purpose: str) -> str:
    return f"eedraws_test_{purpose}_{os.getpid()}_{next(_numbers)}"


async def create_template(admin_url: str) -> str:
    """A migrated, empty database that every test database is cloned from."""
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {TEMPLATE_DB}")
        await admin.execute(f"CREATE DATABASE {TEMPLATE_DB}")
    finally:
        await admin.close()
    conn = await db.connect(with_database(admin_url, TEMPLATE_DB))
    try:
        await db.migrate(conn)
    finally:
        await conn.close()
    return TEMPLATE_DB


async def clone_template(admin_url: str, template: str, name: str) -> str:
    """Create ``name`` from ``template``; returns its URL."""
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    finally:
        await admin.close()
    url = with_database(admin_url, name)
    clone = await asyncpg.connect(url)
    try:
        # A clone copies the template's store identity; caches (one Redis for every test) tell
        # stores apart by it, so each database gets its own, as a real store has.
        await clone.execute("UPDATE data_state SET store_id = gen_random_uuid()")
    finally:
        await clone.close()
    return url


async def drop_database(admin_url: str, name: str) -> None:
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


@contextlib.asynccontextmanager
async def database_of_its_own(
    servers: Settings, template: str, purpose: str, sources: Sequence[Path | bytes] = ()
) -> AsyncIterator[Settings]:
    """Settings for a new database cloned from ``template`` (with a store id of its own, so no
    cached answer of another database reaches it), loaded with ``sources``, dropped on exit.
    The app serves it as the read-only role when there is one, as `eedraws serve` does."""
    name = unique_name(purpose)
    url = await clone_template(servers.database_url, template, name)
    read_url = with_database(servers.database_read_url, name) if servers.database_read_url else ""
    try:
        await load(url, sources)
        yield msgspec.structs.replace(servers, database_url=url, database_read_url=read_url)
    finally:
        await drop_database(servers.database_url, name)


class Ingest:
    """``await ingest(path)``: store a rounds file through the real ingest path."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def __call__(self, path: Path, *, force: bool = False) -> IngestReport:
        return await ingest_bytes(self.conn, path.read_bytes(), source=str(path), force=force)

    async def data(self, data: bytes, *, force: bool = False) -> IngestReport:
        return await ingest_bytes(self.conn, data, source="test bytes", force=force)


def seed_bytes() -> bytes:
    """Every round IRCC had published when the package's seed was taken."""
    return gzip.decompress(SEED.read_bytes())


async def load(url: str, sources: Sequence[Path | bytes]) -> None:
    """Ingest ``sources`` in order into the database at ``url``."""
    conn = await db.connect(url)
    try:
        ingest = Ingest(conn)
        for source in sources:
            await (ingest(source) if isinstance(source, Path) else ingest.data(source))
    finally:
        await conn.close()
