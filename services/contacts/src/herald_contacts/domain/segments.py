"""The segment filter language: JSON in, a validated tree out, or an error naming the spot.

    {"all": [...]}   {"any": [...]}   {"not": {...}}
    {"field": "country", "op": "eq", "value": "FR"}
    {"field": "attributes.points", "op": "gt", "value": 500}

Fields are the contact's own (see BUILTIN_FIELDS) or `attributes.<name>`, typed by the
workspace's declared attributes. Operators depend on the field's type (see OPERATORS).

Semantics, chosen so that `not` is always the exact complement of what it wraps:
- a condition on a field that is not set is false (`eq`, `gt`, `before`, `has`, ...);
- `neq`, `not_in`, `has_none`, `is_not_set` and `not_within_last_days` are the negations of
  `eq`, `in`, `has_any`, `is_set` and `within_last_days`, so they include contacts where the
  field is not set: "no order since 60 days" (`last_order_at not_within_last_days 60`)
  includes contacts who never ordered;
- strings: `eq`/`in` are exact; `contains`/`starts_with` ignore case; an empty string counts
  as not set;
- dates: a `YYYY-MM-DD` bound on a time field means that whole UTC day: `before D` is before
  the day starts, `after D` after it ends, `between [A, B]` includes both days; a date-time
  bound (with its offset) is used as is; `within_last_days N` is "at or after now - N days".

The tree holds parsed values (Decimal, date, datetime), so the compiler never re-checks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from herald_contacts.domain.attribute_types import (
    AttributeType,
    describe_json_type,
    is_number,
    parse_iso_date,
)

MAX_DEPTH = 10
MAX_CONDITIONS = 200
MAX_LIST_VALUES = 500
MAX_DAYS = 36_500
MAX_STRING_LENGTH = 1000
LIFECYCLES = ("prospect", "customer", "member")
ATTRIBUTE_PREFIX = "attributes."


class FieldType(StrEnum):
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"  # a calendar date (a date attribute)
    TIMESTAMP = "timestamp"  # an instant (created_at, last_order_at, ...): a date type too
    LIST = "list"  # tags, lists


BUILTIN_FIELDS: Mapping[str, FieldType] = {
    "country": FieldType.STRING,
    "timezone": FieldType.STRING,
    "locale": FieldType.STRING,
    "lifecycle": FieldType.STRING,
    "first_name": FieldType.STRING,
    "last_name": FieldType.STRING,
    "email": FieldType.STRING,
    "phone": FieldType.STRING,
    "created_at": FieldType.TIMESTAMP,
    "last_order_at": FieldType.TIMESTAMP,
    "last_click_at": FieldType.TIMESTAMP,
    "last_reply_at": FieldType.TIMESTAMP,
    "orders_count": FieldType.NUMBER,
    "total_spent": FieldType.NUMBER,
    "tags": FieldType.LIST,
    "lists": FieldType.LIST,
}

_DATE_OPERATORS = (
    "before",
    "after",
    "between",
    "within_last_days",
    "not_within_last_days",
    "is_set",
    "is_not_set",
)
OPERATORS: Mapping[FieldType, tuple[str, ...]] = {
    FieldType.STRING: (
        "eq",
        "neq",
        "in",
        "not_in",
        "contains",
        "starts_with",
        "is_set",
        "is_not_set",
    ),
    FieldType.NUMBER: ("eq", "neq", "gt", "gte", "lt", "lte", "between", "is_set", "is_not_set"),
    FieldType.BOOLEAN: ("eq", "is_set", "is_not_set"),
    FieldType.DATE: _DATE_OPERATORS,
    FieldType.TIMESTAMP: _DATE_OPERATORS,
    FieldType.LIST: ("has", "has_any", "has_all", "has_none"),
}

_ATTRIBUTE_FIELD_TYPES: Mapping[AttributeType, FieldType] = {
    AttributeType.STRING: FieldType.STRING,
    AttributeType.NUMBER: FieldType.NUMBER,
    AttributeType.BOOLEAN: FieldType.BOOLEAN,
    AttributeType.DATE: FieldType.DATE,
}
_TYPE_NAMES: Mapping[FieldType, str] = {
    FieldType.STRING: "a string",
    FieldType.NUMBER: "a number",
    FieldType.BOOLEAN: "a boolean",
    FieldType.DATE: "a date (YYYY-MM-DD)",
    FieldType.TIMESTAMP: "a date (YYYY-MM-DD) or a date-time with its offset",
    FieldType.LIST: "a string",
}


class FilterError(ValueError):
    """`path` locates the problem in the request, as in `filter.all[2].value`."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


