"""Every per-request check of /graphql as one schema extension.

The token limit, ``limits.DocumentLimitsRule`` put first among the validation rules, parsing and
validation cached (bounded), and the cost limit (``cost.CostLimit``). They were five extensions;
Strawberry builds each per request and enters a context manager per extension and per stage
(operation, parse, validate, execute): ``schema.execute`` of W5 in-process took 409-549 µs of
CPU with five (median 444) and takes 399-432 µs with one (median 410), five alternating rounds
of 400; the checks themselves take ~10 µs (``operation_cost`` of W5: 8.7 µs).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

from graphql.language.parser import parse
from strawberry.schema.schema import validate_document

from api.graphql import limits
from api.graphql.cost import CostLimit

_parse = functools.lru_cache(maxsize=limits.PARSE_CACHE_SIZE)(parse)
_validate = functools.lru_cache(maxsize=limits.VALIDATION_CACHE_SIZE)(validate_document)


class RequestChecks(CostLimit):
    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = limits.MAX_TOKENS
        context.validation_rules = (limits.DocumentLimitsRule, *context.validation_rules)
        yield

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.graphql_document = _parse(context.query, **context.parse_options)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        context.pre_execution_errors = _validate(
            context.schema._schema, context.graphql_document, context.validation_rules
        )
        yield
