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
    __slots__ = ("attr", "is_list", "nullable", "serialize")

    def __init__(self, attr: str, serialize: Serialize, *, is_list: bool, nullable: bool) -> None:
        self.attr = attr
        self.serialize = serialize
        self.is_list = is_list
        self.nullable = nullable


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
    nullable = not isinstance(type_, GraphQLNonNull)
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
    return _LeafPlan(strawberry_field.python_name, serialize, is_list=is_list, nullable=nullable)


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


class _Fallback(Exception):
    """A value the list fast path cannot answer as graphql-core would: it takes its own path."""


# One field of a compiled selection, by kind: (_LEAF, response name, attribute, serialize,
# nullable), (_LIST_LEAF, ...) for a list of non-null leaves, (_OBJECT, response name,
# attribute, the object's compiled selection), (_TYPENAME, response name, type name).
_LEAF, _LIST_LEAF, _OBJECT, _TYPENAME = range(4)
_Compiled = list[tuple[Any, ...]]


def _object_values(compiled: _Compiled, source: Any) -> dict[str, Any]:
    """The result of ``compiled`` on ``source``; raises (``_Fallback`` or the error itself) for
    anything graphql-core must answer: a null in a non-null field, a value that does not
    serialize."""
    result: dict[str, Any] = {}
    for field in compiled:
        kind = field[0]
        if kind == _TYPENAME:
            result[field[1]] = field[2]
            continue
        value = getattr(source, field[2])
        if value is None:
            # Null is the answer where the schema allows it; elsewhere an error to report.
            if kind != _LEAF or not field[4]:
                raise _Fallback
        elif kind == _LEAF:
            value = field[3](value)
            if value is None:
                raise _Fallback
        elif kind == _OBJECT:
            value = _object_values(field[3], value)
        else:
            serialize = field[3]
            value = [serialize(item) for item in value]
            if None in value:
                raise _Fallback
        result[field[1]] = value
    return result


class FastLeavesExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def _plan_of(self, parent_type: GraphQLObjectType, field_name: str) -> Any:
        key = (parent_type, field_name)
        plan = _plans.get(key, Undefined)
        if plan is Undefined:
            plan = _plans[key] = _plan(*key)
        return plan

    def _compile(self, object_type: GraphQLObjectType, field_details_list: Any) -> _Compiled | None:
        """The selection on ``object_type`` as plain reads, or None when any field of it (or of
        an object below it) needs graphql-core: a resolver, arguments, a deferral."""
        grouped, deferred, forbidden = self.collect_subfields(object_type, field_details_list)
        if deferred or forbidden:
            return None
        compiled: _Compiled = []
        for response_name, details in grouped.items():
            field_name = details[0].node.name.value
            if field_name == "__typename":
                compiled.append((_TYPENAME, response_name, object_type.name))
                continue
            plan = self._plan_of(object_type, field_name)
            if isinstance(plan, _ObjectPlan):
                sub = self._compile(plan.object_type, details)
                if sub is None:
                    return None
                compiled.append((_OBJECT, response_name, plan.attr, sub))
            elif isinstance(plan, _LeafPlan):
                kind = _LIST_LEAF if plan.is_list else _LEAF
                compiled.append((kind, response_name, plan.attr, plan.serialize, plan.nullable))
            else:
                return None
        return compiled

    def complete_iterable_value(
        self,
        item_type: GraphQLOutputType,
        field_details_list: Any,
        info: Any,
        path: Any,
        items: Any,
        position_context: Any,
    ) -> Any:
        # A list of objects whose whole selection is plain reads (a page's edges and nodes):
        # one tight loop instead of graphql-core's per-item, per-field completion.
        inner = item_type.of_type if isinstance(item_type, GraphQLNonNull) else None
        if (
            isinstance(inner, GraphQLObjectType)
            and inner.is_type_of is None
            and isinstance(items, list)
            and not (self.middleware_manager and self.middleware_manager.middlewares)
            and self.get_stream_usage(field_details_list, path) is None
        ):
            compiled = self._compile(inner, field_details_list)
            if compiled is not None:
                try:
                    return [_object_values(compiled, item) for item in items]
                except Exception:  # graphql-core's path reports it, located
                    pass
        return super().complete_iterable_value(
            item_type, field_details_list, info, path, items, position_context
        )

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        if not self.middleware_manager or not self.middleware_manager.middlewares:
            plan = self._plan_of(parent_type, field_details_list[0].node.name.value)
            if isinstance(plan, _ObjectPlan):
                value = getattr(source, plan.attr, None)
                if value is not None:
                    return self.collect_and_execute_subfields(
                        plan.object_type, field_details_list, path, value, position_context
                    )
            elif plan is not None:
                value = _leaf_value(plan, source)
                if value is not Undefined:
                    return value
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )
