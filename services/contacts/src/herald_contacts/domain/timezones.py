"""A contact's time zone: the one given, else the one its number's prefix implies.

Send windows are computed in the contact's local time, so where the zone came from matters:
an explicit zone is authoritative, a prefix-derived one is a good guess, and a number whose
prefix spans several zones (a Spanish mobile may be on the Canaries) gets none and is
flagged `ambiguous`, so that a marketer can see who needs a zone set by hand.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib import resources

import phonenumbers
from phonenumbers import timezone as phone_timezones


class TimezoneSource(StrEnum):
    EXPLICIT = "explicit"
    PHONE_PREFIX = "phone_prefix"
    UNKNOWN = "unknown"


class UnknownTimezone(ValueError):
    pass


@dataclass(frozen=True)
class ResolvedTimezone:
    timezone: str | None
    source: TimezoneSource
    ambiguous: bool


@lru_cache
def _available() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@lru_cache
def _zones_by_country() -> dict[str, frozenset[str]]:
    """ISO country → IANA zones, from the tz database's zone.tab (shipped by `tzdata`)."""
    table: dict[str, set[str]] = {}
    text = resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        country, _coordinates, zone, *_comment = line.split("\t")
        table.setdefault(country, set()).add(zone)
    return {country: frozenset(zones) for country, zones in table.items()}


def check_timezone(name: str) -> str:
    """The IANA name itself, or UnknownTimezone."""
    if name not in _available():
        raise UnknownTimezone(
            f"unknown time zone {name!r} (expected an IANA name such as 'Europe/Paris')"
        )
    return name


def zones_for_phone(e164: str | phonenumbers.PhoneNumber) -> list[str]:
    """The zones the number's prefix may be in, narrowed to its own country's zones: the
    prefix tables list Mayotte for a Réunion mobile and Jersey for a London one. (An import
    passes the number it already parsed: parsing again would halve its speed.)"""
    number = phonenumbers.parse(e164) if isinstance(e164, str) else e164
    zones = sorted(z for z in phone_timezones.time_zones_for_number(number) if z != "Etc/Unknown")
    country = phonenumbers.region_code_for_number(number)
    own = [z for z in zones if z in _zones_by_country().get(country or "", frozenset())]
    return own or zones


def resolve_timezone(
    explicit: str | None, e164: str | phonenumbers.PhoneNumber
) -> ResolvedTimezone:
    """Explicit wins; else the prefix's single zone; else unknown (ambiguous when the prefix
    maps to several zones)."""
    if explicit is not None:
        return ResolvedTimezone(check_timezone(explicit), TimezoneSource.EXPLICIT, False)
    zones = zones_for_phone(e164)
    if len(zones) == 1:
        return ResolvedTimezone(zones[0], TimezoneSource.PHONE_PREFIX, False)
    return ResolvedTimezone(None, TimezoneSource.UNKNOWN, len(zones) > 1)
