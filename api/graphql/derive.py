"""GraphQL types and enums derived from the tables that own their shape, never re-declared.

``object_type(models.X)`` makes a class a Strawberry type with a field for every field of the
msgspec struct ``models.X``: the same name (camelCase), its type with structs replaced by their
GraphQL types, and the description the model gives it (``Annotated[..., msgspec.Meta(
description=...)]``, which REST's OpenAPI shows too). The class body holds only what GraphQL
does differently: a field it declares (a resolver, another type, a GraphQL-only description)
replaces the generated one. A type reached both complete and
as a summary (a draw's ``CategoryRef`` for a ``Category``) gets, for each field the summary
lacks, a resolver that reads it off the complete struct or awaits ``complete(parent, info)``
(a DataLoader). Adding a field to a model adds it to GraphQL.

``choice_enum(values)`` makes a GraphQL enum of a tuple of REST values (``filters.SORTS``,
``reads.SERIES_FREQUENCIES``): adding a value to the tuple adds it to GraphQL.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from enum import Enum
from typing import Annotated, Any, TypeVar, cast

import msgspec
import strawberry
from strawberry.types.field import StrawberryField
from strawberry.utils.str_converters import to_camel_case

from api.filters import FILTERS, FilterField
from api.graphql.context import Context

T = TypeVar("T")
E = TypeVar("E", bound=Enum)
Info = strawberry.Info[Context, None]
Complete = Callable[[Any, Info], Awaitable[Any]]

# Each msgspec struct's GraphQL type, as the decorators below declare them (summaries too).
_graphql_types: dict[type, type] = {}
# Each type's own model.
_primary: dict[type, type] = {}


def derived_types() -> Mapping[type, type]:
    """Every model with the GraphQL type ``object_type`` derived from it."""
    return dict(_primary)


def graphql_type_of(model: type) -> type:
    try:
        return _graphql_types[model]
    except KeyError:
        raise TypeError(
            f"{model.__name__} has no GraphQL type yet: declare it first, or declare the field"
        ) from None


def graphql_annotation(hint: Any) -> Any:
    """The GraphQL side of a model's type: structs as their GraphQL types, tuples as lists,
    ``int | float`` as ``float``; ``Annotated`` documentation dropped (it is the description)."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is Annotated:
        return graphql_annotation(args[0])
    if origin in (types.UnionType, typing.Union):
        kinds = [a for a in args if a is not type(None)]
        inner = float if set(kinds) == {int, float} else _union(map(graphql_annotation, kinds))
        return inner | None if type(None) in args else inner
    if origin in (list, tuple):
        return list[graphql_annotation(args[0])]  # type: ignore[misc]
    if isinstance(hint, type) and issubclass(hint, msgspec.Struct):
        return graphql_type_of(hint)
    return hint


def _union(kinds: Iterable[Any]) -> Any:
    found = list(dict.fromkeys(kinds))
    if len(found) != 1:
        raise TypeError(f"no GraphQL type for a union of {found}")
    return found[0]


def description_of(hint: Any) -> str | None:
    """The ``msgspec.Meta`` description of a model field's type, if it has one."""
    if typing.get_origin(hint) is Annotated:
        for meta in typing.get_args(hint)[1:]:
            if isinstance(meta, msgspec.Meta) and meta.description:
                return meta.description
    return None


def _declared(cls: type) -> set[str]:
    body = vars(cls)
    return set(body.get("__annotations__", {})) | {
        name for name, value in body.items() if isinstance(value, StrawberryField | staticmethod)
    }


def _detail_resolver(model: type, name: str, complete: Complete) -> Callable[..., Any]:
    def resolve(parent: strawberry.Parent[Any], info: Info) -> Any:
        if isinstance(parent, model):
            return getattr(parent, name)
        return _loaded(complete(parent, info), model, name)

    return resolve


async def _loaded(pending: Awaitable[Any], model: type, name: str) -> Any:
    found = await pending
    if found is None:
        raise RuntimeError(f"the {model.__name__} of a summary is missing")
    return getattr(found, name)


def _describe(cls: type, name: str, doc: str | None) -> None:
    """A field the class declares keeps its own description, or takes the model's."""
    declared = vars(cls).get(name)
    if declared is None:
        setattr(cls, name, strawberry.field(description=doc))
    elif isinstance(declared, StrawberryField) and declared.description is None:
        declared.description = doc


