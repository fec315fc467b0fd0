"""The rule packs: sending hours, days and holidays per jurisdiction, versioned and dated.

Each pack says which recipients it covers, the window that applies to one of them (their
time zones, their holidays, their state's hours) and the frequency caps the law adds.
`evaluate` applies one to one message. Sources: docs/compliance.md.

Transactional messages are exempt from the hours (af2m's "messages fonctionnels", the
TCPA's non-solicitations), never from consent, which stays the gate's job (gate.py).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final

from herald_compliance.decisions import RuleDecision, allowed, denied, held, require_aware
from herald_compliance.frequency_caps import Cap
from herald_compliance.rule_packs.calendars import (
    FRENCH_REGIONS,
    HolidayCalendar,
    UnknownSubdivision,
    country_calendar,
    french_calendar,
)
from herald_compliance.rule_packs.recipient import Recipient
from herald_compliance.rule_packs.us_area_codes import AREA_CODE_STATES
from herald_compliance.rule_packs.windows import (
    EVERY_DAY,
    HORIZON,
    MONDAY_TO_SATURDAY,
    Hours,
    closed_because,
    next_open_everywhere,
    zone,
)

EXEMPT_FROM_HOURS: Final = frozenset({"transactional"})


class RulePack(ABC):
    name: str
    version: str
    effective_from: date
    source: str

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"

    @abstractmethod
    def covers(self, country: str) -> bool: ...

    @abstractmethod
    def hours_for(self, recipient: Recipient) -> Hours:
        """The window for this recipient; UnknownSubdivision when its subdivision is not
        one the pack can place."""

    def zones_for(self, recipient: Recipient) -> tuple[str, ...]:
        """Every zone the window must be open in (the recipient's, or the pack's fallback
        when the number gave none)."""
        return recipient.timezones

    def caps_for(self, recipient: Recipient, category: str) -> tuple[Cap, ...]:
        """Frequency caps the pack's law adds for this recipient and category."""
        return ()


# ── France ─────────────────────────────────────────────────────────────────────────────

_FRENCH_ZONES: Final = {
    "FR": "Europe/Paris",
    "GP": "America/Guadeloupe",
    "MQ": "America/Martinique",
    "GF": "America/Cayenne",
    "RE": "Indian/Reunion",
    "YT": "Indian/Mayotte",
    "BL": "America/St_Barthelemy",
    "MF": "America/Marigot",
    "PM": "America/Miquelon",
}


@dataclass(frozen=True)
class FrenchPack(RulePack):
    """France and its overseas departments and collectivities (FRENCH_REGIONS)."""

    name: str
    version: str
    effective_from: date
    source: str
    opens: time
    closes: time
    sundays: bool = False
    holidays: bool = False

    def covers(self, country: str) -> bool:
        return country.upper() in FRENCH_REGIONS

    def hours_for(self, recipient: Recipient) -> Hours:
        calendar = None if self.holidays else self._calendar(recipient)
        weekdays = EVERY_DAY if self.sundays else MONDAY_TO_SATURDAY
        return Hours(self.opens, self.closes, weekdays, calendar)

    def _calendar(self, recipient: Recipient) -> HolidayCalendar:
        return french_calendar(recipient.country, recipient.subdivision)

    def zones_for(self, recipient: Recipient) -> tuple[str, ...]:
        zones = recipient.timezones or (_FRENCH_ZONES[recipient.country],)
        # A metropolitan number whose holder lives overseas (or the reverse): the window
        # must be open where the number says and where the address says.
        if recipient.subdivision is not None:
            territory = french_calendar(recipient.country, recipient.subdivision).country
            if territory != recipient.country:
                zones = (*zones, _FRENCH_ZONES[territory])
        return tuple(dict.fromkeys(zones))


# ── United States ──────────────────────────────────────────────────────────────────────

_FEDERAL = (time(8), time(21))  # 47 CFR 64.1200(c)(1)
# States whose own law is stricter. Connecticut: 9 a.m.–8 p.m. since 1 Oct 2023 (Public
# Act 23-98); the reference notes list it with the 8–8 states, the later text wins.
_STATE_HOURS: Final = {
    "FL": (time(8), time(20)),
    "OK": (time(8), time(20)),
    "MD": (time(8), time(20)),
    "WA": (time(8), time(20)),
    "CT": (time(9), time(20)),
}
# FTSA (FL), OTSA (OK), Stop the Spam Calls Act (MD): at most 3 per 24 h on one subject.
_SAME_SUBJECT_CAP_STATES: Final = frozenset({"FL", "OK", "MD"})
_US_REGIONS: Final = frozenset({"US", "PR", "VI", "GU", "AS", "MP"})
_US_STATES: Final = frozenset(AREA_CODE_STATES.values())
# Every zone of the 50 states, for a US recipient whose number gave none.
_US_ZONES: Final = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
)
_TERRITORY_ZONES: Final = {
    "PR": "America/Puerto_Rico",
    "VI": "America/St_Thomas",
    "GU": "Pacific/Guam",
    "AS": "Pacific/Pago_Pago",
    "MP": "Pacific/Saipan",
}


