"""Sender ids: an alphanumeric name of at most 11 characters, or a number."""

from __future__ import annotations

import re

ALPHANUMERIC_MAX = 11
_ALPHANUMERIC = re.compile(r"^[A-Za-z0-9]{1,11}$")
_NUMERIC = re.compile(r"^\+?[0-9]{3,15}$")


class InvalidSender(ValueError):
    pass


def validate_sender(value: str) -> str:
    """The sender as networks accept it: `HERALD`, `Shop24` (letters and digits, at most 11,
    at least one letter) or digits only (a short code or a number, 3 to 15 digits)."""
    sender = value.strip()
    if not sender:
        raise InvalidSender("the sender is empty")
    if _NUMERIC.match(sender):
        return sender
    if not any(c.isalpha() for c in sender) and sender.lstrip("+").isdigit():
        raise InvalidSender("a numeric sender has 3 to 15 digits")
    if len(sender) > ALPHANUMERIC_MAX:
        raise InvalidSender(
            f"an alphanumeric sender has at most {ALPHANUMERIC_MAX} characters, not {len(sender)}"
        )
    if not _ALPHANUMERIC.match(sender):
        raise InvalidSender("an alphanumeric sender holds only the letters A-Z, a-z and digits")
    return sender
