"""Sending windows in the recipient's local time: is one open, and when does it open next.

A window is a daily opening (`opens` ≤ local time < `closes`) on some weekdays, closed on
public holidays when a calendar is given. Each day's bounds are built from the wall-clock
times with zoneinfo, then compared as instants, so a day of 23 or 25 hours (DST changes)
opens and closes at the right wall-clock times. None of the packs opens or closes inside a
DST gap or fold (they happen at night); a time that did would be read as zoneinfo reads it
(fold=0).

A recipient whose number may be in several zones (a US area code across two, +262 for both
Réunion and Mayotte) is reached only when the window is open in every one of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from herald_compliance.rule_packs.calendars import HolidayCalendar

# How far ahead an opening is looked for before the window is called never open.
HORIZON: Final = timedelta(days=400)
WEEKDAY_NAMES: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONDAY_TO_SATURDAY: Final = frozenset(range(6))
EVERY_DAY: Final = frozenset(range(7))


class UnknownTimezone(ValueError):
    """A time zone name zoneinfo does not know."""


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise UnknownTimezone(f"unknown time zone {name!r}") from error


@dataclass(frozen=True)
class Hours:
    """When a window is open, in any zone: `opens` ≤ local time < `closes`, on `weekdays`
    (0 = Monday), and not on the calendar's holidays when there is one."""

    opens: time
    closes: time
    weekdays: frozenset[int] = MONDAY_TO_SATURDAY
    calendar: HolidayCalendar | None = None

    def __post_init__(self) -> None:
        if not self.opens < self.closes:
            raise ValueError(
                f"opening {self.opens:%H:%M} must be before closing {self.closes:%H:%M}"
            )
        if not self.weekdays or not self.weekdays <= EVERY_DAY:
            raise ValueError("weekdays must be a non-empty set of 0 (Monday) to 6 (Sunday)")

    def describe(self) -> str:
        days = _describe_days(self.weekdays)
        holidays = ", not on public holidays" if self.calendar is not None else ""
        return f"{days} {self.opens:%H:%M}–{self.closes:%H:%M}{holidays}"


def _describe_days(weekdays: frozenset[int]) -> str:
    ordered = sorted(weekdays)
    if ordered == list(range(ordered[0], ordered[-1] + 1)) and len(ordered) > 2:
        return f"{WEEKDAY_NAMES[ordered[0]]}–{WEEKDAY_NAMES[ordered[-1]]}"
    return ", ".join(WEEKDAY_NAMES[day] for day in ordered)


def _bounds(hours: Hours, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    return (
        datetime.combine(day, hours.opens, tzinfo=tz).astimezone(UTC),
        datetime.combine(day, hours.closes, tzinfo=tz).astimezone(UTC),
    )


def closed_because(hours: Hours, tz: ZoneInfo, instant: datetime) -> str | None:
    """Why the window is closed at `instant` in `tz` ("Sunday", "public holiday (...)",
    "before 08:00", "after 20:00"), or None when it is open."""
    local = instant.astimezone(tz)
    day = local.date()
    if local.weekday() not in hours.weekdays:
        return f"{WEEKDAY_NAMES[local.weekday()]} is not a sending day"
    if hours.calendar is not None:
        name = hours.calendar.holiday(day)
        if name is not None:
            return f"{day.isoformat()} is a public holiday ({name})"
    start, end = _bounds(hours, day, tz)
    if instant < start:
        return f"before {hours.opens:%H:%M}"
    if instant >= end:
        return f"from {hours.closes:%H:%M}"
    return None


def next_open_in(hours: Hours, tz: ZoneInfo, instant: datetime) -> datetime | None:
    """The first instant ≥ `instant` at which the window is open in `tz` (UTC); None when it
    does not open within HORIZON."""
    local_day = instant.astimezone(tz).date()
    for offset in range(HORIZON.days + 1):
        day = local_day + timedelta(days=offset)
        if day.weekday() not in hours.weekdays:
            continue
        if hours.calendar is not None and hours.calendar.holiday(day) is not None:
            continue
        start, end = _bounds(hours, day, tz)
        if instant < end:
            return max(start, instant.astimezone(UTC))
    return None


def next_open_everywhere(
    hours: Hours, zones: Sequence[ZoneInfo], instant: datetime
) -> datetime | None:
    """The first instant ≥ `instant` at which the window is open in every zone at once.

    Each step moves to the latest of the zones' next openings: no instant before it is
    open in the zone that gave it, so none is open everywhere; the first instant that
    every zone accepts as is, is the answer. None when there is none within HORIZON (the
    zones' windows never overlap)."""
    limit = instant + HORIZON
    candidate = instant.astimezone(UTC)
    while candidate <= limit:
        openings = [next_open_in(hours, tz, candidate) for tz in zones]
        if any(opening is None for opening in openings):
            return None
        latest = max(opening for opening in openings if opening is not None)
        if latest == candidate:
            return candidate
        candidate = latest
    return None