def object_type(
    model: type[msgspec.Struct],
    *,
    description: str | None = None,
    summaries: tuple[type[msgspec.Struct], ...] = (),
    complete: Complete | None = None,
) -> Callable[[type[T]], type[T]]:
    """A Strawberry type of ``model``'s fields (see the module's docstring).

    ``summaries``: structs served as this type too, completed by ``complete(parent, info)``.
    ``description``: the type's, when not the model's docstring.
    """

    def wrap(cls: type[T]) -> type[T]:
        declared = _declared(cls)
        body_annotations: dict[str, Any] = dict(vars(cls).get("__annotations__", {}))
        annotations: dict[str, Any] = {}
        for info in msgspec.structs.fields(model):
            doc = description_of(info.type)
            if info.name in body_annotations:
                annotations[info.name] = body_annotations.pop(info.name)
                _describe(cls, info.name, doc)
                continue
            if info.name in declared:
                continue
            graphql = graphql_annotation(info.type)
            name = to_camel_case(info.encode_name) if info.encode_name != info.name else None
            detail = any(info.name not in s.__struct_fields__ for s in summaries)
            if detail:
                if complete is None:
                    raise TypeError(f"{cls.__name__}.{info.name} needs `complete`")
                resolver = _detail_resolver(model, info.name, complete)
                setattr(
                    cls,
                    info.name,
                    strawberry.field(resolver, graphql_type=graphql, description=doc, name=name),
                )
            else:
                annotations[info.name] = graphql
                if doc is not None or name is not None:
                    setattr(cls, info.name, strawberry.field(description=doc, name=name))
        cls.__annotations__ = {**annotations, **body_annotations}
        # GraphQL lists fields in class order: the body's resolvers after the model's fields.
        for name, value in list(vars(cls).items()):
            if name in declared and isinstance(value, StrawberryField) and value.base_resolver:
                delattr(cls, name)
                setattr(cls, name, value)
        typed = strawberry.type(cls, description=description or _doc(model))
        for served in (model, *summaries):
            _graphql_types[served] = typed
        _primary[model] = typed
        return typed

    return wrap


def derive_types(*models: type[msgspec.Struct]) -> None:
    """GraphQL types that are their models and nothing more, described by the models'
    docstrings; a model's nested structs come before it (or were derived already)."""
    for model in models:
        object_type(model)(types.new_class(model.__name__))


def _doc(model: type) -> str | None:
    doc = model.__doc__
    # msgspec gives every struct a docstring (its signature) when it has none of its own.
    if doc is None or doc.startswith(f"{model.__name__}("):
        return None
    return " ".join(doc.split())


def choice_enum(
    values: Iterable[str],
    *,
    description: str,
    names: Callable[[str], str] = lambda value: value.upper(),
    docs: Mapping[str, str] | Callable[[str], str | None] = {},  # noqa: B006
) -> Callable[[type[E]], type[E]]:
    """A GraphQL enum of REST's values: member names from ``names``, each value REST's spelling,
    described by ``docs``. The decorated class only names the enum (mypy sees it as is); call
    it with a REST value for a member: ``DrawSort("-date")``."""
    doc_of = docs.get if isinstance(docs, Mapping) else docs

    def wrap(cls: type[E]) -> type[E]:
        members = {
            names(value): strawberry.enum_value(value, description=doc_of(value))
            for value in values
        }
        enum = Enum(cls.__name__, members, module=cls.__module__)  # type: ignore[misc]
        return cast("type[E]", strawberry.enum(enum, description=description))

    return wrap


def rest_value(member: Enum) -> str:
    """The REST spelling a member of a ``choice_enum`` stands for."""
    return str(member.value)


# --- the draw filter and its orders, from api.filters -------------------------------------

_INPUT_TYPES: Mapping[str, Any] = {"slug": list[str], "date": dt.date, "int": int}


def _filter_doc(spec: FilterField, filters: Sequence[FilterField]) -> str:
    doc = spec.filter.description
    lo, hi = spec.filter.lo, spec.filter.hi
    if lo is not None and hi is not None:
        doc += f" ({lo} to {hi})"
    if spec.filter.op == "<=":
        for low in filters:
            if low.filter.op == ">=" and low.filter.column == spec.filter.column:
                doc += f"; not below `{low.graphql_name}`"
    return doc


def filter_input(
    *, description: str, filters: Sequence[FilterField] = FILTERS
) -> Callable[[type[T]], type[T]]:
    """A Strawberry input with a field for every filter of ``filters`` (the table in
    ``api.filters``): its GraphQL name, type and description come from the table; every field
    is optional (null: any)."""

    def wrap(cls: type[T]) -> type[T]:
        annotations: dict[str, Any] = {}
        for spec in filters:
            annotations[spec.attr] = _INPUT_TYPES[spec.kind] | None
            field = strawberry.field(
                name=spec.graphql_name, default=None, description=_filter_doc(spec, filters)
            )
            setattr(cls, spec.attr, field)
        cls.__annotations__ = annotations
        return strawberry.input(cls, description=description)

    return wrap


def sort_name(value: str) -> str:
    """``-crs_min`` as ``CRS_MIN_DESC``, ``date`` as ``DATE_ASC``."""
    key = value.removeprefix("-")
    return f"{key.upper()}_{'DESC' if value.startswith('-') else 'ASC'}"


def sort_doc(value: str) -> str:
    key = value.removeprefix("-")
    descending = value.startswith("-")
    if key == "date":
        first = "newest" if descending else "oldest"
    else:
        first = "highest" if descending else "lowest"
    return f"REST sort={value}: {first} first"
