"""Public holiday calendars, from the `holidays` package, as rule packs need them.

France has more than one calendar. Alsace-Moselle (Bas-Rhin 67, Haut-Rhin 68, Moselle 57)
keeps two extra holidays from its local law, Good Friday and 26 December, and each overseas
department has its own (the abolition of slavery, on a different day in each). A French
number does not tell the department (06/07 mobiles are national), so the caller passes it
when it knows it (`subdivision`), and when it does not the calendar is Alsace-Moselle's:
a superset of the national one, so an unknown French recipient is never reached on a day
that is a holiday where they may live. An overseas number does tell its territory (+590,
+594, +596, +262...), which is the recipient's country (GP, GF, MQ, RE, YT...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Final

import holidays

# Territories that `holidays` knows as France's subdivisions and whose numbers phonenumbers
# gives their own region code; the French packs cover them.
FRENCH_OVERSEAS: Final = frozenset({"GP", "MQ", "GF", "RE", "YT", "BL", "MF", "PM"})
FRENCH_REGIONS: Final = FRENCH_OVERSEAS | {"FR"}

_ALSACE_MOSELLE: Final = frozenset(
    {"57", "67", "68", "6AE", "ALSACE", "MOSELLE", "ALSACE-MOSELLE", "BAS-RHIN", "HAUT-RHIN"}
)
# INSEE codes of the overseas departments and collectivities, as a French address gives them.
_OVERSEAS_BY_INSEE: Final = {
    "971": "GP",
    "972": "MQ",
    "973": "GF",
    "974": "RE",
    "975": "PM",
    "976": "YT",
    "977": "BL",
    "978": "MF",
}
_METROPOLITAN_DEPARTMENT: Final = re.compile(r"^(0[1-9]|[1-8][0-9]|9[0-5]|2A|2B)$")


class UnknownSubdivision(ValueError):
    """A subdivision the calendars cannot place."""


@dataclass(frozen=True)
class HolidayCalendar:
    """One country's (or subdivision's) public holidays; `label` names it in reasons."""

    country: str
    subdivision: str | None
    label: str

    def holiday(self, day: date) -> str | None:
        """The holiday's name when `day` is one, else None."""
        name = _holidays(self.country, self.subdivision).get(day)
        return None if name is None else str(name)


@lru_cache(maxsize=64)
def _holidays(country: str, subdivision: str | None) -> holidays.HolidayBase:
    # Years are added as dates are looked up (the package's `expand`).
    return holidays.country_holidays(country, subdiv=subdivision)


def french_calendar(country: str, subdivision: str | None) -> HolidayCalendar:
    """The calendar of a recipient of the French packs (country in FRENCH_REGIONS)."""
    country = country.upper()
    if country in FRENCH_OVERSEAS:
        # The number's territory decides; a department given as well adds nothing.
        return HolidayCalendar(country, None, f"public holidays of {country}")
    if country != "FR":
        raise UnknownSubdivision(f"{country} is not France or a French overseas territory")
    if subdivision is None:
        # Unknown department: Alsace-Moselle's calendar is the union (see the module doc).
        return HolidayCalendar(
            "FR", "57", "French public holidays (department unknown: Alsace-Moselle's included)"
        )
    key = subdivision.strip().upper()
    if key in _ALSACE_MOSELLE:
        return HolidayCalendar("FR", "57", "French public holidays of Alsace-Moselle")
    if key in _OVERSEAS_BY_INSEE or key in FRENCH_OVERSEAS:
        territory = _OVERSEAS_BY_INSEE.get(key, key)
        return HolidayCalendar(territory, None, f"public holidays of {territory}")
    if _METROPOLITAN_DEPARTMENT.match(key):
        return HolidayCalendar("FR", None, "French public holidays")
    raise UnknownSubdivision(
        f"unknown French subdivision {subdivision!r}: give a department number "
        "(e.g. 75, 57, 2A, 974), Alsace or Moselle, or none"
    )


def country_calendar(country: str) -> HolidayCalendar | None:
    """A country's national calendar, or None when `holidays` has none for it."""
    code = country.upper()
    if code not in holidays.list_supported_countries():
        return None
    return HolidayCalendar(code, None, f"public holidays of {code}")
