"""/docs: Swagger UI 5 (renders OpenAPI 3.1) from the ``swagger-ui-bundle-v2`` package, offline.

The page is static HTML: the UI's files and our start-up script are same-origin files under
``/docs/assets``, and the spec is fetched from ``/openapi.json``. See
docs/decisions/0005-docs-ui-swagger-ui-5.md.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.static_files import create_static_files_router

from api.mcp.server import assistant_snippet

DOCS_ASSETS = "/docs/assets"
# The page names this server's /mcp URL: with no public URL set, its answer differs by origin.
DOCS_PAGE = "/docs"
OWN_ASSETS = Path(__file__).parent / "docs_ui"


def swagger_ui_dir() -> Path:
    import swagger_ui_bundle

    return Path(str(swagger_ui_bundle.swagger_ui_path))


class SwaggerUIPage(OpenAPIRenderPlugin):
    """The docs page; no inline script, so it satisfies ``script-src 'self'``."""

    def __init__(self) -> None:
        super().__init__(path="/")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = openapi_schema["info"]["title"]
        snippet = html.escape(assistant_snippet(request.app.state.public_origin.of(request.scope)))
        return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title} API docs</title>
  <link rel="icon" href="{DOCS_ASSETS}/favicon-32x32.png">
  <link rel="stylesheet" href="{DOCS_ASSETS}/swagger-ui.css">
</head>
<body>
  <details style="font-family: sans-serif; max-width: 1460px; margin: 1rem auto 0; padding: 0 20px">
    <summary>AI assistants: this API as an MCP server, at <code>/mcp</code></summary>
    <p>Assistants that speak the Model Context Protocol ask the same questions through read-only
    tools (rounds, a round's context, series, yearly stats, the pool, where a score stands,
    next-round estimates), each
    answer with its source and data version. Add the server to the assistant's MCP settings:</p>
    <pre style="white-space: pre-wrap; background: #f6f6f6; padding: .75rem">{snippet}</pre>
  </details>
  <div id="swagger-ui"></div>
  <script src="{DOCS_ASSETS}/swagger-ui-bundle.js"></script>
  <script src="{DOCS_ASSETS}/eedraws-docs.js"></script>
</body>
</html>
""".encode()


def docs_assets_router() -> Router:
    return create_static_files_router(
        path=DOCS_ASSETS,
        directories=[OWN_ASSETS, swagger_ui_dir()],
        include_in_schema=False,
    )
