"""Generated artefacts are committed; these fail when the code and the committed copy drift."""

from __future__ import annotations

from pathlib import Path

from api.app import create_app
from api.rest.openapi import openapi_document
from api.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_committed_openapi_document_matches_the_code() -> None:
    committed = (ROOT / "openapi" / "openapi.json").read_bytes()
    assert openapi_document(create_app(Settings())) == committed, (
        "openapi/openapi.json is stale: run `make openapi` and commit it"
    )
