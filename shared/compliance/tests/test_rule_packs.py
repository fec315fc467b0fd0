"""Rule packs, table-driven at their boundaries: opening and closing minutes, DST changes
(Europe/Paris, America/New_York), French public holidays (Alsace-Moselle, overseas), overseas
time zones, US states by area code, and where a held message is released."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Literal

import pytest

from herald_compliance.rule_packs import (
    DEFAULT_PACK,
    InvalidPackOptions,
    Recipient,
    RulePack,
    UnknownRulePack,
    UnknownTimezone,
    evaluate,
    known_packs,
    pack,
    pack_for,
    recipient_for_phone,
)

PARIS = "Europe/Paris"
NEW_YORK = "America/New_York"

FR = Recipient("FR", (PARIS,))  # department unknown
PARIS_75 = Recipient("FR", (PARIS,), "75")
MOSELLE = Recipient("FR", (PARIS,), "57")
BAS_RHIN = Recipient("FR", (PARIS,), "67")
HAUT_RHIN = Recipient("FR", (PARIS,), "68")
ALSACE = Recipient("FR", (PARIS,), "Alsace")
REUNION = recipient_for_phone("+262692123456")
MAYOTTE = recipient_for_phone("+262639012345")
GUADELOUPE = recipient_for_phone("+590690123456")
MARTINIQUE = recipient_for_phone("+596696123456")
GUYANE = recipient_for_phone("+594694123456")


def us(area_code: str) -> Recipient:
    return recipient_for_phone(f"+1{area_code}5550123")


def at(text: str) -> datetime:
    """An instant written with its offset, e.g. `2026-05-02T07:59+02:00`."""
    value = datetime.fromisoformat(text)
    assert value.tzinfo is not None
    return value


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


Expect = Literal["allowed", "denied"] | datetime  # a datetime: held until then


def check(rule_pack: RulePack, recipient: Recipient, now: datetime, expected: Expect) -> None:
    decision = evaluate(rule_pack, "marketing", recipient, now)
    assert decision.rule == rule_pack.name
    assert decision.version == rule_pack.version
    assert decision.reason
    if isinstance(expected, datetime):
        assert decision.outcome == "held", decision.reason
        assert decision.held_until == expected, decision.reason
        assert decision.held_until is not None
        assert decision.held_until.tzinfo is UTC
    else:
        assert decision.outcome == expected, decision.reason
        assert decision.held_until is None


STRICT = pack("FR-strict")
AF2M_2024 = pack("FR-af2m-2024")
AF2M_2026 = pack("FR-af2m-2026")
AF2M_2026_OPEN = pack("FR-af2m-2026", {"sundays": True, "holidays": True})
TCPA = pack("US-TCPA")

CASES: list[tuple[str, RulePack, Recipient, str, Expect]] = [
    # ── FR-strict: Mon–Sat 08:00–20:00 ──
    ("strict 07:59 Saturday", STRICT, FR, "2026-05-02T07:59+02:00", utc("2026-05-02T06:00")),
    ("strict 08:00 Saturday", STRICT, FR, "2026-05-02T08:00+02:00", "allowed"),
    ("strict 19:59", STRICT, FR, "2026-05-02T19:59+02:00", "allowed"),
    (
        "strict 20:00 Saturday -> Monday",
        STRICT,
        FR,
        "2026-05-02T20:00+02:00",
        utc("2026-05-04T06:00"),
    ),
    ("strict Sunday", STRICT, FR, "2026-05-03T12:00+02:00", utc("2026-05-04T06:00")),
    ("strict 1 May", STRICT, FR, "2026-05-01T10:00+02:00", utc("2026-05-02T06:00")),
    ("strict 14 July", STRICT, FR, "2026-07-14T10:00+02:00", utc("2026-07-15T06:00")),
    ("strict 13 July 19:59", STRICT, FR, "2026-07-13T19:59+02:00", "allowed"),
    (
        "strict 13 July 20:00 -> 15 July",
        STRICT,
        FR,
        "2026-07-13T20:00+02:00",
        utc("2026-07-15T06:00"),
    ),
    # DST, Europe/Paris: 29 March and 25 October 2026 are Sundays; Monday opens at 08:00
    # local, an hour earlier (UTC) in summer.
    ("strict spring DST weekend", STRICT, FR, "2026-03-28T20:00+01:00", utc("2026-03-30T06:00")),
    (
        "strict spring DST Sunday night",
        STRICT,
        FR,
        "2026-03-29T03:30+02:00",
        utc("2026-03-30T06:00"),
    ),
    ("strict autumn DST weekend", STRICT, FR, "2026-10-24T20:00+02:00", utc("2026-10-26T07:00")),
    ("strict autumn DST 07:59 CET", STRICT, FR, "2026-10-26T07:59+01:00", utc("2026-10-26T07:00")),
    ("strict autumn DST 08:00 CET", STRICT, FR, "2026-10-26T08:00+01:00", "allowed"),
    # Sunday + holiday: Easter Sunday, Easter Monday -> Tuesday.
    ("strict Easter weekend", STRICT, PARIS_75, "2026-04-04T20:00+02:00", utc("2026-04-07T06:00")),
    # Pentecost: Saturday night -> Sunday, Pentecost Monday -> Tuesday 26 May.
    ("strict Pentecost", STRICT, FR, "2026-05-23T21:00+02:00", utc("2026-05-26T06:00")),
    # 1 May (Friday) to 8 May (Friday): each alone.
    ("strict 8 May", STRICT, FR, "2026-05-08T09:00+02:00", utc("2026-05-09T06:00")),
    # ── Alsace-Moselle: Good Friday (3 April 2026), 26 December (Saturday in 2026) ──
    ("Good Friday, Paris", STRICT, PARIS_75, "2026-04-03T12:00+02:00", "allowed"),
    ("Good Friday, Moselle", STRICT, MOSELLE, "2026-04-03T12:00+02:00", utc("2026-04-04T06:00")),
    ("Good Friday, Bas-Rhin", STRICT, BAS_RHIN, "2026-04-03T12:00+02:00", utc("2026-04-04T06:00")),
    (
        "Good Friday, Haut-Rhin",
        STRICT,
        HAUT_RHIN,
        "2026-04-03T12:00+02:00",
        utc("2026-04-04T06:00"),
    ),
    ("Good Friday, unknown dept", STRICT, FR, "2026-04-03T12:00+02:00", utc("2026-04-04T06:00")),
    ("26 Dec, Paris", STRICT, PARIS_75, "2026-12-26T12:00+01:00", "allowed"),
    ("26 Dec, Alsace", STRICT, ALSACE, "2026-12-26T12:00+01:00", utc("2026-12-28T07:00")),
    ("Christmas, Paris", STRICT, PARIS_75, "2026-12-24T20:00+01:00", utc("2026-12-26T07:00")),
    ("Christmas, Moselle", STRICT, MOSELLE, "2026-12-24T20:00+01:00", utc("2026-12-28T07:00")),
    # ── Overseas: own zones, own holidays ──
    ("Réunion 07:59 (UTC+4)", STRICT, REUNION, "2026-06-02T07:59+04:00", utc("2026-06-02T04:00")),
    ("Réunion 08:00", STRICT, REUNION, "2026-06-02T08:00+04:00", "allowed"),
    ("Réunion 20:00", STRICT, REUNION, "2026-06-02T20:00+04:00", utc("2026-06-03T04:00")),
    # Abolition of slavery, Réunion 20 December (a Saturday in 2025): held to Monday.
    ("Réunion 20 Dec", STRICT, REUNION, "2025-12-20T10:00+04:00", utc("2025-12-22T04:00")),
    ("Paris 20 Dec", STRICT, FR, "2025-12-20T10:00+01:00", "allowed"),
    ("Mayotte 27 April", STRICT, MAYOTTE, "2026-04-27T10:00+03:00", utc("2026-04-28T05:00")),
    (
        "Guadeloupe 07:59 (UTC-4)",
        STRICT,
        GUADELOUPE,
        "2026-06-02T07:59-04:00",
        utc("2026-06-02T12:00"),
    ),
    ("Guadeloupe 19:59", STRICT, GUADELOUPE, "2026-06-02T19:59-04:00", "allowed"),
    ("Guadeloupe 20:00", STRICT, GUADELOUPE, "2026-06-02T20:00-04:00", utc("2026-06-03T12:00")),
    ("Guadeloupe 27 May", STRICT, GUADELOUPE, "2026-05-27T10:00-04:00", utc("2026-05-28T12:00")),
    ("Martinique 22 May", STRICT, MARTINIQUE, "2026-05-22T10:00-04:00", utc("2026-05-23T12:00")),
    ("Guyane 10 June", STRICT, GUYANE, "2026-06-10T10:00-03:00", utc("2026-06-11T11:00")),
    ("Guyane 10 June, Paris open", STRICT, FR, "2026-06-10T10:00+02:00", "allowed"),
    # ── FR-af2m-2024: jours ouvrables 08:00–22:00 ──
    ("af2m-2024 07:59", AF2M_2024, FR, "2026-06-02T07:59+02:00", utc("2026-06-02T06:00")),
    ("af2m-2024 21:59", AF2M_2024, FR, "2026-06-02T21:59+02:00", "allowed"),
    ("af2m-2024 22:00", AF2M_2024, FR, "2026-06-02T22:00+02:00", utc("2026-06-03T06:00")),
    ("af2m-2024 Sunday", AF2M_2024, FR, "2026-06-07T12:00+02:00", utc("2026-06-08T06:00")),
    ("af2m-2024 14 July", AF2M_2024, FR, "2026-07-14T12:00+02:00", utc("2026-07-15T06:00")),
    # ── FR-af2m-2026: 08:00–21:30; Sundays and holidays off unless configured ──
    ("af2m-2026 21:29", AF2M_2026, FR, "2026-06-02T21:29+02:00", "allowed"),
    ("af2m-2026 21:30", AF2M_2026, FR, "2026-06-02T21:30+02:00", utc("2026-06-03T06:00")),
    ("af2m-2026 Sunday", AF2M_2026, FR, "2026-06-07T12:00+02:00", utc("2026-06-08T06:00")),
    ("af2m-2026 1 May", AF2M_2026, FR, "2026-05-01T12:00+02:00", utc("2026-05-02T06:00")),
    ("af2m-2026 Sunday allowed", AF2M_2026_OPEN, FR, "2026-06-07T12:00+02:00", "allowed"),
    ("af2m-2026 1 May allowed", AF2M_2026_OPEN, FR, "2026-05-01T12:00+02:00", "allowed"),
    ("af2m-2026 open 21:30", AF2M_2026_OPEN, FR, "2026-06-06T21:30+02:00", utc("2026-06-07T06:00")),
    # ── US-TCPA: 08:00–21:00 recipient time; stricter states by area code ──
    ("NY 212 07:59", TCPA, us("212"), "2026-06-02T07:59-04:00", utc("2026-06-02T12:00")),
    ("NY 212 08:00", TCPA, us("212"), "2026-06-02T08:00-04:00", "allowed"),
    ("NY 212 20:59", TCPA, us("212"), "2026-06-02T20:59-04:00", "allowed"),
    ("NY 212 21:00", TCPA, us("212"), "2026-06-02T21:00-04:00", utc("2026-06-03T12:00")),
    ("NY 212 Sunday", TCPA, us("212"), "2026-06-07T12:00-04:00", "allowed"),
    ("FL 305 19:59", TCPA, us("305"), "2026-06-02T19:59-04:00", "allowed"),
    ("FL 305 20:00", TCPA, us("305"), "2026-06-02T20:00-04:00", utc("2026-06-03T12:00")),
    ("CT 203 08:59", TCPA, us("203"), "2026-06-02T08:59-04:00", utc("2026-06-02T13:00")),
    ("CT 203 09:00", TCPA, us("203"), "2026-06-02T09:00-04:00", "allowed"),
    ("CT 203 20:00", TCPA, us("203"), "2026-06-02T20:00-04:00", utc("2026-06-03T13:00")),
    ("MD 410 19:59", TCPA, us("410"), "2026-06-02T19:59-04:00", "allowed"),
    ("MD 410 20:00", TCPA, us("410"), "2026-06-02T20:00-04:00", utc("2026-06-03T12:00")),
    ("OK 405 (Central) 07:59", TCPA, us("405"), "2026-06-02T07:59-05:00", utc("2026-06-02T13:00")),
    ("OK 405 20:00", TCPA, us("405"), "2026-06-02T20:00-05:00", utc("2026-06-03T13:00")),
    ("WA 206 (Pacific) 19:59", TCPA, us("206"), "2026-06-02T19:59-07:00", "allowed"),
    ("WA 206 20:00", TCPA, us("206"), "2026-06-02T20:00-07:00", utc("2026-06-03T15:00")),
    ("CA 415 07:59 PT", TCPA, us("415"), "2026-06-02T07:59-07:00", utc("2026-06-02T15:00")),
    ("CA 415 20:30 PT", TCPA, us("415"), "2026-06-02T20:30-07:00", "allowed"),
    ("CA 415 21:00 PT", TCPA, us("415"), "2026-06-02T21:00-07:00", utc("2026-06-03T15:00")),
    # DST, America/New_York: 8 March and 1 November 2026.
    ("NY spring DST night", TCPA, us("212"), "2026-03-07T21:00-05:00", utc("2026-03-08T12:00")),
    ("NY spring DST 07:59 EDT", TCPA, us("212"), "2026-03-08T07:59-04:00", utc("2026-03-08T12:00")),
    ("NY autumn DST night", TCPA, us("212"), "2026-10-31T21:00-04:00", utc("2026-11-01T13:00")),
    ("NY autumn DST 08:00 EST", TCPA, us("212"), "2026-11-01T08:00-05:00", "allowed"),
    # A state nobody knows: the strictest hours (CT's 09:00, the states' 20:00).
    (
        "US state unknown 08:30",
        TCPA,
        Recipient("US", (NEW_YORK,)),
        "2026-06-02T08:30-04:00",
        utc("2026-06-02T13:00"),
    ),
    (
        "US state unknown 20:00",
        TCPA,
        Recipient("US", (NEW_YORK,)),
        "2026-06-02T20:00-04:00",
        utc("2026-06-03T13:00"),
    ),
    # A number in two zones: open only when open in both.
    (
        "US two zones, 08:30 ET",
        TCPA,
        Recipient("US", (NEW_YORK, "America/Chicago"), "TX"),
        "2026-06-02T08:30-04:00",
        utc("2026-06-02T13:00"),
    ),
    (
        "US two zones, 20:30 ET",
        TCPA,
        Recipient("US", (NEW_YORK, "America/Chicago"), "TX"),
        "2026-06-02T20:30-04:00",
        "allowed",
    ),
    (
        "US two zones, 21:00 ET",
        TCPA,
        Recipient("US", (NEW_YORK, "America/Chicago"), "TX"),
        "2026-06-02T21:00-04:00",
        utc("2026-06-03T13:00"),
    ),
    # ── Not covered, not placeable ──
    ("FR pack, US number", STRICT, us("212"), "2026-06-02T12:00-04:00", "denied"),
    ("US pack, French number", TCPA, FR, "2026-06-02T12:00+02:00", "denied"),
    (
        "unknown department",
        STRICT,
        Recipient("FR", (PARIS,), "99"),
        "2026-06-02T12:00+02:00",
        "denied",
    ),
    (
        "unknown US state",
        TCPA,
        Recipient("US", (NEW_YORK,), "ZZ"),
        "2026-06-02T12:00-04:00",
        "denied",
    ),
]


@pytest.mark.parametrize(
    ("rule_pack", "recipient", "now", "expected"),
    [pytest.param(p, r, at(n), e, id=i) for i, p, r, n, e in CASES],
)
def test_pack_at_boundaries(
    rule_pack: RulePack, recipient: Recipient, now: datetime, expected: Expect
) -> None:
    check(rule_pack, recipient, now, expected)


class TestDefaultPack:
    def test_configured_hours_days_and_holiday_country(self) -> None:
        belgium = pack(
            "default",
            {"opens": "09:00", "closes": "18:30", "days": "Mon-Fri", "holiday_country": "BE"},
        )
        brussels = Recipient("BE", ("Europe/Brussels",))
        check(belgium, brussels, at("2026-06-02T08:59+02:00"), utc("2026-06-02T07:00"))
        check(belgium, brussels, at("2026-06-02T18:29+02:00"), "allowed")
        check(belgium, brussels, at("2026-06-02T18:30+02:00"), utc("2026-06-03T07:00"))
        # Saturday, then Belgium's national day (Tuesday 21 July 2026).
        check(belgium, brussels, at("2026-06-06T10:00+02:00"), utc("2026-06-08T07:00"))
        check(belgium, brussels, at("2026-07-21T10:00+02:00"), utc("2026-07-22T07:00"))

    def test_recipients_own_country_holidays_when_none_configured(self) -> None:
        default = pack("default")
        berlin = Recipient("DE", ("Europe/Berlin",))
        # 3 October, German Unity Day (Saturday in 2026) -> Monday.
        check(default, berlin, at("2026-10-03T10:00+02:00"), utc("2026-10-05T06:00"))
        check(pack("default", {"holidays": False}), berlin, at("2026-10-03T10:00+02:00"), "allowed")

    def test_zones_that_never_overlap_are_denied(self) -> None:
        short = pack(
            "default", {"opens": "08:00", "closes": "10:00", "days": "Mon-Sun", "holidays": False}
        )
        apart = Recipient("ZZ", ("Europe/Paris", "Pacific/Honolulu"))
        check(short, apart, at("2026-06-02T12:00+02:00"), "denied")

    def test_unknown_time_zone_is_denied(self) -> None:
        check(pack("default"), Recipient("ZZ", ()), at("2026-06-02T12:00+02:00"), "denied")


class TestExemptions:
    @pytest.mark.parametrize("name", ["FR-strict", "FR-af2m-2024", "FR-af2m-2026", "US-TCPA"])
    def test_transactional_messages_are_exempt_from_hours(self, name: str) -> None:
        sunday_night = at("2026-05-03T03:00+02:00")
        decision = evaluate(pack(name), "transactional", FR, sunday_night)
        assert decision.allowed
        assert "exempt" in decision.reason

    def test_other_categories_are_not_exempt(self) -> None:
        sunday = at("2026-05-03T12:00+02:00")
        for category in ("marketing", "conversational", "promotional"):
            assert evaluate(STRICT, category, FR, sunday).held


class TestRecipients:
    def test_metropolitan_number_living_overseas_needs_both_zones(self) -> None:
        # A +33 number whose holder lives in Réunion (974): open in Paris and Réunion.
        expat = Recipient("FR", (PARIS,), "974")
        check(STRICT, expat, at("2026-06-02T08:30+02:00"), "allowed")  # 10:30 in Réunion
        # 08:30 Réunion is 06:30 Paris: held to 08:00 Paris.
        check(STRICT, expat, at("2026-06-02T08:30+04:00"), utc("2026-06-02T06:00"))
        # Réunion's calendar applies (20 December 2025, Saturday).
        check(STRICT, expat, at("2025-12-20T10:00+01:00"), utc("2025-12-22T07:00"))

    def test_overseas_zone_when_the_number_gives_none(self) -> None:
        check(STRICT, Recipient("RE", ()), at("2026-06-02T07:59+04:00"), utc("2026-06-02T04:00"))

    def test_us_state_from_area_code(self) -> None:
        assert us("305").subdivision == "FL"
        assert us("203").subdivision == "CT"
        assert us("410").subdivision == "MD"
        assert us("405").subdivision == "OK"
        assert us("206").subdivision == "WA"
        assert us("212").subdivision == "NY"
        assert us("415").subdivision == "CA"
        assert us("415").timezones == ("America/Los_Angeles",)
        assert recipient_for_phone("+14155550123", "NV").subdivision == "NV"

    def test_overseas_numbers_get_their_own_zone(self) -> None:
        assert REUNION.country == "RE"
        assert REUNION.timezones == ("Indian/Reunion",)
        assert MAYOTTE.timezones == ("Indian/Mayotte",)
        assert GUADELOUPE.timezones == ("America/Guadeloupe",)

    def test_unknown_time_zone_is_refused(self) -> None:
        with pytest.raises(UnknownTimezone, match="Mars/Olympus"):
            Recipient("FR", ("Mars/Olympus",))

    def test_bad_country_is_refused(self) -> None:
        with pytest.raises(ValueError, match="two-letter"):
            Recipient("France", (PARIS,))

    def test_naive_now_is_refused(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            evaluate(STRICT, "marketing", FR, datetime(2026, 6, 2, 12))


class TestRegistry:
    def test_known_packs(self) -> None:
        assert set(known_packs()) == {
            "FR-strict",
            "FR-af2m-2024",
            "FR-af2m-2026",
            "US-TCPA",
            "default",
        }
        assert DEFAULT_PACK == "FR-strict"
        assert pack().name == "FR-strict"

    @pytest.mark.parametrize(
        "name", ["FR-strict", "FR-af2m-2024", "FR-af2m-2026", "US-TCPA", "default"]
    )
    def test_every_pack_is_versioned_and_dated(self, name: str) -> None:
        rule_pack = pack(name)
        assert rule_pack.name == name
        assert rule_pack.version
        assert isinstance(rule_pack.effective_from, date)
        assert rule_pack.source

    def test_af2m_dates(self) -> None:
        assert pack("FR-af2m-2024").effective_from == date(2024, 9, 1)
        assert pack("FR-af2m-2026").effective_from == date(2026, 2, 17)

    def test_unknown_pack_lists_the_known_ones(self) -> None:
        with pytest.raises(UnknownRulePack, match=r"'FR-lax'.*FR-strict, FR-af2m-2024"):
            pack("FR-lax")

    @pytest.mark.parametrize(
        ("name", "options", "message"),
        [
            ("FR-strict", {"sundays": True}, "takes no options"),
            ("FR-af2m-2026", {"sunday": True}, "does not take sunday"),
            ("FR-af2m-2026", {"sundays": "yes"}, "true or false"),
            ("default", {"opens": "8h"}, "HH:MM"),
            ("default", {"opens": "20:00", "closes": "08:00"}, "before closes"),
            ("default", {"days": ["Mon", "Funday"]}, "unknown day"),
            ("default", {"days": []}, "non-empty"),
            ("default", {"days": "Fri-Mon"}, "runs backwards"),
            ("default", {"days": "Monday-Friyay"}, "unknown day"),
            ("default", {"holiday_country": "XX"}, "holidays package"),
        ],
    )
    def test_bad_options_are_refused(
        self, name: str, options: dict[str, object], message: str
    ) -> None:
        with pytest.raises(InvalidPackOptions, match=message):
            pack(name, options)

    def test_pack_for_picks_the_first_covering_pack(self) -> None:
        packs = (pack("FR-strict"), pack("US-TCPA"), pack("default"))
        assert pack_for("FR", packs) is packs[0]
        assert pack_for("RE", packs) is packs[0]
        assert pack_for("US", packs) is packs[1]
        assert pack_for("PR", packs) is packs[1]
        assert pack_for("DE", packs) is packs[2]
        assert pack_for("DE", packs[:2]) is None


def test_held_reason_names_the_cause_and_the_opening() -> None:
    decision = evaluate(STRICT, "marketing", FR, at("2026-05-01T10:00+02:00"))
    assert "FR-strict v1" in decision.reason
    assert "public holiday" in decision.reason
    assert "2026-05-02 08:00" in decision.reason
    assert decision.held_until == datetime(2026, 5, 2, 6, tzinfo=UTC)
    assert decision.held_until - at("2026-05-01T10:00+02:00") == timedelta(hours=22)
