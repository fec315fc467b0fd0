"""Phone normalisation: the formats a web form or a client system sends."""

from __future__ import annotations

import pytest

from herald_consent.domain.phones import InvalidPhone, normalise_phone


@pytest.mark.parametrize(
    "raw",
    ["06 12 34 56 78", "0612345678", "+33 6 12 34 56 78", "+33 (0)6 12 34 56 78", "0033612345678"],
)
def test_french_formats_give_one_e164(raw: str) -> None:
    assert normalise_phone(raw) == "+33612345678"


def test_a_foreign_number_keeps_its_country() -> None:
    assert normalise_phone("+1 415 555 2671") == "+14155552671"


@pytest.mark.parametrize("raw", ["", "hello", "06 12", "+999 123456789"])
def test_garbage_is_rejected(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalise_phone(raw)
