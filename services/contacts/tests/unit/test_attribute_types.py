"""Declared attribute types: values obey them, or the attribute is named."""

from __future__ import annotations

from typing import Any

import pytest

from herald_contacts.domain.attribute_types import (
    AttributeType,
    InvalidAttribute,
    check_attribute_name,
    validate_attributes,
)

SCHEMA = {
    "points": AttributeType.NUMBER,
    "tier": AttributeType.STRING,
    "vip": AttributeType.BOOLEAN,
    "renewal": AttributeType.DATE,
}


class TestValidateAttributes:
    def test_values_of_the_declared_types_are_kept(self) -> None:
        values = {"points": 12.5, "tier": "gold", "vip": False, "renewal": "2027-03-01"}
        assert validate_attributes(SCHEMA, values) == values

    def test_a_null_removes_the_attribute(self) -> None:
        assert validate_attributes(SCHEMA, {"tier": None, "points": 1}) == {"points": 1}

    def test_an_undeclared_attribute_is_named(self) -> None:
        with pytest.raises(InvalidAttribute) as caught:
            validate_attributes(SCHEMA, {"shoe": 42})
        assert caught.value.field == "attributes.shoe"
        assert "unknown attribute 'shoe'" in str(caught.value)

    @pytest.mark.parametrize(
        ("name", "value", "expected"),
        [
            ("points", "12", "expected a number, got a string"),
            ("points", True, "expected a number, got a boolean"),
            ("points", float("nan"), "expected a number"),
            ("tier", 3, "expected a string, got a number"),
            ("vip", "true", "expected a boolean, got a string"),
            ("renewal", "01/03/2027", "expected a date (YYYY-MM-DD), got a string"),
            ("renewal", "2027-02-30", "expected a date (YYYY-MM-DD)"),
        ],
    )
    def test_a_mistyped_value_is_named(self, name: str, value: Any, expected: str) -> None:
        with pytest.raises(InvalidAttribute) as caught:
            validate_attributes(SCHEMA, {name: value})
        message = str(caught.value)
        assert message.startswith(f"attributes.{name}: {expected}")
        assert message.endswith(f" for attribute {name!r}")


class TestAttributeNames:
    @pytest.mark.parametrize("name", ["points", "loyalty_tier", "a1"])
    def test_snake_case_names_are_accepted(self, name: str) -> None:
        assert check_attribute_name(name) == name

    @pytest.mark.parametrize("name", ["Points", "1st", "loyalty-tier", "", "a" * 64, "tier.x"])
    def test_other_names_are_refused(self, name: str) -> None:
        with pytest.raises(InvalidAttribute, match="is not an attribute name"):
            check_attribute_name(name)
