"""The rule packs by name: what a workspace's configuration names, checked when it is saved.

`pack(name, options)` builds a pack or raises UnknownRulePack (listing the known names) or
InvalidPackOptions, so a mistyped pack or option is refused at configuration time, never
discovered at send time. Options come from configuration (JSON), hence the loose types.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, time
from typing import Final

import holidays

from herald_compliance.rule_packs.packs import (
    CountryDefaultPack,
    FrenchPack,
    RulePack,
    UsTcpaPack,
)
from herald_compliance.rule_packs.windows import MONDAY_TO_SATURDAY, WEEKDAY_NAMES

DEFAULT_PACK: Final = "FR-strict"


class UnknownRulePack(ValueError):
    """A pack name the registry does not know."""


class InvalidPackOptions(ValueError):
    """Options a pack does not take, or with a wrong value."""


Options = Mapping[str, object]


def _no_options(name: str, options: Options) -> None:
    if options:
        raise InvalidPackOptions(f"{name} takes no options (got {', '.join(sorted(options))})")


def _check_keys(name: str, options: Options, known: tuple[str, ...]) -> None:
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise InvalidPackOptions(
            f"{name} does not take {', '.join(unknown)}; its options are {', '.join(known)}"
        )


def _flag(name: str, options: Options, key: str, default: bool) -> bool:
    value = options.get(key, default)
    if not isinstance(value, bool):
        raise InvalidPackOptions(f"{name}: {key} must be true or false, not {value!r}")
    return value


_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")


def _clock(name: str, options: Options, key: str, default: time) -> time:
    value = options.get(key)
    if value is None:
        return default
    match = _CLOCK.match(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidPackOptions(f"{name}: {key} must be a time as HH:MM, not {value!r}")
    return time(int(match[1]), int(match[2]))


_DAY_NAMES: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _day(name: str, token: object) -> int:
    key = token.strip().lower() if isinstance(token, str) else ""
    for index, day in enumerate(_DAY_NAMES):
        if key in (day, day[:3]):
            return index
    raise InvalidPackOptions(
        f"{name}: unknown day {token!r} in days; use {', '.join(WEEKDAY_NAMES)} or ranges "
        "such as Mon-Fri"
    )


def _days(name: str, options: Options) -> frozenset[int]:
    """`days`: a list of days or ranges, or one string of them (`"Mon-Fri, Sun"`)."""
    value = options.get("days")
    if value is None:
        return MONDAY_TO_SATURDAY
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not items:
        raise InvalidPackOptions(f"{name}: days must be a non-empty list such as [Mon, Tue]")
    days: set[int] = set()
    for item in items:
        first, dash, last = item.partition("-") if isinstance(item, str) else (item, "", "")
        start = _day(name, first)
        end = _day(name, last) if dash else start
        if end < start:
            raise InvalidPackOptions(f"{name}: the range {item!r} runs backwards")
        days.update(range(start, end + 1))
    return frozenset(days)


def _strict(options: Options) -> RulePack:
    _no_options("FR-strict", options)
    return FrenchPack(
        name="FR-strict",
        version="1",
        # The LCEN (art. L.34-5 CPCE), whose common vendor reading this is; the 20:00 limit
        # has no dated primary text (docs/compliance.md).
        effective_from=date(2004, 6, 21),
        source="common French practice: Mon–Sat 08:00–20:00, no Sundays or public holidays",
        opens=time(8),
        closes=time(20),
    )


def _af2m_2024(options: Options) -> RulePack:
    _no_options("FR-af2m-2024", options)
    return FrenchPack(
        name="FR-af2m-2024",
        version="1",
        effective_from=date(2024, 9, 1),
        # "Jours ouvrables": every day but Sundays and public holidays.
        source="af2m Business Messaging charter 2024: jours ouvrables 08:00–22:00",
        opens=time(8),
        closes=time(22),
    )


def _af2m_2026(options: Options) -> RulePack:
    name = "FR-af2m-2026"
    _check_keys(name, options, ("sundays", "holidays"))
    return FrenchPack(
        name=name,
        version="1",
        effective_from=date(2026, 2, 17),  # the charter's announcement
        source="af2m Business Messaging charter 2026: 08:00–21:30",
        opens=time(8),
        closes=time(21, 30),
        # Tolerated by the charter, not recommended: off unless the workspace turns them on.
        sundays=_flag(name, options, "sundays", False),
        holidays=_flag(name, options, "holidays", False),
    )


def _us_tcpa(options: Options) -> RulePack:
    _no_options("US-TCPA", options)
    return UsTcpaPack(
        name="US-TCPA",
        version="1",
        effective_from=date(2024, 1, 1),  # its latest state rule: Maryland's, 1 Jan 2024
        source="47 CFR 64.1200(c)(1) 08:00–21:00; FL, OK, MD, WA 08:00–20:00; CT 09:00–20:00",
    )


def _default(options: Options) -> RulePack:
    name = "default"
    _check_keys(name, options, ("opens", "closes", "days", "holidays", "holiday_country"))
    country = options.get("holiday_country")
    if country is not None and (
        not isinstance(country, str) or country.upper() not in holidays.list_supported_countries()
    ):
        raise InvalidPackOptions(
            f"{name}: holiday_country {country!r} is not a country the holidays package knows"
        )
    opens = _clock(name, options, "opens", time(8))
    closes = _clock(name, options, "closes", time(20))
    if not opens < closes:
        raise InvalidPackOptions(f"{name}: opens ({opens:%H:%M}) must be before closes")
    return CountryDefaultPack(
        name=name,
        version="1",
        effective_from=date(2026, 12, 1),
        source="Herald's configurable default for countries without a pack",
        opens=opens,
        closes=closes,
        weekdays=_days(name, options),
        holidays=_flag(name, options, "holidays", True),
        holiday_country=country.upper() if isinstance(country, str) else None,
    )


_FACTORIES: Final[dict[str, Callable[[Options], RulePack]]] = {
    "FR-strict": _strict,
    "FR-af2m-2024": _af2m_2024,
    "FR-af2m-2026": _af2m_2026,
    "US-TCPA": _us_tcpa,
    "default": _default,
}


def known_packs() -> tuple[str, ...]:
    return tuple(_FACTORIES)


def pack(name: str = DEFAULT_PACK, options: Options | None = None) -> RulePack:
    """The pack called `name`, configured with `options`."""
    factory = _FACTORIES.get(name)
    if factory is None:
        raise UnknownRulePack(
            f"unknown rule pack {name!r}; known packs: {', '.join(known_packs())}"
        )
    return factory(dict(options or {}))


def pack_for(country: str, packs: list[RulePack] | tuple[RulePack, ...]) -> RulePack | None:
    """The first of a workspace's packs that covers `country` (None when none does): how a
    workspace with e.g. [FR-strict, US-TCPA, default] picks one per recipient."""
    return next((p for p in packs if p.covers(country)), None)
