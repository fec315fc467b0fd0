"""Compiling a filter: every operator becomes SQL whose values are all bound parameters, in
the shapes the indexes of migration c0a2 answer. (What each operator selects is checked
against PostgreSQL in tests/integration/test_segments_api.py.)"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.dialects import postgresql

from herald_contacts.domain.segment_compiler import compile_filter
from herald_contacts.domain.segments import FieldType, parse_filter

from .test_segments import EVERY_OPERATOR, FIELD_OF_TYPE, SCHEMA, VALID_VALUE

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
SECRET = "zq'x;--"  # a value that must never reach SQL text


def sql_of(raw: Any) -> tuple[str, dict[str, Any]]:
    compiled = compile_filter(parse_filter(raw, SCHEMA), NOW).compile(
        dialect=postgresql.asyncpg.dialect()
    )
    return str(compiled), dict(compiled.params)


class TestEveryOperatorCompiles:
    @pytest.mark.parametrize(("kind", "op"), EVERY_OPERATOR)
    def test_to_bound_sql(self, kind: FieldType, op: str) -> None:
        condition: dict[str, Any] = {"field": FIELD_OF_TYPE[kind], "op": op}
        if op not in ("is_set", "is_not_set"):
            condition["value"] = VALID_VALUE[(kind, op)]
        sql, params = sql_of(condition)
        assert "contact." in sql
        assert params or op in ("is_set", "is_not_set")


class TestValuesAreBound:
    @pytest.mark.parametrize(
        "condition",
        [
            {"field": "first_name", "op": "eq", "value": SECRET},
            {"field": "first_name", "op": "in", "value": [SECRET]},
            {"field": "email", "op": "contains", "value": SECRET},
            {"field": "attributes.tier", "op": "eq", "value": SECRET},
            {"field": "attributes.tier", "op": "starts_with", "value": SECRET},
            {"field": "tags", "op": "has", "value": SECRET},
            {"field": "lists", "op": "has_none", "value": [SECRET]},
        ],
    )
    def test_no_value_is_spliced_into_sql(self, condition: dict[str, Any]) -> None:
        sql, params = sql_of(condition)
        assert SECRET not in sql
        assert any(SECRET in str(value) for value in params.values())

    def test_attribute_names_are_bound_too(self) -> None:
        sql, params = sql_of({"field": "attributes.points", "op": "gt", "value": 1})
        assert "points" not in sql
        assert "points" in params.values()

    def test_like_wildcards_in_values_are_escaped(self) -> None:
        _sql, params = sql_of({"field": "email", "op": "contains", "value": "50%_\\"})
        assert "%50\\%\\_\\\\%" in params.values()


class TestShapesForTheIndexes:
    def test_tags_use_array_operators(self) -> None:
        assert "contact.tags && " in sql_of({"field": "tags", "op": "has_any", "value": ["a"]})[0]
        assert "contact.lists @> " in sql_of({"field": "lists", "op": "has", "value": "a"})[0]

    def test_string_attribute_equality_is_a_containment(self) -> None:
        sql, params = sql_of({"field": "attributes.tier", "op": "eq", "value": "gold"})
        assert sql == "contact.attributes @> $1::JSONB"
        assert params == {"param_1": {"tier": "gold"}}

    def test_negations_keep_unset_fields_in(self) -> None:
        sql, _ = sql_of({"field": "last_order_at", "op": "not_within_last_days", "value": 60})
        assert sql == "(contact.last_order_at >= $1::TIMESTAMP WITH TIME ZONE) IS NOT true"

    def test_recency_counts_back_from_now(self) -> None:
        _sql, params = sql_of({"field": "last_click_at", "op": "within_last_days", "value": 30})
        assert list(params.values()) == [datetime(2026, 10, 25, 12, tzinfo=UTC)]

    def test_a_date_bound_covers_its_whole_utc_day(self) -> None:
        sql, params = sql_of(
            {"field": "created_at", "op": "between", "value": ["2026-01-01", "2026-01-31"]}
        )
        assert "contact.created_at >= " in sql
        assert "contact.created_at < " in sql
        assert sorted(params.values()) == [
            datetime(2026, 1, 1, tzinfo=UTC),
            datetime(2026, 2, 1, tzinfo=UTC),
        ]
