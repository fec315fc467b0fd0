"""Frequency caps over rolling windows: boundaries, priorities, postpone or skip, the
same-subject rule (Florida, Oklahoma, Maryland), and caps together with the hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from herald_compliance.frequency_caps import Cap, PreviousSend, cap_opens_at, check_caps
from herald_compliance.rule_packs import Recipient, pack, recipient_for_phone
from herald_compliance.send_rules import decide_send

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
PER_DAY = Cap("marketing", 1, DAY, hard=False)
PER_MONTH = Cap("marketing", 4, timedelta(days=30), hard=False)
PROMO = (PER_MONTH, PER_DAY)


def sent(
    *ago: timedelta, category: str = "marketing", subject: str | None = None
) -> list[PreviousSend]:
    return [PreviousSend(NOW - delta, category, subject) for delta in ago]


class TestRollingWindows:
    def test_no_history(self) -> None:
        assert check_caps(PROMO, "marketing", [], NOW).allowed

    def test_a_send_exactly_one_window_ago_has_left_it(self) -> None:
        assert check_caps(PROMO, "marketing", sent(DAY), NOW).allowed

    def test_a_send_a_minute_inside_the_window_holds_until_it_leaves(self) -> None:
        decision = check_caps(PROMO, "marketing", sent(DAY - timedelta(minutes=1)), NOW)
        assert decision.held
        assert decision.held_until == NOW + timedelta(minutes=1)
        assert "marketing ≤ 1 per 24 h" in decision.reason

    def test_monthly_budget(self) -> None:
        history = sent(*(timedelta(days=d) for d in (2, 5, 9, 29)))
        decision = check_caps(PROMO, "marketing", history, NOW)
        assert decision.held
        # The oldest of the four leaves the 30-day window one day from now.
        assert decision.held_until == NOW + DAY
        assert "marketing ≤ 4 per 30 days" in decision.reason

    def test_three_over_a_limit_of_one_waits_for_the_newest(self) -> None:
        cap = Cap("marketing", 1, DAY)
        history = sent(timedelta(hours=20), timedelta(hours=10), timedelta(hours=2))
        assert cap_opens_at(cap, "marketing", history, NOW) == NOW + timedelta(hours=22)

    def test_the_latest_cap_decides(self) -> None:
        history = sent(*(timedelta(days=d) for d in (0.5, 5, 9, 29)))
        decision = check_caps(PROMO, "marketing", history, NOW)
        assert decision.held_until == NOW + DAY  # the 30-day cap; the 24 h one opens sooner

    def test_other_categories_do_not_count(self) -> None:
        history = sent(timedelta(hours=1), category="transactional")
        assert check_caps(PROMO, "marketing", history, NOW).allowed
        assert check_caps(PROMO, "transactional", sent(timedelta(hours=1)), NOW).allowed

    def test_any_category_cap(self) -> None:
        cap = Cap("*", 2, DAY)
        history = sent(timedelta(hours=1)) + sent(timedelta(hours=2), category="transactional")
        assert check_caps([cap], "marketing", history, NOW).held

    def test_future_sends_count_as_now(self) -> None:
        decision = check_caps(PROMO, "marketing", sent(-timedelta(minutes=5)), NOW)
        assert decision.held_until == NOW + DAY


class TestPolicyAndPriority:
    def test_skip_denies_with_the_cap(self) -> None:
        decision = check_caps(PROMO, "marketing", sent(timedelta(hours=1)), NOW, policy="skip")
        assert decision.denied
        assert "marketing ≤ 1 per 24 h" in decision.reason
        assert decision.held_until is None

    def test_high_priority_passes_soft_caps(self) -> None:
        history = sent(timedelta(hours=1))
        assert check_caps(PROMO, "marketing", history, NOW, priority="high").allowed
        assert check_caps(PROMO, "marketing", history, NOW, priority="low").held

    def test_high_priority_never_passes_hard_caps(self) -> None:
        hard = Cap("marketing", 1, DAY, hard=True)
        assert check_caps([hard], "marketing", sent(timedelta(hours=1)), NOW, priority="high").held

    @pytest.mark.parametrize(
        ("limit", "window"), [(0, DAY), (-1, DAY), (1, timedelta(0)), (1, -DAY)]
    )
    def test_invalid_caps_are_refused(self, limit: int, window: timedelta) -> None:
        with pytest.raises(ValueError, match="cap"):
            Cap("marketing", limit, window)

    def test_naive_now_is_refused(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            check_caps(PROMO, "marketing", [], datetime(2026, 6, 10, 12))


FLORIDA = recipient_for_phone("+13055550123")
NEW_YORK = recipient_for_phone("+12125550123")
TCPA = pack("US-TCPA")


class TestSameSubject:
    def test_florida_oklahoma_maryland_add_the_cap(self) -> None:
        for area_code in ("305", "405", "410"):
            recipient = recipient_for_phone(f"+1{area_code}5550123")
            (cap,) = TCPA.caps_for(recipient, "marketing")
            assert (cap.limit, cap.window, cap.same_subject, cap.hard) == (3, DAY, True, True)
        assert TCPA.caps_for(NEW_YORK, "marketing") == ()
        assert TCPA.caps_for(recipient_for_phone("+12065550123"), "marketing") == ()
        assert TCPA.caps_for(FLORIDA, "transactional") == ()
        # State unknown: the strictest rules.
        assert len(TCPA.caps_for(Recipient("US", ("America/New_York",)), "marketing")) == 1
        assert pack("FR-strict").caps_for(Recipient("FR", ("Europe/Paris",)), "marketing") == ()

    def test_three_on_the_same_subject_hold_the_fourth(self) -> None:
        caps = TCPA.caps_for(FLORIDA, "marketing")
        hours = (timedelta(hours=h) for h in (23, 5, 1))
        history = sent(*hours, subject="spring-sale")
        decision = check_caps(caps, "marketing", history, NOW, subject="spring-sale")
        assert decision.held_until == NOW + timedelta(hours=1)
        assert check_caps(caps, "marketing", history, NOW, subject="new-store").allowed
        # A message without a subject may be on any subject: it counts them all.
        assert check_caps(caps, "marketing", history, NOW).held
        untagged = sent(timedelta(hours=23), timedelta(hours=5), timedelta(hours=1))
        assert check_caps(caps, "marketing", untagged, NOW, subject="new-store").held


class TestDecideSend:
    def test_allowed_when_hours_and_caps_allow(self) -> None:
        decision = decide_send(TCPA, "marketing", NEW_YORK, NOW, caps=PROMO)
        assert decision.allowed  # 08:00 in New York

    def test_hours_then_caps(self) -> None:
        # 07:00 in Miami, a message of the same subject sent at 09:30 yesterday and two more.
        now = datetime(2026, 6, 10, 11, 0, tzinfo=UTC)
        history = [
            PreviousSend(datetime(2026, 6, 9, 13, 30, tzinfo=UTC), "marketing", "sale"),
            PreviousSend(datetime(2026, 6, 9, 14, 0, tzinfo=UTC), "marketing", "sale"),
            PreviousSend(datetime(2026, 6, 9, 15, 0, tzinfo=UTC), "marketing", "sale"),
        ]
        decision = decide_send(TCPA, "marketing", FLORIDA, now, history=history, subject="sale")
        assert decision.held
        # Hours open at 08:00 (12:00Z); Florida's cap then until 09:30 (13:30Z).
        assert decision.held_until == datetime(2026, 6, 10, 13, 30, tzinfo=UTC)
        assert decision.rule == "US-TCPA"

    def test_caps_then_hours(self) -> None:
        # Held by the daily cap until 21:30 in Paris, after FR-strict closes: next morning.
        france = Recipient("FR", ("Europe/Paris",))
        now = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)  # Wednesday 14:00 in Paris
        history = [PreviousSend(datetime(2026, 6, 9, 19, 30, tzinfo=UTC), "marketing")]
        decision = decide_send(
            pack("FR-strict"), "marketing", france, now, caps=PROMO, history=history
        )
        assert decision.held
        assert decision.held_until == datetime(2026, 6, 11, 6, 0, tzinfo=UTC)
        assert decision.rule == "frequency caps"

    def test_skip_denies(self) -> None:
        france = Recipient("FR", ("Europe/Paris",))
        history = [PreviousSend(NOW - timedelta(hours=1), "marketing")]
        decision = decide_send(
            pack("FR-strict"), "marketing", france, NOW, caps=PROMO, history=history, policy="skip"
        )
        assert decision.denied

    def test_pack_denial_wins(self) -> None:
        decision = decide_send(pack("FR-strict"), "marketing", NEW_YORK, NOW, caps=PROMO)
        assert decision.denied
        assert "does not cover" in decision.reason

    def test_transactional_is_exempt_from_hours_not_from_its_caps(self) -> None:
        sunday_night = datetime(2026, 6, 7, 1, 0, tzinfo=UTC)
        france = Recipient("FR", ("Europe/Paris",))
        strict = pack("FR-strict")
        assert decide_send(strict, "transactional", france, sunday_night, caps=PROMO).allowed
        otp = Cap("transactional", 5, timedelta(hours=1))
        history = [
            PreviousSend(sunday_night - timedelta(minutes=m), "transactional") for m in range(5)
        ]
        assert decide_send(
            strict, "transactional", france, sunday_night, caps=[otp], history=history
        ).held


def _reference_allows(caps: tuple[Cap, ...], history: list[PreviousSend], at: datetime) -> bool:
    """Counted directly: fewer than `limit` sends in (at - window, at] for every cap."""
    return all(
        sum(1 for s in history if at - cap.window < min(s.at, NOW) <= at) < cap.limit
        for cap in caps
    )


@settings(max_examples=200, deadline=None)
@given(
    ages=st.lists(st.integers(min_value=-10, max_value=60 * 24 * 40), max_size=12),
    limits=st.tuples(st.integers(1, 5), st.integers(1, 3)),
)
def test_postponed_until_the_first_minute_the_caps_allow(
    ages: list[int], limits: tuple[int, int]
) -> None:
    caps = (
        Cap("marketing", limits[0], timedelta(days=30)),
        Cap("marketing", limits[1], timedelta(hours=24)),
    )
    history = sent(*(timedelta(minutes=age) for age in ages))
    decision = check_caps(caps, "marketing", history, NOW)
    assert decision.allowed == _reference_allows(caps, history, NOW)
    if decision.held:
        assert decision.held_until is not None
        assert _reference_allows(caps, history, decision.held_until)
        assert not _reference_allows(caps, history, decision.held_until - timedelta(minutes=1))