@dataclass(frozen=True)
class Field:
    name: str  # the column, or the attribute's name
    type: FieldType
    attribute: bool

    def describe(self) -> str:
        return f"attribute {self.name!r}" if self.attribute else f"field {self.name!r}"


DateBound = date | datetime  # a date means that whole UTC day


@dataclass(frozen=True)
class Condition:
    field: Field
    op: str
    # str | bool | Decimal | DateBound | int (days) | tuple of two bounds | tuple[str, ...]
    # | None (is_set / is_not_set)
    value: Any


@dataclass(frozen=True)
class AllOf:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


Node = Condition | AllOf | AnyOf | Not


def parse_filter(raw: Any, attributes: Mapping[str, AttributeType], path: str = "filter") -> Node:
    """The validated tree of `raw` against the workspace's declared `attributes`."""
    parser = _Parser(attributes)
    return parser.node(raw, path, 1)


class _Parser:
    def __init__(self, attributes: Mapping[str, AttributeType]) -> None:
        self.attributes = attributes
        self.conditions = 0

    def node(self, raw: Any, path: str, depth: int) -> Node:
        if depth > MAX_DEPTH:
            raise FilterError(path, f"nested deeper than {MAX_DEPTH} levels")
        if not isinstance(raw, dict):
            raise FilterError(path, f"expected an object, got {describe_json_type(raw)}")
        if "field" in raw or "op" in raw:
            return self.condition(raw, path)
        groups = [key for key in ("all", "any", "not") if key in raw]
        if len(groups) != 1 or len(raw) != 1:
            found = ", ".join(repr(k[:40]) for k in list(raw)[:5]) or "nothing"
            raise FilterError(
                path,
                "expected exactly one of 'all', 'any', 'not', or a condition with 'field' and "
                f"'op' (found {found})",
            )
        key = groups[0]
        if key == "not":
            return Not(self.node(raw["not"], f"{path}.not", depth + 1))
        items = raw[key]
        if not isinstance(items, list):
            raise FilterError(f"{path}.{key}", f"expected a list, got {describe_json_type(items)}")
        if key == "any" and not items:
            raise FilterError(f"{path}.any", "must hold at least one condition")
        children = tuple(
            self.node(item, f"{path}.{key}[{index}]", depth + 1) for index, item in enumerate(items)
        )
        return AllOf(children) if key == "all" else AnyOf(children)

    def condition(self, raw: dict[str, Any], path: str) -> Condition:
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise FilterError(path, f"a filter holds at most {MAX_CONDITIONS} conditions")
        for key in raw:
            if key not in ("field", "op", "value"):
                raise FilterError(f"{path}.{key}", "unknown key (a condition has field, op, value)")
        field = self.field(raw.get("field"), f"{path}.field")
        op = raw.get("op")
        allowed = OPERATORS[field.type]
        if not isinstance(op, str):
            raise FilterError(f"{path}.op", f"expected one of: {', '.join(allowed)}")
        if op not in allowed:
            raise FilterError(
                f"{path}.op",
                f"{op!r} does not apply to {field.describe()} (use one of: {', '.join(allowed)})",
            )
        value = _Values(field, f"{path}.value").parse(op, raw.get("value"), "value" in raw)
        return Condition(field, op, value)

    def field(self, raw: Any, path: str) -> Field:
        if not isinstance(raw, str):
            raise FilterError(path, f"expected a field name, got {describe_json_type(raw)}")
        if raw.startswith(ATTRIBUTE_PREFIX):
            name = raw[len(ATTRIBUTE_PREFIX) :]
            kind = self.attributes.get(name)
            if kind is None:
                raise FilterError(path, f"unknown attribute {name!r}")
            return Field(name, _ATTRIBUTE_FIELD_TYPES[kind], attribute=True)
        builtin = BUILTIN_FIELDS.get(raw)
        if builtin is None:
            raise FilterError(
                path,
                f"unknown field {raw!r} (use one of: {', '.join(BUILTIN_FIELDS)}, "
                "or attributes.<name>)",
            )
        return Field(raw, builtin, attribute=False)


