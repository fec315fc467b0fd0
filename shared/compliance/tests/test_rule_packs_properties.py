"""Properties of every pack's hold: the release instant is open, and nothing between now and
it is (checked on sampled minutes), against a reference written here from wall-clock times
and the `holidays` package directly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from herald_compliance.rule_packs import Recipient, RulePack, evaluate, pack

PACKS = [
    pack("FR-strict"),
    pack("FR-af2m-2024"),
    pack("FR-af2m-2026"),
    pack("FR-af2m-2026", {"sundays": True}),
    pack("US-TCPA"),
    pack("default", {"opens": "09:30", "closes": "17:45", "days": "Mon-Fri"}),
]
RECIPIENTS = [
    Recipient("FR", ("Europe/Paris",)),
    Recipient("FR", ("Europe/Paris",), "75"),
    Recipient("FR", ("Europe/Paris",), "57"),
    Recipient("RE", ("Indian/Reunion",)),
    Recipient("GP", ("America/Guadeloupe",)),
    Recipient("US", ("America/New_York",), "FL"),
    Recipient("US", ("America/New_York",), "CT"),
    Recipient("US", ("America/Los_Angeles",), "CA"),
    Recipient("US", ("America/New_York", "America/Chicago"), "TX"),
    Recipient("US", ("America/New_York",)),
    Recipient("DE", ("Europe/Berlin",)),
]

# The reference: each pack's rule restated from wall-clock times.
_FR_CALENDAR = {
    (None, "FR"): ("FR", "57"),  # department unknown: Alsace-Moselle's (the union)
    ("75", "FR"): ("FR", None),
    ("57", "FR"): ("FR", "57"),
    (None, "RE"): ("RE", None),
    (None, "GP"): ("GP", None),
}
_US_HOURS = {"FL": (8, 0, 20, 0), "CT": (9, 0, 20, 0), "CA": (8, 0, 21, 0), "TX": (8, 0, 21, 0)}


def _reference_open(rule_pack: RulePack, recipient: Recipient, instant: datetime) -> bool | None:
    """Open in every zone at `instant` by the pack's written rule; None when not covered."""
    for name in recipient.timezones:
        local = instant.astimezone(ZoneInfo(name))
        minutes = local.hour * 60 + local.minute
        if rule_pack.name == "US-TCPA":
            if recipient.country != "US":
                return None
            h1, m1, h2, m2 = _US_HOURS.get(recipient.subdivision or "", (9, 0, 20, 0))
            days, calendar = range(7), None
        elif rule_pack.name.startswith("FR-"):
            if recipient.country not in ("FR", "RE", "GP"):
                return None
            closing = {"FR-strict": (20, 0), "FR-af2m-2024": (22, 0)}.get(rule_pack.name, (21, 30))
            h1, m1, (h2, m2) = 8, 0, closing
            sundays = rule_pack.name == "FR-af2m-2026" and getattr(rule_pack, "sundays", False)
            days = range(7) if sundays else range(6)
            country, subdivision = _FR_CALENDAR[(recipient.subdivision, recipient.country)]
            calendar = holidays.country_holidays(country, subdiv=subdivision)
        else:
            h1, m1, h2, m2 = 9, 30, 17, 45
            days = range(5)
            calendar = holidays.country_holidays(recipient.country)
        if local.weekday() not in days or (calendar is not None and local.date() in calendar):
            return False
        if not h1 * 60 + m1 <= minutes < h2 * 60 + m2:
            return False
    return True


instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
).map(lambda d: d.replace(second=0, microsecond=0))


@settings(max_examples=300, deadline=None)
@given(
    rule_pack=st.sampled_from(PACKS),
    recipient=st.sampled_from(RECIPIENTS),
    now=instants,
    samples=st.lists(st.floats(min_value=0, max_value=1), min_size=20, max_size=40),
)
def test_hold_releases_at_the_first_open_minute(
    rule_pack: RulePack, recipient: Recipient, now: datetime, samples: list[float]
) -> None:
    decision = evaluate(rule_pack, "marketing", recipient, now)
    expected_open = _reference_open(rule_pack, recipient, now)
    if expected_open is None:
        assert decision.denied
        return
    assert decision.allowed == expected_open, decision.reason
    if decision.allowed:
        return
    assert decision.held, decision.reason
    until = decision.held_until
    assert until is not None
    assert until.tzinfo is UTC
    assert until > now
    assert until - now < timedelta(days=8)
    # The release instant is open, by the pack and by the reference...
    assert evaluate(rule_pack, "marketing", recipient, until).allowed
    assert _reference_open(rule_pack, recipient, until)
    # ...and no minute before it is: the minute just before, and sampled minutes.
    minutes = int((until - now) / timedelta(minutes=1))
    probes = {minutes - 1, 0} | {int(f * (minutes - 1)) for f in samples}
    for probe in probes:
        instant = now + timedelta(minutes=probe)
        assert not _reference_open(rule_pack, recipient, instant), instant
        assert evaluate(rule_pack, "marketing", recipient, instant).held_until == until
