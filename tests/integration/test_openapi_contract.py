"""The OpenAPI document says what every operation can answer, in names a client can use."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from api.app import create_app
from api.errors import ApiError
from api.rest.errors import CODES
from api.rest.openapi import enum_varnames, openapi_document
from api.settings import Settings
from tests.support.db import FIXTURES, Ingest

ROOT = Path(__file__).resolve().parents[2]
Client = AsyncTestClient  # type: ignore[type-arg]
ERRORS_EVERYWHERE = {"400", "404", "406", "414", "429", "431", "503"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    document: dict[str, Any] = msgspec.json.decode(openapi_document(create_app(Settings())))
    return document


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op) for path, item in spec["paths"].items() for method, op in item.items()
    ]


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        _, section, name = node["$ref"].removeprefix("#/").split("/")
        node = spec["components"][section][name]
    return node


def test_operation_ids_are_a_verb_and_the_resource_in_camel_case(spec: dict[str, Any]) -> None:
    ids = {(path, method): op["operationId"] for path, method, op in operations(spec)}
    assert len(set(ids.values())) == len(ids)
    for operation_id in ids.values():
        assert re.fullmatch(r"(list|get|search|export)([A-Z][a-z0-9]+)+", operation_id), (
            operation_id
        )
    assert ids["/v1/draws", "get"] == "listDraws"
    assert ids["/v1/draws/{number}", "get"] == "getDraw"
    assert ids["/v1/draws/latest", "get"] == "getLatestDraw"
    assert ids["/v1/status", "get"] == "getStatus"


def test_tags_match_resources_and_are_declared(spec: dict[str, Any]) -> None:
    declared = {tag["name"] for tag in spec["tags"]}
    for path, _, op in operations(spec):
        assert len(op["tags"]) == 1, (path, op["tags"])
        assert op["tags"][0] in declared
        resource = path.removeprefix("/v1/").split("/")[0].split(".")[0]
        assert op["tags"][0] == resource, (path, op["tags"])


def test_every_operation_documents_every_answer_it_can_give(spec: dict[str, Any]) -> None:
    for path, _, op in operations(spec):
        statuses = set(op["responses"])
        assert statuses >= ERRORS_EVERYWHERE, (path, statuses)
        no_store = path == "/v1/status"
        assert ("304" in statuses) is not no_store, path
        # A 301 (a round's other spelling, api/rest/draws.py) is a redirect, not a problem.
        for status in statuses - {"200", "301", "304"}:
            response = resolve(spec, op["responses"][status])
            schema = response["content"]["application/problem+json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Problem"}, (path, status)
        ok_headers = set(resolve(spec, op["responses"]["200"])["headers"])
        assert {"Cache-Control", "RateLimit", "RateLimit-Policy"} <= ok_headers
        if not no_store:
            assert {"ETag", "Last-Modified"} <= ok_headers, path
    too_many = spec["components"]["responses"]["TooManyRequests"]["headers"]
    assert "Retry-After" in too_many
    assert "Link" in spec["paths"]["/v1/draws"]["get"]["responses"]["200"]["headers"]


def test_problem_code_enum_is_the_table_of_codes(spec: dict[str, Any]) -> None:
    problem = spec["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "code"} <= set(problem["required"])
    code = resolve(spec, problem["properties"]["code"])
    assert code["enum"] == list(CODES)
    assert len(code["x-enum-varnames"]) == len(code["enum"])


def test_docs_errors_md_lists_exactly_the_codes_the_code_knows() -> None:
    table = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    documented = re.findall(r"^\| <a id=\"(\w+)\"></a>`(\w+)` \| (\d+) \|", table, re.MULTILINE)
    assert [(a, c) for a, c, _ in documented] == [(c, c) for c, _, _ in documented]
    assert {c: int(s) for _, c, s in documented} == {c.code: c.status for c in CODES.values()}


def all_subclasses(cls: type) -> list[type]:
    return [sub for direct in cls.__subclasses__() for sub in [direct, *all_subclasses(direct)]]


def test_every_error_the_api_raises_has_a_documented_code() -> None:
    for error in [ApiError, *all_subclasses(ApiError)]:
        assert error.code in CODES, f"{error.__name__}.code {error.code!r} is not in CODES"
        assert CODES[error.code].status == error.status


def test_enums_are_named_with_readable_members(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    sort = schemas["DrawSort"]
    members = dict(zip(sort["enum"], sort["x-enum-varnames"], strict=True))
    assert members["-crs_min"] == "CRS_MIN_DESC"
    assert members["date"] == "DATE_ASC"
    # A member a client would see as VALUE_1 says nothing (the `bom` flag is a boolean).
    for name, schema in schemas.items():
        assert not any(v.startswith("VALUE_") for v in schema.get("x-enum-varnames", [])), name
    for path, _, op in operations(spec):
        for parameter in op.get("parameters", []):
            schema = parameter["schema"]
            assert "enum" not in schema, (path, parameter["name"], "inline enum")
            assert "null" not in str(schema.get("type")), (path, parameter["name"])
            assert "oneOf" not in schema and "anyOf" not in schema, (path, parameter["name"])


def test_enum_member_names_say_the_direction() -> None:
    assert enum_varnames(["date", "-date", "category"]) == ["DATE_ASC", "DATE_DESC", "CATEGORY"]


def test_litestar_dropped_lower_bounds_are_restored(spec: dict[str, Any]) -> None:
    params = {p["name"]: p["schema"] for p in spec["paths"]["/v1/draws"]["get"]["parameters"]}
    assert params["min_crs"]["minimum"] == 0
    assert params["min_invitations"]["minimum"] == 0
    assert (params["limit"]["minimum"], params["limit"]["maximum"]) == (1, 500)


async def test_what_the_server_sends_is_what_the_spec_says(
    client: Client, ingest: Ingest, spec: dict[str, Any]
) -> None:
    await ingest(FIXTURES / "rounds_2026.json")
    problem = spec["components"]["schemas"]["Problem"]
    for path, status in [
        ("/v1/draws?limit=900", 400),
        ("/v1/draws/99999", 404),
        ("/v1/nowhere", 404),
        ("/v1/draws?bogus=1", 400),
    ]:
        response = await client.get(path)
        assert response.status_code == status, path
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert set(problem["required"]) <= set(body), body
        assert set(body) <= set(problem["properties"]), body
        assert body["status"] == status and body["code"] in CODES
        assert body["type"] == f"/errors/{body['code']}"
        page = await client.get(body["type"])
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert body["code"] in page.text and CODES[body["code"]].title in page.text


async def test_error_pages_list_every_code_and_refuse_unknown_ones(client: Client) -> None:
    index = await client.get("/errors")
    assert index.status_code == 200
    for code in CODES:
        assert f'href="/errors/{code}"' in index.text
    unknown = await client.get("/errors/no_such_code")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "not_found"
    nul = await client.get("/errors/a%00b")
    assert nul.status_code == 400
