"""/errors/{code}: the page a problem's ``type`` points at, explaining its code.

Drawn by the site's templates (``api/web/templates/errors.html``), so it looks like every other
page: header, styles, a table that stacks on a phone.
"""

from __future__ import annotations

import json
from typing import Any

from litestar import Controller, MediaType, get
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template
from markupsafe import Markup, escape

from api.rest.errors import CODES, ERROR_PAGES, ErrorCode
from api.web.pages import ASSETS

EXAMPLE_DETAIL = {
    "invalid_parameter": "`limit` must be an integer from 1 to 500, got `900`",
    "not_found": "there is no round 99999",
}


def inline_code(text: str) -> Markup:
    """The table's `backticks` as <code>, everything else escaped."""
    parts = str(escape(text)).split("`")
    return Markup("".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts)))


def example(error: ErrorCode) -> str:
    """A problem document of this code, as the API would send it, indented to read."""
    body = {
        "type": f"{ERROR_PAGES}/{error.code}",
        "title": error.title,
        "status": error.status,
        "detail": EXAMPLE_DETAIL.get(error.code, "..."),
        "code": error.code,
    }
    return json.dumps(body, indent=2, ensure_ascii=False)


def _page(context: dict[str, Any]) -> Template:
    # No data on these pages, so no "data as of" and no feeds: they change only with a release.
    return Template(
        template_name="errors.html",
        context={"assets": ASSETS, "feeds": [], "as_of": "", "pages": ERROR_PAGES, **context},
        media_type=MediaType.HTML,
    )


class ErrorPagesController(Controller):
    path = ERROR_PAGES
    include_in_schema = False
    # The table changes only with a release.
    cache_control = CacheControlHeader(public=True, max_age=86400)

    @get("/", sync_to_thread=False)
    def error_codes(self) -> Template:
        rows = [(c, inline_code(c.when)) for c in CODES.values()]
        return _page({"error": None, "codes": rows})

    @get("/{code:str}", sync_to_thread=False)
    def error_code(self, code: FromPath[str]) -> Template:
        error = CODES.get(code)
        if error is None:
            raise NotFoundException(f"no error code {code[:40]!r}")
        return _page({"error": error, "when": inline_code(error.when), "example": example(error)})
