"""A client generated from the committed spec works against a real server, as a user's would."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from api.settings import Settings
from tests.support.db import FIXTURES, Ingest
from tests.support.server import served

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = Path(sys.executable).parent / "openapi-python-client"
PACKAGE = "eedraws_generated_client"


def generate(into: Path) -> subprocess.CompletedProcess[str]:
    # Its post-hooks run ruff; the venv's own must be found first on PATH.
    env = {**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(ROOT / "openapi" / "openapi.json"),
            "--config",
            str(ROOT / "openapi" / "client-config.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(into / PACKAGE),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    where = tmp_path_factory.mktemp("client")
    result = generate(where)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warning" not in output.lower(), output
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(where))
        for name in [m for m in sys.modules if m.startswith(PACKAGE)]:
            del sys.modules[name]


def test_the_client_generates_with_zero_warnings_and_readable_names(
    generated: ModuleType,
) -> None:
    models = importlib.import_module(f"{PACKAGE}.models")
    assert models.DrawSort.CRS_MIN_DESC.value == "-crs_min"
    assert models.ProblemCode.NOT_FOUND.value == "not_found"
    for operation in ("list_draws", "get_draw", "get_latest_draw", "get_draw_revisions"):
        importlib.import_module(f"{PACKAGE}.api.draws.{operation}")
    importlib.import_module(f"{PACKAGE}.api.status.get_status")


async def test_list_get_404_and_400_through_the_generated_client(
    generated: ModuleType, settings: Settings, ingest: Ingest
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    models = importlib.import_module(f"{PACKAGE}.models")
    list_draws = importlib.import_module(f"{PACKAGE}.api.draws.list_draws")
    get_draw = importlib.import_module(f"{PACKAGE}.api.draws.get_draw")
    with served(settings) as base:
        # Any status the spec does not document raises instead of parsing as None.
        client = generated.Client(base_url=base, raise_on_unexpected_status=True)
        async with client as api:
            page = await list_draws.asyncio(client=api, limit=2, sort=models.DrawSort.CRS_MIN_DESC)
            assert isinstance(page, models.DrawPage)
            assert len(page.data) == 2
            assert page.data[0].crs_min >= page.data[1].crs_min
            assert page.next_cursor

            draw = await get_draw.asyncio(client=api, number=page.data[0].number)
            assert isinstance(draw, models.Draw)
            assert draw.number == page.data[0].number

            missing = await get_draw.asyncio_detailed(client=api, number="99999")
            assert missing.status_code == 404
            assert isinstance(missing.parsed, models.Problem)
            assert missing.parsed.code == models.ProblemCode.NOT_FOUND
            assert missing.parsed.type_ == "/errors/not_found"

            refused = await list_draws.asyncio_detailed(client=api, limit=900)
            assert refused.status_code == 400
            assert isinstance(refused.parsed, models.Problem)
            assert refused.parsed.code == models.ProblemCode.INVALID_PARAMETER
            assert "limit" in refused.parsed.detail
