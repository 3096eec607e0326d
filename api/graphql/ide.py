"""GraphiQL for browsers at /graphql, its JS and CSS served by the API itself (no CDN).

The built files come from the ``graphene-django-graphiql-static`` wheel (GraphiQL 2, React 17,
the explorer plugin); only its static folder is read, so it brings no Django with it.
"""

from __future__ import annotations

import functools
from importlib.resources import files
from pathlib import Path

from litestar import Router
from litestar.static_files import create_static_files_router

ASSETS_PATH = "/assets"


def assets_dir() -> Path:
    package = files("graphene_django_graphiql_static")
    return Path(str(package)) / "static" / "graphene_django_graphiql_static"


@functools.cache
def page(base_path: str) -> str:
    template = (Path(__file__).parent / "graphiql.html").read_text(encoding="utf-8")
    return template.replace("{assets}", base_path + ASSETS_PATH)


def assets_router() -> Router:
    return create_static_files_router(
        path=ASSETS_PATH,
        directories=[assets_dir()],
        include_in_schema=False,
        name="graphiql-assets",
    )
