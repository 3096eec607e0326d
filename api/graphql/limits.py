"""What a /graphql request may ask for, and the schema extensions that enforce it.

Every refusal is a GraphQL error with a stable ``extensions.code`` (api/graphql/errors.py,
docs/graphql.md). Parsing and validation are cached, bounded, so a repeated document costs
neither again.
"""

from __future__ import annotations

from collections.abc import Callable

from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule

from api import reads
from api.errors import InvalidParameter

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2000
MAX_FIRST = reads.MAX_LIMIT
# Checked on the raw text before anything parses it (GET or POST).
MAX_DOCUMENT_BYTES = 100_000
# A POST body (document, variables, extensions) past this is not read; a GET query string (as
# sent, percent-encoded) past this is not parsed.
MAX_REQUEST_BYTES = 2 * MAX_DOCUMENT_BYTES
PARSE_CACHE_SIZE = 512
VALIDATION_CACHE_SIZE = 512

# Built once: ValidationCache keys on the rule classes, so a class made per request never hits.
_SHAPE_RULES = (depth_rule(MAX_DEPTH, None), aliases_rule(MAX_ALIASES))


class QueryShapeLimits(AddValidationRules):
    """Strawberry's depth and alias validators (introspection fields are not counted)."""

    def __init__(self) -> None:
        super().__init__(list(_SHAPE_RULES))


def _max_tokens() -> SchemaExtension:
    return MaxTokensLimiter(max_token_count=MAX_TOKENS)


def _parser_cache() -> SchemaExtension:
    return ParserCache(maxsize=PARSE_CACHE_SIZE)


def _validation_cache() -> SchemaExtension:
    return ValidationCache(maxsize=VALIDATION_CACHE_SIZE)


def schema_extensions() -> list[Callable[[], SchemaExtension]]:
    """Factories: Strawberry builds each extension per request (shared instances are deprecated)."""
    return [_max_tokens, QueryShapeLimits, _parser_cache, _validation_cache]


def check_first(first: int) -> int:
    if not 1 <= first <= MAX_FIRST:
        raise InvalidParameter(f"first must be between 1 and {MAX_FIRST}, not {first}")
    return first
