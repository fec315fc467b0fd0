"""The US area code table agrees with phonenumbers' geocoding data, and lists every area
code of the states whose rules are stricter than the TCPA's."""

from __future__ import annotations

import phonenumbers
import pytest
from phonenumbers.geodata import GEOCODE_DATA

from herald_compliance.rule_packs.us_area_codes import (
    AREA_CODE_STATES,
    area_codes_of,
    state_for_area_code,
)

_NAMES = {
    "FL": ("Florida",),
    "CT": ("Connecticut",),
    "MD": ("Maryland",),
    "OK": ("Oklahoma",),
    "WA": ("Washington", "Washington State"),
    "NY": ("New York",),
    "CA": ("California",),
}


def _us(area_code: str) -> bool:
    number = phonenumbers.parse(f"+1{area_code}2345678")
    return phonenumbers.region_code_for_number(number) == "US"


def _geocoded_states(area_code: str) -> set[str]:
    """The states phonenumbers names for the area code and its longer prefixes."""
    found: set[str] = set()
    for prefix, names in GEOCODE_DATA.items():
        if not prefix.startswith("1" + area_code):
            continue
        text = names.get("en", "")
        for state, spellings in _NAMES.items():
            if text in spellings or text.endswith(f", {state}"):
                found.add(state)
    return found


@pytest.mark.parametrize("state", ["FL", "CT", "MD", "OK", "WA"])
def test_stricter_states_are_complete(state: str) -> None:
    """Every area code phonenumbers places in the state is in the table."""
    geocoded = {
        prefix[1:]
        for prefix, names in GEOCODE_DATA.items()
        if len(prefix) == 4
        and prefix.startswith("1")
        and (names.get("en") in _NAMES[state] or names.get("en", "").endswith(f", {state}"))
    }
    assert geocoded <= area_codes_of(state)


@pytest.mark.parametrize("state", ["FL", "CT", "MD", "OK", "WA", "NY", "CA"])
def test_table_agrees_with_phonenumbers(state: str) -> None:
    for area_code in area_codes_of(state):
        assert _us(area_code), area_code
        assert state in _geocoded_states(area_code), area_code


@pytest.mark.parametrize(
    ("area_code", "state"),
    [("305", "FL"), ("203", "CT"), ("410", "MD"), ("405", "OK"), ("206", "WA"), ("212", "NY"),
     ("415", "CA"), ("202", "DC")],
)  # fmt: skip
def test_examples(area_code: str, state: str) -> None:
    assert state_for_area_code(area_code) == state


def test_unknown_area_code() -> None:
    assert state_for_area_code("999") is None
    assert len(set(AREA_CODE_STATES.values())) == 51  # 50 states and DC
