"""/errors/{code}: the page a problem's ``type`` points at, explaining its code."""

from __future__ import annotations

from html import escape

from litestar import Controller, MediaType, get
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.params import FromPath

from api.rest.errors import CODES, ERROR_PAGES, ErrorCode

EXAMPLE_DETAIL = {
    "invalid_parameter": "limit must be an integer from 1 to 500, got 900",
    "not_found": "there is no round 99999",
}


def _page(title: str, body: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} - eedraws</title></head>
<body>
{body}
<p><a href="{ERROR_PAGES}">All error codes</a> · <a href="/docs">API docs</a></p>
</body>
</html>
"""


def _inline_code(text: str) -> str:
    """The table's `backticks` as <code>, everything else escaped."""
    parts = escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def render_code(error: ErrorCode) -> str:
    example = (
        "{"
        f'"type": "{ERROR_PAGES}/{error.code}", "title": "{error.title}", '
        f'"status": {error.status}, '
        f'"detail": "{EXAMPLE_DETAIL.get(error.code, "...")}", "code": "{error.code}"'
        "}"
    )
    return _page(
        error.title,
        f"""<h1><code>{error.code}</code>: {escape(error.title)} ({error.status})</h1>
<p>{_inline_code(error.when)}</p>
<p>Every error is an RFC 9457 <code>application/problem+json</code> document; program against
its <code>code</code>, which is stable, not against <code>detail</code>, which is for people.</p>
<pre>{escape(example)}</pre>""",
    )


def render_index() -> str:
    rows = "\n".join(
        f'<tr><td><a href="{ERROR_PAGES}/{c.code}"><code>{c.code}</code></a></td>'
        f"<td>{c.status}</td><td>{_inline_code(c.when)}</td></tr>"
        for c in CODES.values()
    )
    return _page(
        "Error codes",
        f"""<h1>Error codes</h1>
<p>Every error is an RFC 9457 <code>application/problem+json</code> document with a stable
<code>code</code>; its <code>type</code> is the page of that code.</p>
<table><thead><tr><th>code</th><th>status</th><th>when</th></tr></thead>
<tbody>
{rows}
</tbody></table>""",
    )


class ErrorPagesController(Controller):
    path = ERROR_PAGES
    include_in_schema = False
    # The table changes only with a release.
    cache_control = CacheControlHeader(public=True, max_age=86400)

    @get("/", media_type=MediaType.HTML, sync_to_thread=False)
    def error_codes(self) -> str:
        return render_index()

    @get("/{code:str}", media_type=MediaType.HTML, sync_to_thread=False)
    def error_code(self, code: FromPath[str]) -> str:
        error = CODES.get(code)
        if error is None:
            raise NotFoundException(f"no error code {code[:40]!r}")
        return render_code(error)
