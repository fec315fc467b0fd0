"""A validated segment tree as one SQLAlchemy condition on `contact`.

Every value the user gave travels as a bound parameter (attribute names too): nothing of a
filter is ever spliced into SQL text. The shapes are chosen for the indexes of migration
c0a2: `tags`/`lists` use `&&` and `@>` (GIN), string and boolean attribute equality use
`attributes @> {...}` (GIN, jsonb_path_ops), dates and statistics use plain comparisons
(btree on (workspace_id, column)).

SQL's NULL would make `NOT` of a condition on an unset field unknown, and so excluded;
negations compile to `(...) IS NOT TRUE` instead, which keeps `not` the exact complement of
what it wraps (see domain/segments.py).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from herald_contacts.domain.segments import (
    AllOf,
    Condition,
    FieldType,
    Node,
    Not,
    day_end,
    day_start,
)
from herald_contacts.models import Contact

Expression = sa.ColumnElement[bool]
_COLUMNS = Contact.__table__.c


def compile_filter(node: Node, now: datetime) -> Expression:
    """`now` anchors relative dates (`within_last_days`): pass the same instant to every
    query of one snapshot."""
    return _Compiler(now).node(node)


def negate(expression: Expression) -> Expression:
    return expression.is_not(sa.true())


def _like_pattern(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _text_array(values: tuple[str, ...] | list[str]) -> sa.BindParameter[Any]:
    return sa.literal(list(values), ARRAY(sa.Text))


class _Compiler:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def node(self, node: Node) -> Expression:
        if isinstance(node, Condition):
            return self.condition(node)
        if isinstance(node, Not):
            return negate(self.node(node.child))
        children = [self.node(child) for child in node.children]
        if isinstance(node, AllOf):
            return sa.and_(sa.true(), *children)
        return sa.or_(sa.false(), *children)

    def condition(self, condition: Condition) -> Expression:
        kind = condition.field.type
        if kind is FieldType.LIST:
            return self.list_condition(condition)
        if condition.field.attribute:
            return _AttributeConditions(condition.field.name, self.now).compile(condition)
        column = _COLUMNS[condition.field.name]
        if kind is FieldType.STRING:
            return _string(column, condition.op, condition.value)
        if kind is FieldType.NUMBER:
            return _number(column, condition.op, condition.value)
        return self.timestamp(column, condition.op, condition.value)

    def list_condition(self, condition: Condition) -> Expression:
        column = _COLUMNS[condition.field.name]
        op, value = condition.op, condition.value
        if op == "has":
            return column.bool_op("@>")(_text_array([value]))
        if op == "has_all":
            return column.bool_op("@>")(_text_array(value))
        overlap = column.bool_op("&&")(_text_array(value))
        return overlap if op == "has_any" else negate(overlap)

    def timestamp(self, column: sa.ColumnElement[Any], op: str, value: Any) -> Expression:
        if op == "before":
            return column < day_start(value)
        if op == "after":
            return column > value if isinstance(value, datetime) else column >= day_end(value)
        if op == "between":
            low, high = value
            upper = column <= high if isinstance(high, datetime) else column < day_end(high)
            return sa.and_(column >= day_start(low), upper)
        if op == "within_last_days":
            return column >= self.now - timedelta(days=value)
        if op == "not_within_last_days":
            return negate(column >= self.now - timedelta(days=value))
        return _presence(column.is_not(None), op)


def _presence(is_set: Expression, op: str) -> Expression:
    if op == "is_set":
        return is_set
    if op == "is_not_set":
        return negate(is_set)
    raise AssertionError(f"operator {op!r} reached the compiler unchecked")


_COMPARISONS: Mapping[str, Callable[[Any, Any], Expression]] = {
    "eq": operator.eq,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def _string(column: sa.ColumnElement[Any], op: str, value: Any) -> Expression:
    if op == "eq":
        return _COMPARISONS["eq"](column, value)
    if op == "neq":
        return negate(column == value)
    if op == "in":
        return column == sa.any_(_text_array(value))
    if op == "not_in":
        return negate(column == sa.any_(_text_array(value)))
    if op == "contains":
        return column.ilike(f"%{_like_pattern(value)}%", escape="\\")
    if op == "starts_with":
        return column.ilike(f"{_like_pattern(value)}%", escape="\\")
    return _presence(_not_empty(column), op)


def _not_empty(text: sa.ColumnElement[Any]) -> Expression:
    """Set, and not the empty string."""
    return sa.func.coalesce(text, "") != ""


def _number(column: sa.ColumnElement[Any], op: str, value: Any) -> Expression:
    if op == "neq":
        return negate(column == value)
    if op in _COMPARISONS:
        return _COMPARISONS[op](column, value)
    if op == "between":
        return column.between(value[0], value[1])
    return _presence(column.is_not(None), op)


class _AttributeConditions:
    """Conditions on `attributes -> name`, typed by the workspace's declaration. A value of
    another JSON type than declared (kept from before a declaration) never matches."""

    def __init__(self, name: str, now: datetime) -> None:
        self.name = name
        self.now = now
        self.column = _COLUMNS.attributes

    def json(self) -> sa.ColumnElement[Any]:
        return self.column.op("->", return_type=JSONB)(self.name)

    def typed_text(self, json_type: str) -> sa.ColumnElement[Any]:
        text = self.column.op("->>", return_type=sa.Text)(self.name)
        return sa.case((sa.func.jsonb_typeof(self.json()) == json_type, text))

    def holds(self, value: Any) -> Expression:
        """`attributes @> {"name": value}`: answered by the GIN index."""
        return self.column.bool_op("@>")(sa.literal({self.name: value}, JSONB))

    def compile(self, condition: Condition) -> Expression:
        kind, op, value = condition.field.type, condition.op, condition.value
        if kind is FieldType.STRING:
            return self.string(op, value)
        if kind is FieldType.NUMBER:
            number = sa.cast(self.typed_text("number"), sa.Numeric)
            return _number(number, op, value)
        if kind is FieldType.BOOLEAN:
            if op == "eq":
                return self.holds(value)
            return _presence(sa.func.jsonb_typeof(self.json()) == "boolean", op)
        return self.date(op, value)

    def string(self, op: str, value: Any) -> Expression:
        if op == "eq":
            return self.holds(value)
        if op == "neq":
            return negate(self.holds(value))
        if op in ("in", "not_in"):
            anyof = sa.or_(*(self.holds(item) for item in value))
            return anyof if op == "in" else negate(anyof)
        return _string(self.typed_text("string"), op, value)

    def date(self, op: str, value: Any) -> Expression:
        """Stored as `YYYY-MM-DD`, which sorts as it compares: bounds are compared as text."""
        text = self.typed_text("string")
        today = self.now.date()
        if op == "before":
            return text < _iso(value)
        if op == "after":
            return text > _iso(value)
        if op == "between":
            return sa.and_(text >= _iso(value[0]), text <= _iso(value[1]))
        if op == "within_last_days":
            return text >= _iso(today - timedelta(days=value))
        if op == "not_within_last_days":
            return negate(text >= _iso(today - timedelta(days=value)))
        return _presence(_not_empty(text), op)


def _iso(day: date) -> str:
    return day.isoformat()