def same_subject_cap(states: str) -> Cap:
    return Cap(
        "marketing",
        3,
        timedelta(hours=24),
        same_subject=True,
        hard=True,
        label=f"{states}: at most 3 marketing messages per 24 h on the same subject",
    )


@dataclass(frozen=True)
class UsTcpaPack(RulePack):
    name: str
    version: str
    effective_from: date
    source: str

    def covers(self, country: str) -> bool:
        return country.upper() in _US_REGIONS

    def _state(self, recipient: Recipient) -> str | None:
        if recipient.country != "US" or recipient.subdivision is None:
            return None
        state = recipient.subdivision.upper()
        if state not in _US_STATES:
            raise UnknownSubdivision(f"unknown US state {recipient.subdivision!r}")
        return state

    def _strictest(self, recipient: Recipient) -> bool:
        """A US number whose state is unknown gets every stricter state's rules at once."""
        return recipient.country == "US" and recipient.subdivision is None

    def hours_for(self, recipient: Recipient) -> Hours:
        if self._strictest(recipient):
            opens = max(hours[0] for hours in _STATE_HOURS.values())
            closes = min(hours[1] for hours in _STATE_HOURS.values())
        else:
            opens, closes = _STATE_HOURS.get(self._state(recipient) or "", _FEDERAL)
        return Hours(opens, closes, EVERY_DAY, None)

    def zones_for(self, recipient: Recipient) -> tuple[str, ...]:
        if recipient.timezones:
            return recipient.timezones
        territory = _TERRITORY_ZONES.get(recipient.country)
        return (territory,) if territory else _US_ZONES

    def caps_for(self, recipient: Recipient, category: str) -> tuple[Cap, ...]:
        if category in EXEMPT_FROM_HOURS:
            return ()
        if self._strictest(recipient):
            return (same_subject_cap("/".join(sorted(_SAME_SUBJECT_CAP_STATES))),)
        state = self._state(recipient)
        return (same_subject_cap(state),) if state in _SAME_SUBJECT_CAP_STATES else ()


# ── Other countries ────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class CountryDefaultPack(RulePack):
    """Any country: configured hours and days, and the public holidays of
    `holiday_country` (the recipient's own country when None) unless `holidays` is off."""

    name: str
    version: str
    effective_from: date
    source: str
    opens: time = time(8)
    closes: time = time(20)
    weekdays: frozenset[int] = MONDAY_TO_SATURDAY
    holidays: bool = True
    holiday_country: str | None = None

    def covers(self, country: str) -> bool:
        return True

    def hours_for(self, recipient: Recipient) -> Hours:
        calendar = None
        if self.holidays:
            calendar = country_calendar(self.holiday_country or recipient.country)
        return Hours(self.opens, self.closes, self.weekdays, calendar)


# ── Evaluation ─────────────────────────────────────────────────────────────────────────


def evaluate(pack: RulePack, category: str, recipient: Recipient, now: datetime) -> RuleDecision:
    """Whether `pack`'s sending window lets a `category` message reach `recipient` at
    `now` (timezone-aware): allowed, held until the window next opens (UTC), or denied
    when it never can (a recipient the pack does not cover, an unknown subdivision or
    time zone, zones whose windows never overlap)."""
    require_aware(now)
    name, version = pack.name, pack.version
    if category in EXEMPT_FROM_HOURS:
        return allowed(name, version, f"{category} messages are exempt from sending hours")
    if not pack.covers(recipient.country):
        return denied(
            name, version, f"{pack.label} does not cover recipients in {recipient.country}"
        )
    try:
        hours = pack.hours_for(recipient)
        zone_names = pack.zones_for(recipient)
    except UnknownSubdivision as error:
        return denied(name, version, f"{pack.label}: {error}")
    if not zone_names:
        return denied(name, version, f"{pack.label}: the recipient's time zone is unknown")
    zones = [zone(z) for z in zone_names]
    window = f"{hours.describe()}, {' and '.join(zone_names)}"
    closed = [(z, why) for z in zones if (why := closed_because(hours, z, now)) is not None]
    if not closed:
        return allowed(name, version, f"{pack.label}: inside the sending window ({window})")
    why = "; ".join(f"{why} in {z.key}" for z, why in closed)
    opening = next_open_everywhere(hours, zones, now)
    if opening is None:
        return denied(
            name,
            version,
            f"{pack.label}: {why}; the window ({window}) does not open within {HORIZON.days} days",
        )
    local = opening.astimezone(zones[0])
    return held(
        name,
        version,
        f"{pack.label}: outside the sending window ({window}): {why}; "
        f"opens {local:%Y-%m-%d %H:%M} {zones[0].key}",
        opening,
    )
