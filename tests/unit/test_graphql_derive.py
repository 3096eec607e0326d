"""GraphQL's types, input and enums are derived from the tables that own them (api.graphql.derive).

A model's field, a filter of the table or a REST value added in its one place appears in the
schema with its name, type and description; nothing in api/graphql repeats it.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum
from typing import Annotated

import msgspec
import strawberry
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.utils.str_converters import to_camel_case

from api import models
from api.filters import FILTERS, Filter, FilterField
from api.graphql.derive import choice_enum, derived_types, filter_input, object_type
from api.graphql.schema import schema


def test_every_field_of_every_model_is_a_field_of_its_graphql_type() -> None:
    assert models.Draw in derived_types() and models.Standing in derived_types()
    for model, graphql in derived_types().items():
        definition = schema.get_type_by_name(graphql.__name__)
        assert isinstance(definition, StrawberryObjectDefinition)
        names = {f.graphql_name or to_camel_case(f.python_name) for f in definition.fields}
        wanted = {to_camel_case(f.encode_name) for f in msgspec.structs.fields(model)}
        assert wanted <= names, (model.__name__, wanted - names)


class Part(msgspec.Struct, frozen=True, kw_only=True):
    size: int


class Made(msgspec.Struct, frozen=True, kw_only=True):
    """Made for this test."""

    day_seen: Annotated[dt.date | None, models.doc("When it was seen")]
    ratio: int | float | None
    parts: list[Part]
    tags: tuple[str, ...]
    date_from: dt.date = msgspec.field(name="from")


def test_a_new_model_gets_its_fields_types_descriptions_and_wire_names_in_graphql() -> None:
    @object_type(Part)
    class PartType:
        pass

    @object_type(Made)
    class MadeType:
        pass

    @strawberry.type
    class Query:
        @strawberry.field(graphql_type=MadeType)
        @staticmethod
        def made() -> Made:
            return Made(
                day_seen=None,
                ratio=1.5,
                parts=[Part(size=2)],
                tags=("a",),
                date_from=dt.date(2025, 1, 2),
            )

    sdl = strawberry.Schema(query=Query).as_str()
    assert '"""Made for this test."""\ntype MadeType {' in sdl
    assert '  """When it was seen"""\n  daySeen: Date\n' in sdl
    assert "  ratio: Float\n  parts: [PartType!]!\n  tags: [String!]!\n  from: Date!\n" in sdl
    result = strawberry.Schema(query=Query).execute_sync("{ made { ratio parts { size } from } }")
    assert result.errors is None
    assert result.data == {"made": {"ratio": 1.5, "parts": [{"size": 2}], "from": "2025-01-02"}}


# A trial filter beside the table's own, as a filter added to api/filters.py would be.
ADDED = FilterField(
    "max_invitations",
    "int",
    Filter("max_invitations", "invitations", "<=", "At most this many invitations", 0, 9),
)


@filter_input(description="Which draws", filters=(*FILTERS, ADDED))
class TrialFilter:
    pass


@strawberry.type
class TrialQuery:
    @strawberry.field
    @staticmethod
    def count(filter: TrialFilter) -> int:
        return int(filter.max_invitations)  # type: ignore[attr-defined]


def test_a_filter_added_to_the_table_is_a_field_of_the_graphql_input() -> None:
    trial = strawberry.Schema(query=TrialQuery)
    assert (
        '  """At most this many invitations (0 to 9); not below `minInvitations`"""\n'
        "  maxInvitations: Int = null\n}" in trial.as_str()
    )
    result = trial.execute_sync("{ count(filter: {maxInvitations: 7}) }")
    assert result.data == {"count": 7}


def test_a_value_added_to_a_rest_tuple_is_a_member_of_its_graphql_enum() -> None:
    @choice_enum(("draw", "fortnight"), description="Periods", docs={"draw": "Per round"})
    class Period(Enum):
        pass

    assert [(m.name, m.value) for m in Period] == [("DRAW", "draw"), ("FORTNIGHT", "fortnight")]
    assert Period("fortnight").name == "FORTNIGHT"
