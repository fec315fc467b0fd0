"""Provider ids: the same id as submit_sm_resp and the receipt spell it must match."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from herald_receipts.domain.provider_ids import (
    InvalidProviderId,
    ProviderId,
    match_rank,
    normalise_provider_id,
)


def matches(submitted: str, reported: str) -> bool:
    stored = normalise_provider_id(submitted)
    return match_rank(normalise_provider_id(reported), stored.primary, stored.alternate) is not None


@pytest.mark.parametrize(
    ("raw", "primary", "alternate"),
    [
        ("5F3A9C01", "1597676545", None),
        ("5f3a9c01", "1597676545", None),
        (" 5f3a9c01 \n", "1597676545", None),
        ("0x5F3A9C01", "1597676545", None),
        ("1597676545", "1597676545", str(int("1597676545", 16))),
        ("0001597676545", "1597676545", str(int("0001597676545", 16))),
        ("7", "7", None),
        ("0", "0", None),
        ("10", "10", "16"),
        ("3f6b1c2e-9d7a-4f3e-8c21-5b0a9e7d4c13", "3f6b1c2e-9d7a-4f3e-8c21-5b0a9e7d4c13", None),
        ("MSG-ABC-001", "msg-abc-001", None),
    ],
)
def test_canonical_forms(raw: str, primary: str, alternate: str | None) -> None:
    assert normalise_provider_id(raw) == ProviderId(raw=raw, primary=primary, alternate=alternate)


@pytest.mark.parametrize(
    ("submitted", "reported"),
    [
        ("5F3A9C01", "5f3a9c01"),  # case
        ("5F3A9C01", "1597676545"),  # hex in submit_sm_resp, decimal in the receipt
        ("005F3A9C01", "1597676545"),  # and leading zeros
        ("1597676545", "0001597676545"),  # decimal both ways, padded
        ("12345", "74565"),  # an all-digit hex id reported in decimal
        ("12345", "12345"),
        ("MSG-abc", "msg-ABC "),
        ("0x1f", "31"),
    ],
)
def test_the_same_id_matches(submitted: str, reported: str) -> None:
    assert matches(submitted, reported)


@pytest.mark.parametrize(
    ("submitted", "reported"),
    [
        ("5F3A9C01", "5F3A9C02"),
        ("1597676545", "1597676546"),
        ("msg-1", "msg-2"),
        ("abc", "2748"),  # 0xabc = 2748: a hex id matches its decimal value...
    ],
)
def test_different_ids_do_not_match(submitted: str, reported: str) -> None:
    if submitted == "abc":
        assert matches(submitted, reported)  # ...which is exactly the SMSC behaviour
        assert not matches(submitted, "2749")
    else:
        assert not matches(submitted, reported)


def test_an_exact_match_ranks_before_an_alternate_one() -> None:
    reported = normalise_provider_id("12345")
    exact = normalise_provider_id("12345")
    through_hex = normalise_provider_id("74565")
    assert match_rank(reported, exact.primary, exact.alternate) == 0
    assert match_rank(reported, through_hex.primary, through_hex.alternate) == 1


@pytest.mark.parametrize("raw", ["", "   "])
def test_an_empty_id_is_refused(raw: str) -> None:
    with pytest.raises(InvalidProviderId):
        normalise_provider_id(raw)


@given(st.integers(min_value=0, max_value=2**64))
def test_hex_and_decimal_spellings_of_one_number_always_match(value: int) -> None:
    assert matches(f"{value:x}", str(value))
    assert matches(f"{value:016X}", str(value))
    assert matches(str(value), f"{value:020d}")
