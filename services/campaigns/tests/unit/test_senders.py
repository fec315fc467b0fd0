"""Sender ids networks accept."""

from __future__ import annotations

import pytest

from herald_campaigns.domain.senders import InvalidSender, validate_sender


@pytest.mark.parametrize(
    "sender", ["HERALD", "Shop24", "A", "ABCDEFGHIJK", "36111", "+33612345678"]
)
def test_valid_senders_are_kept(sender: str) -> None:
    assert validate_sender(sender) == sender


def test_surrounding_spaces_are_dropped() -> None:
    assert validate_sender("  HERALD ") == "HERALD"


@pytest.mark.parametrize(
    ("sender", "reason"),
    [
        ("ABCDEFGHIJKL", "at most 11 characters, not 12"),
        ("HERALD SHOP", "only the letters"),
        ("Hérald", "only the letters"),
        ("12", "3 to 15 digits"),
        ("1234567890123456", "3 to 15 digits"),
        ("", "empty"),
    ],
)
def test_invalid_senders_say_why(sender: str, reason: str) -> None:
    with pytest.raises(InvalidSender, match=reason):
        validate_sender(sender)
