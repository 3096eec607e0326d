"""A shorter path through graphql-core for fields that only read an attribute.

Most fields of a page are leaves read straight off a struct (``number``, ``crsMin``). For each,
graphql-core builds a resolve-info object, calls Strawberry's resolver chain and dispatches on
the return type. For a field Strawberry calls basic (no resolver, no extension, no argument)
whose type is a scalar or enum, or a list of non-null ones, this executor reads the attribute and
serializes it itself. A basic field of a non-null object type with no ``is_type_of`` (a page's
``node``, a draw's ``category``) goes straight to its sub-fields. Any value it cannot answer
exactly as graphql-core would (a null, an error while serializing) and every other field take
graphql-core's own path, so results and errors are the same; only the time differs
(docs/graphql.md, "Speed"). A sub-field's error under a non-null object propagates past it as
graphql-core would propagate it (a non-null field cannot absorb an error).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
)
from graphql.pyutils import Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

Serialize = Callable[[Any], Any]


class _LeafPlan:
    __slots__ = ("attr", "is_list", "serialize")

    def __init__(self, attr: str, serialize: Serialize, *, is_list: bool) -> None:
        self.attr = attr
        self.serialize = serialize
        self.is_list = is_list


class _ObjectPlan:
    __slots__ = ("attr", "object_type")

    def __init__(self, attr: str, object_type: GraphQLObjectType) -> None:
        self.attr = attr
        self.object_type = object_type


_plans: dict[tuple[GraphQLObjectType, str], _LeafPlan | _ObjectPlan | None] = {}


def _leaf_serializer(type_: GraphQLOutputType) -> Serialize | None:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLScalarType | GraphQLEnumType):
        return type_.serialize
    return None


def _plan(parent_type: GraphQLObjectType, field_name: str) -> _LeafPlan | _ObjectPlan | None:
    field_def = parent_type.fields.get(field_name)
    if field_def is None or field_def.args:
        return None
    strawberry_field = field_def.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(strawberry_field, StrawberryField) or not strawberry_field.is_basic_field:
        return None
    if strawberry_field.default_resolver is not getattr:
        return None
    type_ = field_def.type
    if isinstance(type_, GraphQLNonNull):
        inner = type_.of_type
        if isinstance(inner, GraphQLObjectType) and inner.is_type_of is None:
            return _ObjectPlan(strawberry_field.python_name, inner)
        type_ = inner
    if isinstance(type_, GraphQLList):
        item = type_.of_type
        serialize = _leaf_serializer(item.of_type) if isinstance(item, GraphQLNonNull) else None
        is_list = True
    else:
        serialize, is_list = _leaf_serializer(type_), False
    if serialize is None:
        return None
    return _LeafPlan(strawberry_field.python_name, serialize, is_list=is_list)


def _leaf_value(plan: _LeafPlan, source: Any) -> Any:
    """The serialized value, or Undefined when graphql-core must decide (nulls, errors)."""
    try:
        value = getattr(source, plan.attr)
        if value is None:
            return Undefined
        serialize = plan.serialize
        if plan.is_list:
            items = [serialize(item) for item in value]
            return Undefined if any(item is None or item is Undefined for item in items) else items
        serialized = serialize(value)
    except Exception:  # graphql-core's path raises it again, located, as a field error.
        return Undefined
    return Undefined if serialized is None else serialized


class FastLeavesExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        if not self.middleware_manager or not self.middleware_manager.middlewares:
            key = (parent_type, field_details_list[0].node.name.value)
            plan = _plans.get(key, Undefined)
            if plan is Undefined:
                plan = _plans[key] = _plan(*key)
            if isinstance(plan, _ObjectPlan):
                value = getattr(source, plan.attr, None)
                if value is not None:
                    return self.collect_and_execute_subfields(
                        plan.object_type, field_details_list, path, value, position_context
                    )
            elif plan is not None:
                value = _leaf_value(plan, source)  # type: ignore[arg-type]
                if value is not Undefined:
                    return value
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )
