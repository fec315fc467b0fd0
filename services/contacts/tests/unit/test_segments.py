"""The segment filter language: every operator accepted where it applies, every mistake
refused with the JSON path and the reason."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from herald_contacts.domain.attribute_types import AttributeType
from herald_contacts.domain.segments import (
    MAX_CONDITIONS,
    MAX_DEPTH,
    OPERATORS,
    AllOf,
    AnyOf,
    Condition,
    FieldType,
    FilterError,
    Not,
    parse_filter,
)

SCHEMA = {
    "points": AttributeType.NUMBER,
    "tier": AttributeType.STRING,
    "vip": AttributeType.BOOLEAN,
    "renewal": AttributeType.DATE,
}

# One field of each type, and a valid value for each of its operators.
FIELD_OF_TYPE = {
    FieldType.STRING: "country",
    FieldType.NUMBER: "orders_count",
    FieldType.BOOLEAN: "attributes.vip",
    FieldType.DATE: "attributes.renewal",
    FieldType.TIMESTAMP: "last_click_at",
    FieldType.LIST: "tags",
}
VALID_VALUE: dict[tuple[FieldType, str], Any] = {
    (FieldType.STRING, "eq"): "FR",
    (FieldType.STRING, "neq"): "FR",
    (FieldType.STRING, "in"): ["FR", "BE"],
    (FieldType.STRING, "not_in"): ["FR"],
    (FieldType.STRING, "contains"): "R",
    (FieldType.STRING, "starts_with"): "F",
    (FieldType.NUMBER, "eq"): 2,
    (FieldType.NUMBER, "neq"): 2,
    (FieldType.NUMBER, "gt"): 1.5,
    (FieldType.NUMBER, "gte"): 1,
    (FieldType.NUMBER, "lt"): 10,
    (FieldType.NUMBER, "lte"): 10,
    (FieldType.NUMBER, "between"): [1, 10],
    (FieldType.BOOLEAN, "eq"): True,
    (FieldType.DATE, "before"): "2027-01-01",
    (FieldType.DATE, "after"): "2026-01-01",
    (FieldType.DATE, "between"): ["2026-01-01", "2026-12-31"],
    (FieldType.DATE, "within_last_days"): 30,
    (FieldType.DATE, "not_within_last_days"): 60,
    (FieldType.TIMESTAMP, "before"): "2026-11-01T12:00:00+01:00",
    (FieldType.TIMESTAMP, "after"): "2026-01-01",
    (FieldType.TIMESTAMP, "between"): ["2026-01-01", "2026-01-31T23:00:00Z"],
    (FieldType.TIMESTAMP, "within_last_days"): 30,
    (FieldType.TIMESTAMP, "not_within_last_days"): 60,
    (FieldType.LIST, "has"): "vip",
    (FieldType.LIST, "has_any"): ["vip", "new"],
    (FieldType.LIST, "has_all"): ["vip", "new"],
    (FieldType.LIST, "has_none"): ["blocked"],
}
EVERY_OPERATOR = [(kind, op) for kind, ops in OPERATORS.items() for op in ops]


def error_of(raw: Any, schema: dict[str, AttributeType] | None = None) -> str:
    with pytest.raises(FilterError) as caught:
        parse_filter(raw, SCHEMA if schema is None else schema)
    return str(caught.value)


class TestEveryOperator:
    @pytest.mark.parametrize(("kind", "op"), EVERY_OPERATOR)
    def test_is_accepted_on_its_type(self, kind: FieldType, op: str) -> None:
        condition: dict[str, Any] = {"field": FIELD_OF_TYPE[kind], "op": op}
        if op not in ("is_set", "is_not_set"):
            condition["value"] = VALID_VALUE[(kind, op)]
        node = parse_filter(condition, SCHEMA)
        assert isinstance(node, Condition)
        assert (node.field.type, node.op) == (kind, op)

    def test_every_operator_has_a_case_here(self) -> None:
        valued = {(k, op) for k, op in EVERY_OPERATOR if op not in ("is_set", "is_not_set")}
        assert valued == set(VALID_VALUE)

    @pytest.mark.parametrize(
        ("field", "op"),
        [
            ("country", "gt"),
            ("orders_count", "contains"),
            ("attributes.vip", "neq"),
            ("tags", "eq"),
            ("created_at", "eq"),
            ("attributes.renewal", "gt"),
        ],
    )
    def test_is_refused_on_another_type(self, field: str, op: str) -> None:
        message = error_of({"field": field, "op": op, "value": 1})
        assert message.startswith(f"filter.op: {op!r} does not apply to ")
        assert "use one of:" in message


class TestParsedValues:
    def test_numbers_become_decimals(self) -> None:
        node = parse_filter({"field": "attributes.points", "op": "gt", "value": 0.1}, SCHEMA)
        assert isinstance(node, Condition)
        assert node.value == Decimal("0.1")
        assert node.field.attribute

    def test_dates_and_date_times_are_parsed(self) -> None:
        node = parse_filter(
            {"field": "created_at", "op": "between", "value": ["2026-01-01", "2026-02-01T10:00Z"]},
            SCHEMA,
        )
        assert isinstance(node, Condition)
        assert node.value == (date(2026, 1, 1), datetime(2026, 2, 1, 10, tzinfo=UTC))

    def test_list_values_lose_their_repeats(self) -> None:
        node = parse_filter({"field": "tags", "op": "has_any", "value": ["a", "b", "a"]}, SCHEMA)
        assert isinstance(node, Condition)
        assert node.value == ("a", "b")

    def test_groups_nest(self) -> None:
        node = parse_filter(
            {
                "all": [
                    {"any": [{"field": "country", "op": "eq", "value": "FR"}]},
                    {"not": {"field": "attributes.tier", "op": "eq", "value": "gold"}},
                ]
            },
            SCHEMA,
        )
        assert isinstance(node, AllOf)
        assert isinstance(node.children[0], AnyOf)
        assert isinstance(node.children[1], Not)

    def test_an_empty_all_selects_everyone(self) -> None:
        assert parse_filter({"all": []}, SCHEMA) == AllOf(())


class TestRefused:
    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            (
                {"all": [{"field": "country", "op": "eq", "value": "FR"}, {}, {}]},
                "filter.all[1]: expected exactly one of 'all', 'any', 'not', or a condition "
                "with 'field' and 'op' (found nothing)",
            ),
            (
                {"all": [{}, {}, {"field": "attributes.points", "op": "gt", "value": "many"}]},
                "filter.all[0]: expected exactly one of",
            ),
            (
                {"all": [{"field": "attributes.foo", "op": "eq", "value": "x"}]},
                "filter.all[0].field: unknown attribute 'foo'",
            ),
            (
                {"field": "shoe_size", "op": "eq", "value": "x"},
                "filter.field: unknown field 'shoe_size'",
            ),
            ([], "filter: expected an object, got a list"),
            ({"all": {}}, "filter.all: expected a list, got an object"),
            ({"any": []}, "filter.any: must hold at least one condition"),
            ({"all": [], "any": []}, "filter: expected exactly one of"),
            (
                {"field": "country", "op": "eq", "value": "FR", "negate": True},
                "filter.negate: unknown key",
            ),
            ({"field": "country", "value": "FR"}, "filter.op: expected one of: eq, neq"),
            ({"field": "country", "op": "eq"}, "filter.value: eq needs a value"),
            ({"field": "country", "op": "eq", "value": None}, "filter.value: eq needs a value"),
            (
                {"field": "country", "op": "is_set", "value": "FR"},
                "filter.value: is_set takes no value",
            ),
            (
                {"field": "country", "op": "eq", "value": 33},
                "filter.value: expected a non-empty string for field 'country'",
            ),
            (
                {"field": "country", "op": "in", "value": []},
                "filter.value: expected a non-empty list of strings for field 'country'",
            ),
            (
                {"field": "lifecycle", "op": "eq", "value": "vip"},
                "filter.value: 'vip' is not a lifecycle (use one of: prospect, customer, member)",
            ),
            (
                {"field": "lifecycle", "op": "in", "value": ["customer", "lead"]},
                "filter.value: 'lead' is not a lifecycle",
            ),
            (
                {"field": "orders_count", "op": "gt", "value": True},
                "filter.value: expected a number for field 'orders_count'",
            ),
            (
                {"field": "orders_count", "op": "between", "value": [10, 1]},
                "filter.value: the first bound is after the second",
            ),
            (
                {"field": "orders_count", "op": "between", "value": [1]},
                "filter.value: expected a list of two bounds, each a number, for field",
            ),
            (
                {"field": "attributes.vip", "op": "eq", "value": "yes"},
                "filter.value: expected a boolean for attribute 'vip'",
            ),
            (
                {"field": "attributes.renewal", "op": "before", "value": "2026-01-01T00:00Z"},
                "filter.value: expected a date (YYYY-MM-DD) for attribute 'renewal'",
            ),
            (
                {"field": "created_at", "op": "before", "value": "2026-01-01T00:00:00"},
                "filter.value: expected a date (YYYY-MM-DD) or a date-time with its offset",
            ),
            (
                {"field": "created_at", "op": "after", "value": "2026-02-30"},
                "filter.value: expected a date",
            ),
            (
                {"field": "last_order_at", "op": "within_last_days", "value": 0},
                "filter.value: expected a whole number of days between 1 and 36500",
            ),
            (
                {"field": "last_order_at", "op": "within_last_days", "value": 2.5},
                "filter.value: expected a whole number of days",
            ),
            (
                {"field": "tags", "op": "has", "value": ["vip"]},
                "filter.value: expected a non-empty string for field 'tags'",
            ),
            (
                {"not": {"all": [{"field": "tags", "op": "has_all", "value": "vip"}]}},
                "filter.not.all[0].value: expected a non-empty list of strings for field 'tags'",
            ),
        ],
    )
    def test_with_the_path_and_the_reason(self, raw: Any, message: str) -> None:
        assert error_of(raw).startswith(message)

    def test_the_issue_example_reads_as_promised(self) -> None:
        raw = {
            "all": [
                {"field": "country", "op": "eq", "value": "FR"},
                {"field": "tags", "op": "has", "value": "vip"},
                {"field": "attributes.points", "op": "gt", "value": "lots"},
            ]
        }
        assert error_of(raw) == "filter.all[2].value: expected a number for attribute 'points'"

    def test_an_attribute_of_another_workspace_is_unknown(self) -> None:
        raw = {"field": "attributes.points", "op": "gt", "value": 1}
        assert error_of(raw, schema={}) == "filter.field: unknown attribute 'points'"

    def test_nesting_is_bounded(self) -> None:
        raw: dict[str, Any] = {"field": "country", "op": "eq", "value": "FR"}
        for _ in range(MAX_DEPTH):
            raw = {"not": raw}
        message = error_of(raw)
        assert message.startswith("filter" + ".not" * MAX_DEPTH + ": nested deeper than 10")

    def test_the_deepest_allowed_nesting_parses(self) -> None:
        raw: dict[str, Any] = {"field": "country", "op": "eq", "value": "FR"}
        for _ in range(MAX_DEPTH - 1):
            raw = {"not": raw}
        assert isinstance(parse_filter(raw, SCHEMA), Not)

    def test_the_number_of_conditions_is_bounded(self) -> None:
        condition = {"field": "country", "op": "eq", "value": "FR"}
        parse_filter({"all": [condition] * MAX_CONDITIONS}, SCHEMA)
        message = error_of({"all": [condition] * (MAX_CONDITIONS + 1)})
        assert message == f"filter.all[{MAX_CONDITIONS}]: a filter holds at most 200 conditions"
