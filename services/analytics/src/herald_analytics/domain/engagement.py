"""Daily engagement: the day an event counts for, and the range a report may cover."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

MAX_DAYS = 366
DEFAULT_DAYS = 30


class EngagementKind(StrEnum):
    INBOUND = "inbound"
    OPTOUT = "optout"


class InvalidRange(ValueError):
    pass


def day_of(moment: datetime) -> date:
    """Days are UTC days: a workspace's time zone is not known to analytics."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).date()


def resolve_range(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """Both ends inclusive. `to` defaults to today (UTC), `from` to `DEFAULT_DAYS` before it."""
    end = end or (start + timedelta(days=DEFAULT_DAYS - 1) if start else today)
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise InvalidRange(f"to: {end.isoformat()} is before from ({start.isoformat()})")
    days = (end - start).days + 1
    if days > MAX_DAYS:
        raise InvalidRange(f"to: the range covers {days} days, at most {MAX_DAYS} are allowed")
    return start, end


@dataclass(frozen=True)
class DayCounts:
    day: date
    inbound: int = 0
    optout: int = 0


def fill_days(start: date, end: date, counts: Iterable[tuple[date, str, int]]) -> list[DayCounts]:
    """Every day of the range in order, zero where nothing happened."""
    found: dict[date, dict[str, int]] = {}
    for day, kind, count in counts:
        found.setdefault(day, {})[kind] = count
    result = []
    day = start
    while day <= end:
        per_kind: Mapping[str, int] = found.get(day, {})
        result.append(
            DayCounts(
                day=day,
                inbound=per_kind.get(EngagementKind.INBOUND.value, 0),
                optout=per_kind.get(EngagementKind.OPTOUT.value, 0),
            )
        )
        day += timedelta(days=1)
    return result
