"""Time zones: explicit wins, else the prefix's zone, else unknown and flagged."""

from __future__ import annotations

import pytest

from herald_contacts.domain.timezones import (
    TimezoneSource,
    UnknownTimezone,
    resolve_timezone,
)


class TestResolveTimezone:
    def test_an_explicit_zone_wins_over_the_prefix(self) -> None:
        resolved = resolve_timezone("America/Cayenne", "+33612345678")
        assert (resolved.timezone, resolved.source, resolved.ambiguous) == (
            "America/Cayenne",
            TimezoneSource.EXPLICIT,
            False,
        )

    def test_an_unknown_explicit_zone_is_refused(self) -> None:
        with pytest.raises(UnknownTimezone, match="'Europe/Lutece'"):
            resolve_timezone("Europe/Lutece", "+33612345678")

    @pytest.mark.parametrize(
        ("phone", "zone"),
        [
            ("+33612345678", "Europe/Paris"),
            ("+262692123456", "Indian/Reunion"),  # the prefix table also lists Mayotte
            ("+590690123456", "America/Guadeloupe"),
            ("+596696123456", "America/Martinique"),
            ("+594694123456", "America/Cayenne"),
            ("+447400123456", "Europe/London"),  # ... and Jersey, Guernsey, Man
        ],
    )
    def test_a_prefix_with_one_zone_in_its_country_gives_it(self, phone: str, zone: str) -> None:
        resolved = resolve_timezone(None, phone)
        assert (resolved.timezone, resolved.source, resolved.ambiguous) == (
            zone,
            TimezoneSource.PHONE_PREFIX,
            False,
        )

    @pytest.mark.parametrize("phone", ["+34612345678", "+79123456789", "+61412345678"])
    def test_a_prefix_spanning_several_zones_is_unknown_and_flagged(self, phone: str) -> None:
        resolved = resolve_timezone(None, phone)
        assert (resolved.timezone, resolved.source, resolved.ambiguous) == (
            None,
            TimezoneSource.UNKNOWN,
            True,
        )
