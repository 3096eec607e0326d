"""The cost of a /graphql operation, known before it runs: how many objects it may return.

Like GitHub's node limit: a connection asked for ``first: n`` counts n nodes, and everything
selected under it counts n times; a list with no ``first`` counts the size in ``LIST_SIZES``.
Summed over the operation, this is an upper bound of the objects the answer can hold, computed
from the document and its variables in time linear in the document (a fragment's cost per
parent is computed once). Above ``MAX_COST`` the operation is refused and nothing runs; every
answer that got this far reports its cost in ``extensions.cost``. The cost is also put on the
request's ASGI scope state (``api.ratelimit.COST_STATE_KEY``): the rate limiter charges it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)
from strawberry.extensions import SchemaExtension

from api.forecasts import HORIZONS
from api.graphql import errors, limits
from api.ratelimit import COST_STATE_KEY

# Nodes an operation may ask for: about what a second of this API's work returns.
MAX_COST = 25_000
# Sizes assumed for lists without `first`: over what the data holds, with room to grow.
LIST_SIZES: Mapping[tuple[str, str], int] = {
    ("Query", "categories"): 50,
    ("Query", "poolSnapshots"): 500,
    ("Query", "yearlyStats"): 200,
    ("PoolSnapshot", "draws"): 10,
    ("PoolSnapshot", "bands"): 25,
    ("Category", "versions"): 10,
    ("Query", "poolChanges"): 500,
    ("PoolChange", "bands"): 25,
    ("BandHistory", "data"): 500,
    ("Series", "data"): 1000,
    ("Standing", "draws"): 50,
    ("Query", "nextRound"): 50,
    ("NextRound", "regimeBreaks"): 20,
    ("TargetForecast", "backtest"): len(HORIZONS),
    ("ForecastBacktest", "scores"): 300,
    # Every past prediction of every line: ~470 on IRCC's file of 2026-04-21.
    ("ForecastBacktest", "rows"): 5000,
}
# A list of objects not in the table (a field added later) counts as a full page.
DEFAULT_LIST_SIZE = limits.MAX_FIRST
CONNECTIONS = frozenset({"DrawConnection"})
# On a connection, these are the page its `first` already counted.
PAGE_FIELDS = frozenset({"edges", "nodes"})
# Past this, sums stop growing: the operation is refused anyway.
_CEILING = MAX_COST * limits.MAX_FIRST


class _Costs:
    def __init__(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.variables = dict(variables)
        for definition in operation.variable_definitions or ():
            name = definition.variable.name.value
            if name not in self.variables and isinstance(definition.default_value, IntValueNode):
                self.variables[name] = int(definition.default_value.value)
        self.done: dict[str, int] = {}
        self.in_progress: set[str] = set()

    def selection_set(self, node: SelectionSetNode, parent: GraphQLNamedType | None) -> int:
        total = 0
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selection_set(selection.selection_set, inner)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value)
        return min(total, _CEILING)

    def fragment(self, name: str) -> int:
        if name in self.done:
            return self.done[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.in_progress:
            return 0
        self.in_progress.add(name)
        try:
            parent = self.schema.get_type(definition.type_condition.name.value)
            cost = self.selection_set(definition.selection_set, parent)
        finally:
            self.in_progress.discard(name)
        self.done[name] = cost
        return cost

    def field(self, node: FieldNode, parent: GraphQLNamedType | None) -> int:
        if node.selection_set is None or not isinstance(parent, GraphQLObjectType):
            return 0
        definition = parent.fields.get(node.name.value)
        if definition is None:  # introspection: bounded by the document limits
            return 0
        below = self.selection_set(node.selection_set, get_named_type(definition.type))
        items = self.items(node, parent, definition)
        if items is None:
            return below
        return items + items * below

    def items(
        self, node: FieldNode, parent: GraphQLObjectType, definition: GraphQLField
    ) -> int | None:
        """How many objects this field counts for each parent; None when it adds none."""
        if get_named_type(definition.type).name in CONNECTIONS:
            return self.first(node, definition)
        if parent.name in CONNECTIONS and node.name.value in PAGE_FIELDS:
            return None
        type_ = definition.type
        if isinstance(type_, GraphQLNonNull):
            type_ = type_.of_type
        if isinstance(type_, GraphQLList):
            return LIST_SIZES.get((parent.name, node.name.value), DEFAULT_LIST_SIZE)
        return None

    def first(self, node: FieldNode, definition: GraphQLField) -> int:
        value: Any = None
        for argument in node.arguments or ():
            if argument.name.value != "first":
                continue
            if isinstance(argument.value, IntValueNode):
                value = int(argument.value.value)
            elif isinstance(argument.value, VariableNode):
                value = self.variables.get(argument.value.name.value)
        if value is None and "first" in definition.args:
            value = definition.args["first"].default_value
        if not isinstance(value, int) or isinstance(value, bool):
            return limits.MAX_FIRST
        # Out of range is refused by the resolver with a clearer message than a cost.
        return max(1, min(value, limits.MAX_FIRST))


def operation_named(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    """The operation a request names (the only one when it names none), as graphql-core picks it."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    """The nodes the operation may return (at least 1)."""
    operation = operation_named(document, operation_name)
    if operation is None:  # graphql-core refuses it with its own error
        return 1
    costs = _Costs(schema, document, operation, variables or {})
    root = schema.get_root_type(operation.operation)
    return max(1, costs.selection_set(operation.selection_set, root))


class CostLimit(SchemaExtension):
    """Computes the cost before execution, refuses above ``MAX_COST``, reports it."""

    cost: int | None = None

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            self.cost = operation_cost(
                context.schema._schema,
                context.graphql_document,
                context.operation_name,
                context.variables,
            )
            _publish(context.context, self.cost)
            if self.cost > MAX_COST:
                raise GraphQLError(
                    f"this operation may return {self.cost} nodes; the limit is {MAX_COST}: "
                    "ask for fewer (`first`) or split it",
                    extensions={"code": errors.MAX_COST_EXCEEDED},
                )
        yield

    def get_results(self) -> dict[str, Any]:
        if self.cost is None:
            return {}
        return {"cost": {"requested": self.cost, "limit": MAX_COST}}


def _publish(context: Any, cost: int) -> None:
    request = getattr(context, "request", None)
    scope = getattr(request, "scope", None)
    if isinstance(scope, dict):
        scope.setdefault("state", {})[COST_STATE_KEY] = cost