class _Values:
    """Checks and parses the `value` of one condition."""

    def __init__(self, field: Field, path: str) -> None:
        self.field = field
        self.path = path

    def fail(self, message: str) -> FilterError:
        return FilterError(self.path, message)

    def expected(self, what: str) -> FilterError:
        return self.fail(f"expected {what} for {self.field.describe()}")

    def parse(self, op: str, value: Any, present: bool) -> Any:
        if op in ("is_set", "is_not_set"):
            if present and value is not None:
                raise self.fail(f"{op} takes no value")
            return None
        if not present or value is None:
            raise self.fail(f"{op} needs a value")
        kind = self.field.type
        if kind is FieldType.LIST:
            return self.one_string(value) if op == "has" else self.strings(value)
        if op in ("in", "not_in"):
            values = self.strings(value)
            for item in values:
                self.check_lifecycle(item)
            return values
        if op in ("eq", "neq") and kind is FieldType.STRING:
            self.check_lifecycle(self.one_string(value))
        if op == "between":
            return self.pair(value)
        if op in ("within_last_days", "not_within_last_days"):
            return self.days(value)
        return self.scalar(value)

    def scalar(self, value: Any) -> Any:
        kind = self.field.type
        if kind is FieldType.STRING:
            return self.one_string(value)
        if kind is FieldType.NUMBER:
            if not is_number(value):
                raise self.expected("a number")
            return Decimal(str(value))
        if kind is FieldType.BOOLEAN:
            if not isinstance(value, bool):
                raise self.expected("a boolean")
            return value
        return self.date_bound(value)

    def one_string(self, value: Any) -> str:
        if not isinstance(value, str) or not value:
            raise self.expected("a non-empty string")
        if len(value) > MAX_STRING_LENGTH:
            raise self.fail(f"longer than {MAX_STRING_LENGTH} characters")
        return value

    def strings(self, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            raise self.expected("a non-empty list of strings")
        if len(value) > MAX_LIST_VALUES:
            raise self.fail(f"at most {MAX_LIST_VALUES} values")
        for item in value:
            if not isinstance(item, str) or not item:
                raise self.expected("a non-empty list of strings")
        return tuple(dict.fromkeys(value))

    def check_lifecycle(self, value: str) -> None:
        if self.field.name == "lifecycle" and not self.field.attribute and value not in LIFECYCLES:
            raise self.fail(f"{value!r} is not a lifecycle (use one of: {', '.join(LIFECYCLES)})")

    def pair(self, value: Any) -> tuple[Any, Any]:
        if not isinstance(value, list) or len(value) != 2:
            raise self.fail(
                f"expected a list of two bounds, each {_TYPE_NAMES[self.field.type]}, "
                f"for {self.field.describe()}"
            )
        low, high = self.scalar(value[0]), self.scalar(value[1])
        if not _in_order(low, high):
            raise self.fail("the first bound is after the second")
        return low, high

    def days(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_DAYS:
            raise self.fail(f"expected a whole number of days between 1 and {MAX_DAYS}")
        return value

    def date_bound(self, value: Any) -> DateBound:
        day = parse_iso_date(value)
        if day is not None:
            return day
        if self.field.type is FieldType.TIMESTAMP and isinstance(value, str):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                moment = None
            if moment is not None and moment.tzinfo is not None:
                return moment
        raise self.expected(_TYPE_NAMES[self.field.type])


def day_start(bound: DateBound) -> datetime:
    """A bound as an instant: a date is the start of its UTC day."""
    if isinstance(bound, datetime):
        return bound
    return datetime(bound.year, bound.month, bound.day, tzinfo=UTC)


def day_end(bound: DateBound) -> datetime:
    """A bound as an instant: a date is the end of its UTC day (the next day's start)."""
    if isinstance(bound, datetime):
        return bound
    return day_start(bound) + timedelta(days=1)


def _in_order(low: Any, high: Any) -> bool:
    if isinstance(low, datetime) and isinstance(high, datetime):
        return low <= high
    if isinstance(low, date):
        return day_start(low) < day_end(high)
    return bool(low <= high)
