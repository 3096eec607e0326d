"""Fetch the rounds file from a URL or a path; fall back to the seed shipped in the package."""

from __future__ import annotations

import asyncio
import gzip
import urllib.error
import urllib.request
from pathlib import Path

from api.ingest.ircc import MAX_FILE_BYTES, IngestError

SEED = Path(__file__).parent / "seed" / "ee_rounds_123_en.json.gz"
SEED_SOURCE = "seed:ee_rounds_123_en.json.gz (IRCC's file as of 2026-04-21, shipped in the package)"
_USER_AGENT = "eedraws/0.1 (+https://github.com/eedraws/eedraws; open data API)"


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


async def read_source(source: str, *, timeout: float = 30.0) -> bytes:
    """The bytes of ``source``: an http(s) URL or a local path (gzipped when it ends in .gz)."""
    if is_url(source):
        return await asyncio.to_thread(_fetch, source, timeout)
    return await asyncio.to_thread(_read_path, source.removeprefix("file://"))


def _read_path(name: str) -> bytes:
    path = Path(name).expanduser()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"cannot read {path}: {exc.strerror or exc}") from None
    return gzip.decompress(data) if path.suffix == ".gz" else data


def read_seed() -> bytes:
    return gzip.decompress(SEED.read_bytes())


def _fetch(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data: bytes = response.read(MAX_FILE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise IngestError(f"{url} answered HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise IngestError(f"cannot fetch {url}: {reason}") from None
    if response.headers.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    return data
