"""Compiled plans: a document already answered once, run again without the GraphQL machinery.

A plan is made per (document, operation name) after a full run through Strawberry answered it
without an error (so it parses, validates and is within every document limit; see
``api/graphql/posts.py``). Compiling collects the operation's fields once, as graphql-core
would, and keeps for each: its response name, how its value is got (an attribute read, or the
field's own Strawberry resolver with its arguments converted as Strawberry converts them) and
how it is completed (a scalar's or enum's ``serialize``, a list, an object's compiled fields).
Running a plan coerces the variables, calls the same resolvers (so the same read-layer
functions, ``api/reads.py``) and builds the ``data`` dict in one recursive pass.

A document compiles only when nothing in it needs graphql-core's judgement: no directives (so
the fields collected do not depend on the variables), no fragment variables, no introspection
field but ``__typename``, no abstract type, only query operations, and inside lists only plain
attribute reads or resolvers that take no ``info`` and are not async (DataLoaders batch across
a list's items only under graphql-core's concurrent execution). Anything a plan cannot answer
exactly as graphql-core would (a null in a non-null field, a value that does not serialize, an
error in a resolver, variables that do not coerce) raises ``Fallback``: the request is then
answered by the full path, which gives the error its usual shape. Plans have no side effects
(every resolver here is a read), so running the request again is safe.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, cast

from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    OperationDefinitionNode,
    OperationType,
    Visitor,
    visit,
)
from graphql.execution.collect_fields import (
    FieldDetails,
    FragmentDetails,
    collect_fields,
    collect_subfields,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from graphql.pyutils import Undefined
from strawberry.schema.schema_converter import GraphQLCoreConverter, get_arguments
from strawberry.types.field import StrawberryField

from api.graphql.context import Context
from api.graphql.cost import operation_cost, operation_named
from api.graphql.schema import schema

_GRAPHQL_SCHEMA = schema._schema
_CONFIG = schema.config
_SCALARS = schema.schema_converter.scalar_registry


class Fallback(Exception):
    """What a plan cannot answer as graphql-core would: the full path answers it."""


class _RawInfo:
    """What Strawberry's ``Info`` reads of graphql-core's resolve info, for the resolvers a plan
    calls: they read ``info.context`` (anything else they ask for fails, and falls back)."""

    __slots__ = ("context",)
    root_value = None

    def __init__(self, context: Context) -> None:
        self.context = context


class _Field:
    """One response name of a compiled selection set."""

    __slots__ = (
        "attr",
        "complete",
        "definition",
        "direct",
        "is_async",
        "leaf",
        "name",
        "node",
        "object_fields",
        "parent_name",
        "strawberry_field",
        "type_",
        "typename",
    )

    def __init__(self, name: str) -> None:
        self.name = name
        self.typename: str | None = None
        self.attr: str | None = None
        self.strawberry_field: StrawberryField | None = None
        self.definition: GraphQLField | None = None
        self.node: FieldNode | None = None
        self.type_: GraphQLOutputType | None = None
        self.leaf = False
        self.object_fields: list[_Field] | None = None
        # The resolver may return an awaitable (an async resolver, or one that takes ``info``
        # and so may reach a DataLoader).
        self.is_async = False
        # A resolver of its parent only (no arguments, no info): called as it is.
        self.direct: Callable[..., Any] | None = None
        self.parent_name = ""
        self.complete: Complete = _unset


Complete = Callable[["_Run", Any], Any]


def _unset(run: _Run, value: Any) -> Any:
    raise Fallback


def _completer(type_: GraphQLOutputType, field: _Field) -> Complete:
    """How a value of ``type_`` is completed, as graphql-core completes it, or ``Fallback``."""
    if not isinstance(type_, GraphQLNonNull):
        inner = _completer_of(type_, field)

        def nullable(run: _Run, value: Any) -> Any:
            return None if value is None else inner(run, value)

        return nullable
    of_type = type_.of_type
    if field.leaf and not isinstance(of_type, GraphQLList):
        serialize = of_type.serialize  # type: ignore[union-attr]

        def non_null_leaf(run: _Run, value: Any) -> Any:
            if value is None:
                raise Fallback
            serialized = serialize(value)
            if serialized is None or serialized is Undefined:
                raise Fallback
            return serialized

        return non_null_leaf
    inner = _completer_of(of_type, field)

    def non_null(run: _Run, value: Any) -> Any:
        if value is None:
            raise Fallback
        return inner(run, value)

    return non_null


def _completer_of(type_: GraphQLOutputType, field: _Field) -> Complete:
    if isinstance(type_, GraphQLList):
        item = _completer(type_.of_type, field)

        def complete_list(run: _Run, value: Any) -> Any:
            if isinstance(value, str | bytes | Mapping):  # graphql-core: not a list
                raise Fallback
            return [item(run, v) for v in value]

        return complete_list
    if field.leaf:
        serialize = type_.serialize  # type: ignore[union-attr]

        def leaf(run: _Run, value: Any) -> Any:
            serialized = serialize(value)
            if serialized is None or serialized is Undefined:
                raise Fallback
            return serialized

        return leaf
    fields = field.object_fields
    assert fields is not None

    def complete_object(run: _Run, value: Any) -> Any:
        return run.object_sync(fields, value)

    return complete_object


class Plan:
    """A compiled query operation; ``run`` answers it for one request's variables."""

    def __init__(
        self,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        fields: list[_Field],
    ) -> None:
        self.document = document
        self.operation = operation
        self.fields = fields
        # With no variables, the cost is the document's alone: computed once.
        self.fixed_cost: int | None = None
        if not operation.variable_definitions:
            name = operation.name.value if operation.name else None
            self.fixed_cost = operation_cost(_GRAPHQL_SCHEMA, document, name, None)

    def cost(self, variables: Mapping[str, Any] | None, operation_name: str | None) -> int:
        """The operation's cost (``api/graphql/cost.py``) with these variables."""
        if self.fixed_cost is not None:
            return self.fixed_cost
        return operation_cost(_GRAPHQL_SCHEMA, self.document, operation_name, variables)

    def variables(self, raw: Mapping[str, Any] | None) -> VariableValues:
        """The coerced variables; ``Fallback`` when they do not coerce (graphql-core words the
        errors)."""
        coerced = get_variable_values(
            _GRAPHQL_SCHEMA, self.operation.variable_definitions or (), dict(raw or {})
        )
        if not isinstance(coerced, VariableValues):
            raise Fallback
        return coerced

    async def run(self, context: Context, variables: VariableValues) -> dict[str, Any]:
        """The operation's ``data``; raises ``Fallback`` for anything else."""
        try:
            return await _Run(context, variables).object_async(self.fields, None)
        except Fallback:
            raise
        except Exception as exc:  # a resolver's error: the full path reports it, located
            raise Fallback from exc


