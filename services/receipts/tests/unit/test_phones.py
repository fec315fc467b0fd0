"""Senders' numbers as gateways report them."""

from __future__ import annotations

import pytest

from herald_receipts.domain.phones import InvalidPhone, normalise_phone


@pytest.mark.parametrize(
    "raw", ["+33612345678", "33612345678", "0612345678", "0033612345678", " +33 6 12 34 56 78 "]
)
def test_every_spelling_gives_one_e164(raw: str) -> None:
    assert normalise_phone(raw) == "+33612345678"


def test_a_foreign_number_without_its_plus() -> None:
    assert normalise_phone("447911123456") == "+447911123456"


@pytest.mark.parametrize("raw", ["", "HERALD", "36111", "+999123"])
def test_short_codes_and_names_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalise_phone(raw)
