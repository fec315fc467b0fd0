"""A handset's number, as the gateway reports it, in E.164."""

from __future__ import annotations

import phonenumbers


class InvalidPhone(ValueError):
    pass


def _parse(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def normalise_phone(raw: str, default_region: str = "FR") -> str:
    """`+33612345678`, `0612345678`, `0033612345678` and, from binds that drop the `+` of an
    international number, `33612345678` -> `+33612345678`; anything else is refused."""
    text = raw.strip().replace(" ", "")
    if text.startswith("00"):
        text = "+" + text[2:]
    number = _parse(text, default_region)
    if number is None and text.isdigit() and not text.startswith("0"):
        number = _parse("+" + text, None)
    if number is None:
        raise InvalidPhone("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
