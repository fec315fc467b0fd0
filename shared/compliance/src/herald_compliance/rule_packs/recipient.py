"""Who a message goes to, as far as the sending rules care: country, time zones, subdivision.

`country` is the number's region as phonenumbers gives it (FR, RE, GP, US...), `timezones`
every zone the number may be in (a window must be open in all of them), `subdivision` what
the number cannot tell: a French department (`57`, `974`...; None = unknown, see
calendars.py) or a US state (`FL`; for US numbers `recipient_for_phone` reads it from the
area code).
"""

from __future__ import annotations

from dataclasses import dataclass

from phonenumbers import PhoneNumber
from phonenumbers import timezone as phone_timezones

from herald_compliance.phones import NormalisedPhone, normalise_phone
from herald_compliance.rule_packs.us_area_codes import state_for_area_code
from herald_compliance.rule_packs.windows import zone

_NANP = 1
_UNKNOWN_ZONE = "Etc/Unknown"
# Calling codes shared by territories in different zones, whose number prefix tells the
# territory (+262 692… Réunion, +262 639… Mayotte): phonenumbers gives every zone of the
# code, the region is exact, so its own zone is the number's.
_TERRITORY_ZONES = {"RE": "Indian/Reunion", "YT": "Indian/Mayotte"}


@dataclass(frozen=True)
class Recipient:
    country: str
    timezones: tuple[str, ...]
    subdivision: str | None = None

    def __post_init__(self) -> None:
        country = self.country.strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise ValueError(f"country must be a two-letter region code, not {self.country!r}")
        object.__setattr__(self, "country", country)
        zones = tuple(dict.fromkeys(z for z in self.timezones if z != _UNKNOWN_ZONE))
        for name in zones:
            zone(name)  # UnknownTimezone for a name zoneinfo does not know
        object.__setattr__(self, "timezones", zones)
        if self.subdivision is not None:
            subdivision = self.subdivision.strip()
            object.__setattr__(self, "subdivision", subdivision or None)


def recipient_for_phone(phone: str | NormalisedPhone, subdivision: str | None = None) -> Recipient:
    """The recipient of an E.164 number (or an already normalised one): its region, every
    time zone phonenumbers gives it, and for a US number its state from the area code
    unless `subdivision` says otherwise."""
    normalised = normalise_phone(phone) if isinstance(phone, str) else phone
    number = normalised.number or normalise_phone(normalised.e164).number
    assert number is not None  # normalise_phone always keeps the parsed number
    country = normalised.country or "ZZ"
    if subdivision is None and country == "US":
        subdivision = state_for_area_code(_area_code(number))
    zones = _zones(number)
    territory_zone = _TERRITORY_ZONES.get(country)
    if territory_zone in zones:
        zones = (territory_zone,)
    return Recipient(country, zones, subdivision)


def _area_code(number: PhoneNumber) -> str:
    if number.country_code != _NANP:
        return ""
    return str(number.national_number)[:3]


def _zones(number: PhoneNumber) -> tuple[str, ...]:
    return tuple(z for z in phone_timezones.time_zones_for_number(number) if z != _UNKNOWN_ZONE)
