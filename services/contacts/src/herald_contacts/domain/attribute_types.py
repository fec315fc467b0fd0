"""Custom attributes: each workspace declares a type per name, and every value obeys it.

A declared type is what lets segments compare `points > 500` as numbers and
`renewal_date before 2027-01-01` as dates; an undeclared or mistyped value is refused at the
door rather than silently never matching a filter.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any

ATTRIBUTE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
MAX_STRING_LENGTH = 1000


class AttributeType(StrEnum):
    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"


class InvalidAttribute(ValueError):
    """`field` names the attribute, as in `attributes.points`."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def check_attribute_name(name: str) -> str:
    if not ATTRIBUTE_NAME.match(name):
        raise InvalidAttribute(
            "name",
            f"{name!r} is not an attribute name (lowercase letters, digits and _, "
            "starting with a letter, at most 63 characters)",
        )
    return name


def describe_json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "null" if value is None else type(value).__name__


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def parse_iso_date(value: Any) -> date | None:
    """A `YYYY-MM-DD` string as a date; None for anything else."""
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def check_value(kind: AttributeType, value: Any) -> Any:
    """The value as stored (dates as `YYYY-MM-DD`, which sort as they compare), or
    ValueError with what was expected."""
    if kind is AttributeType.STRING:
        if not isinstance(value, str):
            raise ValueError(f"expected a string, got {describe_json_type(value)}")
        if len(value) > MAX_STRING_LENGTH:
            raise ValueError(f"longer than {MAX_STRING_LENGTH} characters")
        return value
    if kind is AttributeType.NUMBER:
        if not is_number(value):
            raise ValueError(f"expected a number, got {describe_json_type(value)}")
        return value
    if kind is AttributeType.BOOLEAN:
        if not isinstance(value, bool):
            raise ValueError(f"expected a boolean, got {describe_json_type(value)}")
        return value
    parsed = parse_iso_date(value)
    if parsed is None:
        raise ValueError(f"expected a date (YYYY-MM-DD), got {describe_json_type(value)}")
    return parsed.isoformat()


def validate_attributes(
    schema: Mapping[str, AttributeType], values: Mapping[str, Any]
) -> dict[str, Any]:
    """The values as stored; a null removes the attribute. InvalidAttribute names the first
    undeclared or mistyped attribute."""
    stored: dict[str, Any] = {}
    for name, value in values.items():
        field = f"attributes.{name}"
        kind = schema.get(name)
        if kind is None:
            raise InvalidAttribute(
                field, f"unknown attribute {name!r} (declare it with PUT /v1/attributes/{name})"
            )
        if value is None:
            continue
        try:
            stored[name] = check_value(kind, value)
        except ValueError as error:
            raise InvalidAttribute(field, f"{error} for attribute {name!r}") from None
    return stored
