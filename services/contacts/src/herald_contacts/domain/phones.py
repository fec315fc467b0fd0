"""Phone numbers: any common format in, E.164 out."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from phonenumbers import timezone as phone_timezones


class InvalidPhone(ValueError):
    pass


@dataclass(frozen=True)
class NormalisedPhone:
    e164: str
    country: str | None
    timezone: str | None


def normalise_phone(raw: str, default_region: str = "FR") -> NormalisedPhone:
    """Parse `06 12 34 56 78`, `+33 (0)6…`, `0033…` and the like; reject what is not a number."""
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    text = text.replace("(0)", "")
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhone(f"not a phone number: {error}") from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("not a valid phone number for its country")
    zones = [z for z in phone_timezones.time_zones_for_number(number) if z != "Etc/Unknown"]
    return NormalisedPhone(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        country=phonenumbers.region_code_for_number(number),
        timezone=zones[0] if len(zones) == 1 else None,
    )