class _Run:
    __slots__ = ("context", "infos", "raw_info", "variables")

    def __init__(self, context: Context, variables: VariableValues) -> None:
        self.context = context
        self.variables = variables
        self.raw_info = _RawInfo(context)
        self.infos: dict[int, Any] = {}

    def _info(self, field: StrawberryField) -> Any:
        info = self.infos.get(id(field))
        if info is None:
            info = self.infos[id(field)] = _CONFIG.info_class(
                _raw_info=self.raw_info,  # type: ignore[arg-type]
                _field=field,
            )
        return info

    def resolve(self, field: _Field, source: Any) -> Any:
        if field.attr is not None:
            return getattr(source, field.attr)
        strawberry_field = field.strawberry_field
        definition = field.definition
        assert strawberry_field is not None
        assert definition is not None
        assert field.node is not None
        raw_args = (
            get_argument_values(definition, field.node, self.variables) if definition.args else {}
        )
        info = self._info(strawberry_field)
        args, kwargs = get_arguments(
            field=strawberry_field,
            source=source,
            info=info,
            kwargs=raw_args,
            config=_CONFIG,
            scalar_registry=_SCALARS,
        )
        return strawberry_field.get_result(source, info=info, args=args, kwargs=kwargs)

    def object_sync(self, fields: list[_Field], source: Any) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for field in fields:
            if field.typename is not None:
                result[field.name] = field.typename
                continue
            attr = field.attr
            if attr is not None:
                value = getattr(source, attr)
            elif field.direct is not None:
                value = field.direct(**{field.parent_name: source})
            else:
                value = self.resolve(field, source)
                if inspect.isawaitable(value):  # never compiled inside a list; guarded anyway
                    raise Fallback
            result[field.name] = field.complete(self, value)
        return result

    async def object_async(self, fields: list[_Field], source: Any) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for field in fields:
            if field.typename is not None:
                result[field.name] = field.typename
                continue
            value = self.resolve(field, source)
            if inspect.isawaitable(value):
                value = await value
            type_ = field.type_
            assert type_ is not None
            if field.is_async and _is_object(type_):
                # An object below may itself await (a count, a DataLoader).
                result[field.name] = await self._complete_async(field, type_, value)
            else:
                result[field.name] = field.complete(self, value)
        return result

    async def _complete_async(self, field: _Field, type_: GraphQLOutputType, value: Any) -> Any:
        if isinstance(type_, GraphQLNonNull):
            if value is None:
                raise Fallback
            type_ = type_.of_type
        elif value is None:
            return None
        assert field.object_fields is not None
        return await self.object_async(field.object_fields, value)


