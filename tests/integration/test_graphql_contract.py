"""The committed GraphQL schema is the code's: regenerated in-process and compared."""

from __future__ import annotations

from pathlib import Path

from api.cli import main
from api.graphql.schema import sdl

ROOT = Path(__file__).resolve().parents[2]


def test_committed_graphql_schema_matches_the_code() -> None:
    committed = (ROOT / "schema" / "schema.graphql").read_text(encoding="utf-8")
    assert sdl() == committed, (
        "schema/schema.graphql is stale: run `eedraws export-schema` and commit it"
    )


def test_export_schema_writes_the_sdl(tmp_path: Path) -> None:
    output = tmp_path / "schema.graphql"
    assert main(["export-schema", "--output", str(output)]) == 0
    assert output.read_text(encoding="utf-8") == sdl()
