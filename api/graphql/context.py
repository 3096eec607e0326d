"""What every resolver gets as ``info.context``: the pool and this request's DataLoaders."""

from __future__ import annotations

from strawberry.litestar import BaseContext

from api.graphql.loaders import Loaders
from api.reads import Db


class Context(BaseContext, kw_only=True):
    # Strawberry's Litestar controller fills in request/response (the fields of BaseContext).
    db: Db
    loaders: Loaders

    @classmethod
    def for_pool(cls, db: Db) -> Context:
        return cls(db=db, loaders=Loaders(db))
