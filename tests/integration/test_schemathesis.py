"""Property-based fuzzing of the published contract against a real server (schemathesis).

REST from ``/openapi.json``, GraphQL from ``/graphql``: a fixed seed and a bounded number of
examples per operation, so ``make test`` stays quick and repeatable; docs/contract-testing.md
gives the command for a longer run. Every check runs: no 5xx, only documented statuses and
content types, bodies and headers as the spec says, schema-violating requests refused.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from api.settings import Settings
from tests.support.db import FIXTURES, database_of_its_own
from tests.support.server import served

ROOT = Path(__file__).resolve().parents[2]
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CONFIG = ROOT / "tests" / "schemathesis.toml"
SEED = 20261201
EXAMPLES = 10


def schemathesis(target: str, report_dir: Path, *extra: str) -> dict[str, Any]:
    """Run ``schemathesis run`` and return its JSON report; its output explains a failure."""
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(CONFIG),
        "--no-color",
        "run",
        target,
        "--checks",
        "all",
        "--seed",
        str(SEED),
        "--max-examples",
        str(EXAMPLES),
        "--generation-database",
        "none",
        "--report",
        "json",
        "--report-dir",
        str(report_dir),
        *extra,
    ]
    # From the root: the config names its hooks module by a path relative to it.
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=ROOT)
    reports = sorted(report_dir.glob("*.json"))
    assert reports, result.stdout[-5000:] + result.stderr[-2000:]
    report: dict[str, Any] = json.loads(reports[-1].read_text())
    assert result.returncode == 0, result.stdout[-20000:]
    return report


def assert_clean(report: dict[str, Any]) -> None:
    assert report["complete"]
    assert report["failures"] == []
    assert report["errors"] == []
    operations = report["operations"]
    assert operations["tested"] == operations["selected"] == operations["total"] > 0
    assert report["test_cases"]["generated"] >= operations["total"] * EXAMPLES


@pytest.fixture(scope="module")
async def base(servers: Settings, template_db: str) -> AsyncIterator[str]:
    """One server for the module over tests/fixtures/rounds_2026.json in a database of its own."""
    async with database_of_its_own(
        servers, template_db, "served", [FIXTURES / "rounds_2026.json"]
    ) as loaded:
        with served(loaded, env={"EEDRAWS_RATE_LIMIT": "off"}) as url:
            yield url


def test_rest_contract_holds_under_fuzzing(base: str, tmp_path: Path) -> None:
    report = schemathesis(f"{base}/openapi.json", tmp_path)
    assert_clean(report)


def test_graphql_schema_holds_under_fuzzing(base: str, tmp_path: Path) -> None:
    # GraphQL cannot express ranges (`first` 1..500) or cross-field rules; a coded
    # BAD_USER_INPUT error for a value the schema allows is the documented answer.
    report = schemathesis(
        f"{base}/graphql", tmp_path, "--exclude-checks", "positive_data_acceptance"
    )
    assert_clean(report)
