"""What a /graphql request may ask for, checked before any of it runs.

Every check here costs time linear in the document: a fragment is summarised once, however
many times it is spread (Strawberry's depth and alias limiters expand every spread again, so a
1.2 KB document of fragments spreading each other twice took minutes). The document limits are
one graphql-core validation rule that runs first and aborts validation when a limit is passed,
before graphql-core's own rules (some quadratic) see the document. The cost limit needs the
variables, so it runs just before execution (api/graphql/cost.py).

Every refusal is a GraphQL error with a stable ``extensions.code`` (api/graphql/errors.py,
docs/graphql.md). Parsing and validation are cached, bounded, so a repeated document costs
neither again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValidationRule,
)
from graphql.validation.validate import ValidationAbortedError
from strawberry.extensions import SchemaExtension

from api import reads
from api.errors import InvalidParameter
from api.graphql import errors

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2000
# Field selections of one operation with every fragment spread expanded.
MAX_SELECTIONS = 1000
# How often one response name may be selected in one selection set (fragments expanded).
# graphql-core compares every pair of same-named fields for overlap: 400 repeats took 1.3 s.
MAX_REPEATS = 10
MAX_FIRST = reads.MAX_LIMIT
# Checked on the raw text before anything parses it (GET or POST).
MAX_DOCUMENT_BYTES = 100_000
# A POST body (document, variables, extensions) past this is not read; a GET query string (as
# sent, percent-encoded) past this is not parsed.
MAX_REQUEST_BYTES = 2 * MAX_DOCUMENT_BYTES
# Wall-clock seconds per request (EEDRAWS_GRAPHQL_TIMEOUT overrides it).
TIME_BUDGET_SECONDS = 10.0
PARSE_CACHE_SIZE = 512
VALIDATION_CACHE_SIZE = 512


class _Shape:
    """A selection set summarised: what its expansion would hold, computed without expanding.

    ``depth`` counts fields with sub-selections on the deepest path (as Strawberry's depth
    limiter does); ``names`` counts the response names at its own level, fragments included.
    Counts stop growing just past their limit, so they stay small numbers.
    """

    __slots__ = ("aliases", "depth", "names", "selections")

    def __init__(self) -> None:
        self.depth = 0
        self.selections = 0
        self.aliases = 0
        self.names: dict[str, int] = {}

    def add(self, other: _Shape) -> None:
        """Merge a fragment (or inline fragment) spread at this level."""
        self.depth = max(self.depth, other.depth)
        self.selections = min(self.selections + other.selections, MAX_SELECTIONS + 1)
        self.aliases = min(self.aliases + other.aliases, MAX_ALIASES + 1)
        names = self.names
        for name, count in other.names.items():
            names[name] = min(names.get(name, 0) + count, MAX_REPEATS + 1)


class Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _Shapes:
    """Shapes of a document's selection sets, each fragment's computed once.

    Fragments are summarised in dependency order, without recursion from one to the next, so a
    chain of hundreds of spreads costs no deeper stack than one definition (which graphql-core's
    parser bounds).
    """

    def __init__(self, document: DocumentNode) -> None:
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.done: dict[str, _Shape] = {}
        for name in self.fragments:
            self._summarise_from(name)

    def _summarise_from(self, root: str) -> None:
        if root in self.done:
            return
        path = [(root, iter(_spreads(self.fragments[root].selection_set)))]
        on_path = {root}
        while path:
            name, spreads = path[-1]
            for spread in spreads:
                # A spread on the path closes a cycle: graphql-core reports it; it adds nothing.
                if spread in self.fragments and spread not in self.done and spread not in on_path:
                    path.append((spread, iter(_spreads(self.fragments[spread].selection_set))))
                    on_path.add(spread)
                    break
            else:
                path.pop()
                on_path.discard(name)
                self.done[name] = self.selection_set(self.fragments[name].selection_set)

    def fragment(self, name: str) -> _Shape:
        # Unknown fragments and cycles are graphql-core's to report; here they add nothing.
        return self.done.get(name) or _Shape()

    def selection_set(self, node: SelectionSetNode) -> _Shape:
        shape = _Shape()
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                self._field(shape, selection)
            elif isinstance(selection, InlineFragmentNode):
                shape.add(self.selection_set(selection.selection_set))
            elif isinstance(selection, FragmentSpreadNode):
                shape.add(self.fragment(selection.name.value))
        for name, count in shape.names.items():
            if count > MAX_REPEATS:
                raise Refused(
                    errors.MAX_REPEATS_EXCEEDED,
                    f"'{name}' is selected more than {MAX_REPEATS} times in one selection set "
                    "(fragments included); select it once",
                )
        return shape

    def _field(self, shape: _Shape, node: FieldNode) -> None:
        name = (node.alias or node.name).value
        shape.names[name] = min(shape.names.get(name, 0) + 1, MAX_REPEATS + 1)
        shape.selections = min(shape.selections + 1, MAX_SELECTIONS + 1)
        if node.alias is not None:
            shape.aliases = min(shape.aliases + 1, MAX_ALIASES + 1)
        if node.selection_set is None:
            return
        inner = self.selection_set(node.selection_set)
        shape.selections = min(shape.selections + inner.selections, MAX_SELECTIONS + 1)
        shape.aliases = min(shape.aliases + inner.aliases, MAX_ALIASES + 1)
        # Introspection (``__schema``, ``__type``) is not counted in the depth.
        if not node.name.value.startswith("__"):
            shape.depth = max(shape.depth, inner.depth + 1)


def _spreads(node: SelectionSetNode) -> list[str]:
    """Names of the fragments spread anywhere in a selection set."""
    found: list[str] = []
    stack = [node]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                found.append(selection.name.value)
            elif selection.selection_set is not None:  # type: ignore[attr-defined]
                stack.append(selection.selection_set)  # type: ignore[attr-defined]
    return found


def check_operation(shapes: _Shapes, operation: OperationDefinitionNode) -> None:
    """Raise ``Refused`` when an operation, its fragments expanded, passes a limit."""
    shape = shapes.selection_set(operation.selection_set)
    name = operation.name.value if operation.name else "anonymous"
    if shape.depth > MAX_DEPTH:
        raise Refused(
            errors.MAX_DEPTH_EXCEEDED,
            f"'{name}' exceeds maximum operation depth of {MAX_DEPTH}",
        )
    if shape.aliases > MAX_ALIASES:
        raise Refused(
            errors.MAX_ALIASES_EXCEEDED,
            f"{shape.aliases - 1}+ aliases found. Allowed: {MAX_ALIASES}",
        )
    if shape.selections > MAX_SELECTIONS:
        raise Refused(
            errors.MAX_SELECTIONS_EXCEEDED,
            f"'{name}' selects more than {MAX_SELECTIONS} fields with its fragments expanded",
        )


def check_document(document: DocumentNode) -> None:
    shapes = _Shapes(document)
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            check_operation(shapes, definition)


class DocumentLimitsRule(ValidationRule):
    """Depth, aliases, selections and repeats, checked on entering the document.

    A refusal aborts validation there, so the rules after it never walk the document.
    """

    def enter_document(self, node: DocumentNode, *_args: Any) -> None:
        try:
            check_document(node)
        except Refused as refused:
            raise ValidationAbortedError(
                refused.message, extensions={"code": refused.code}
            ) from None

    def enter_string_value(self, node: StringValueNode, *_args: Any) -> None:
        if "\x00" in node.value:
            self.report_error(
                GraphQLError(
                    "a string argument contains a NUL character (\\u0000)",
                    node,
                    extensions={"code": errors.BAD_USER_INPUT},
                )
            )


def schema_extensions() -> list[Callable[[], SchemaExtension]]:
    """Factories: Strawberry builds each extension per request (shared instances are deprecated).
    One extension does every check (api/graphql/checks.py)."""
    from api.graphql.checks import RequestChecks

    return [RequestChecks]


def check_first(first: int) -> int:
    if not 1 <= first <= MAX_FIRST:
        raise InvalidParameter(f"first must be between 1 and {MAX_FIRST}, not {first}")
    return first