def _is_object(type_: GraphQLOutputType) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLObjectType)


class _Uncompilable(Exception):
    pass


class _HasDirectives(Visitor):
    found = False

    def enter_directive(self, node: DirectiveNode, *_args: Any) -> None:
        self.found = True


def compile_plan(document: DocumentNode, operation_name: str | None) -> Plan | None:
    """The plan of an operation already answered once without errors, or None when some of it
    needs graphql-core (see the module docstring)."""
    operation = operation_named(document, operation_name)
    if operation is None or operation.operation != OperationType.QUERY:
        return None
    directives = _HasDirectives()
    visit(document, directives)
    if directives.found:
        return None
    fragments = {}
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            if definition.variable_definitions:
                return None
            fragments[definition.name.value] = FragmentDetails(definition)
    compiler = _Compiler(fragments, operation)
    root = _GRAPHQL_SCHEMA.query_type
    assert root is not None
    collected = collect_fields(_GRAPHQL_SCHEMA, fragments, VariableValues({}, {}), root, operation)
    try:
        fields = compiler.fields(root, collected.grouped_field_set, in_list=False)
    except _Uncompilable:
        return None
    if collected.new_defer_usages or collected.forbidden_directive_instances:
        return None
    return Plan(document, operation, fields)


class _Compiler:
    def __init__(
        self, fragments: dict[str, FragmentDetails], operation: OperationDefinitionNode
    ) -> None:
        self.fragments = fragments
        self.operation = operation

    def fields(
        self,
        parent: GraphQLObjectType,
        grouped: Mapping[str, list[FieldDetails]],
        *,
        in_list: bool,
    ) -> list[_Field]:
        return [self.field(parent, name, details, in_list) for name, details in grouped.items()]

    def field(
        self,
        parent: GraphQLObjectType,
        response_name: str,
        details: list[FieldDetails],
        in_list: bool,
    ) -> _Field:
        node = details[0].node
        compiled = _Field(response_name)
        field_name = node.name.value
        if field_name == "__typename":
            compiled.typename = parent.name
            return compiled
        definition = parent.fields.get(field_name)
        if definition is None:  # introspection (__schema, __type)
            raise _Uncompilable
        strawberry_field = definition.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
        if not isinstance(strawberry_field, StrawberryField) or strawberry_field.extensions:
            raise _Uncompilable
        compiled.definition = definition
        compiled.node = node
        compiled.type_ = definition.type
        resolver = strawberry_field.base_resolver
        if resolver is None:
            if definition.args:
                raise _Uncompilable
            if strawberry_field.default_resolver is not getattr:
                raise _Uncompilable
            compiled.attr = strawberry_field.python_name
        else:
            takes_info = resolver.info_parameter is not None
            compiled.is_async = resolver.is_async or takes_info
            if in_list and compiled.is_async:
                raise _Uncompilable
            compiled.strawberry_field = strawberry_field
            parent_parameter = resolver.parent_parameter
            if (
                not compiled.is_async
                and not definition.args
                and parent_parameter is not None
                and resolver.self_parameter is None
                and resolver.root_parameter is None
                and len(resolver.signature.parameters) == 1
            ):
                compiled.direct = cast("Callable[..., Any]", resolver.wrapped_func)
                compiled.parent_name = parent_parameter.name
        named, in_list_below = _unwrap(definition.type)
        if isinstance(named, GraphQLScalarType | GraphQLEnumType):
            compiled.leaf = True
            compiled.complete = _completer(definition.type, compiled)
            return compiled
        if not isinstance(named, GraphQLObjectType) or named.is_type_of is not None:
            raise _Uncompilable
        sub = collect_subfields(
            _GRAPHQL_SCHEMA,
            self.fragments,
            VariableValues({}, {}),
            self.operation,
            named,
            details,
        )
        if sub.new_defer_usages or sub.forbidden_directive_instances:
            raise _Uncompilable
        below = in_list or in_list_below
        compiled.object_fields = self.fields(named, sub.grouped_field_set, in_list=below)
        if any(f.is_async for f in compiled.object_fields):
            if below:
                raise _Uncompilable
            compiled.is_async = True
        compiled.complete = _completer(definition.type, compiled)
        return compiled


def _unwrap(type_: GraphQLOutputType) -> tuple[Any, bool]:
    """The named type under lists and non-nulls, and whether a list was among them."""
    in_list = False
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        in_list = in_list or isinstance(type_, GraphQLList)
        type_ = type_.of_type
    return type_, in_list
