"""Pure analytics rules: which fact wins, what the figures mean, which days a report covers."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime, timedelta, timezone
from functools import reduce

import pytest
from hypothesis import given
from hypothesis import strategies as st

from herald_analytics.domain.engagement import (
    MAX_DAYS,
    DayCounts,
    InvalidRange,
    day_of,
    fill_days,
    resolve_range,
)
from herald_analytics.domain.kpis import SUPPRESSION_REASONS, delivery_rate, latest
from herald_analytics.domain.precedence import (
    DeliveryReport,
    StateChange,
    delivery_supersedes,
    state_supersedes,
)

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def _t(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _fold_delivery(reports: tuple[DeliveryReport, ...]) -> DeliveryReport | None:
    def step(current: DeliveryReport | None, new: DeliveryReport) -> DeliveryReport | None:
        return new if delivery_supersedes(new, current) else current

    return reduce(step, reports, None)


def _fold_state(changes: tuple[StateChange, ...]) -> StateChange | None:
    def step(current: StateChange | None, new: StateChange) -> StateChange | None:
        return new if state_supersedes(new, current) else current

    return reduce(step, changes, None)


class TestDeliveryPrecedence:
    def test_a_final_status_never_regresses_to_a_later_non_final_one(self) -> None:
        final = DeliveryReport("delivered", True, _t(5))
        late_interim = DeliveryReport("unknown", False, _t(60))
        assert not delivery_supersedes(late_interim, final)

    def test_a_final_status_replaces_an_interim_one(self) -> None:
        interim = DeliveryReport("delivered", False, _t(9))
        assert delivery_supersedes(DeliveryReport("undelivered", True, _t(5)), interim)

    def test_a_real_outcome_replaces_a_final_unknown_but_not_the_reverse(self) -> None:
        unknown = DeliveryReport("unknown", True, _t(100))
        late_receipt = DeliveryReport("delivered", True, _t(50))
        assert delivery_supersedes(late_receipt, unknown)
        assert not delivery_supersedes(unknown, late_receipt)

    def test_the_same_report_twice_changes_nothing(self) -> None:
        report = DeliveryReport("delivered", True, _t(5))
        assert not delivery_supersedes(report, report)

    def test_any_arrival_order_ends_in_the_same_status(self) -> None:
        reports = (
            DeliveryReport("delivered", False, _t(3)),
            DeliveryReport("unknown", False, _t(4)),
            DeliveryReport("delivered", True, _t(5)),
            DeliveryReport("unknown", True, _t(90)),
        )
        outcomes = {_fold_delivery(order) for order in itertools.permutations(reports)}
        assert outcomes == {DeliveryReport("delivered", True, _t(5))}

    @given(
        st.lists(
            st.tuples(
                st.sampled_from(["delivered", "undelivered", "expired", "rejected", "unknown"]),
                st.booleans(),
                st.integers(min_value=0, max_value=100),
            ),
            min_size=1,
            max_size=6,
        ),
        st.randoms(use_true_random=False),
    )
    def test_the_outcome_does_not_depend_on_the_order(
        self, raw: list[tuple[str, bool, int]], rng: random.Random
    ) -> None:
        reports = tuple(DeliveryReport(status, final, _t(s)) for status, final, s in raw)
        shuffled = list(reports)
        rng.shuffle(shuffled)
        assert _fold_delivery(reports) == _fold_delivery(tuple(shuffled))


class TestStatePrecedence:
    def test_a_late_scheduled_does_not_undo_a_completion(self) -> None:
        completed = StateChange("completed", _t(600))
        assert not state_supersedes(StateChange("scheduled", _t(0)), completed)

    def test_pause_and_resume_follow_their_event_time(self) -> None:
        paused = StateChange("paused", _t(60))
        resumed = StateChange("running", _t(120))
        assert state_supersedes(resumed, paused)
        assert not state_supersedes(paused, resumed)

    def test_a_terminal_state_is_not_replaced_by_a_later_pause(self) -> None:
        assert not state_supersedes(
            StateChange("paused", _t(900)), StateChange("cancelled", _t(600))
        )

    def test_any_arrival_order_ends_in_the_same_state(self) -> None:
        changes = (
            StateChange("scheduled", _t(0)),
            StateChange("running", _t(10)),
            StateChange("paused", _t(20)),
            StateChange("running", _t(30)),
            StateChange("completed", _t(40)),
        )
        outcomes = {_fold_state(order) for order in itertools.permutations(changes)}
        assert outcomes == {StateChange("completed", _t(40))}


class TestKpis:
    def test_no_rate_before_anything_was_submitted(self) -> None:
        assert delivery_rate(0, 0) is None

    def test_rate_is_delivered_over_submitted_rounded(self) -> None:
        assert delivery_rate(2, 3) == 0.6667
        assert delivery_rate(3, 3) == 1.0

    def test_every_suppression_reason_is_reported(self) -> None:
        assert "no_consent" in SUPPRESSION_REASONS
        assert "campaign_cancelled" in SUPPRESSION_REASONS

    def test_latest_ignores_unknown_moments(self) -> None:
        assert latest(None, _t(1), _t(3), None) == _t(3)
        assert latest(None, None) is None


class TestEngagementDays:
    def test_days_are_utc_days(self) -> None:
        paris_evening = datetime(2026, 11, 24, 0, 30, tzinfo=timezone(timedelta(hours=2)))
        assert day_of(paris_evening) == date(2026, 11, 23)

    def test_default_range_is_the_last_thirty_days(self) -> None:
        today = date(2026, 11, 24)
        assert resolve_range(None, None, today) == (date(2026, 10, 26), today)

    def test_from_alone_gives_thirty_days_from_it(self) -> None:
        start = date(2026, 1, 1)
        assert resolve_range(start, None, date(2026, 11, 24)) == (start, date(2026, 1, 30))

    def test_to_before_from_is_refused_naming_the_field(self) -> None:
        with pytest.raises(InvalidRange, match=r"^to: "):
            resolve_range(date(2026, 2, 1), date(2026, 1, 1), date(2026, 11, 24))

    def test_a_range_longer_than_a_year_is_refused(self) -> None:
        start = date(2025, 1, 1)
        with pytest.raises(InvalidRange, match=str(MAX_DAYS)):
            resolve_range(start, start + timedelta(days=MAX_DAYS), date(2026, 11, 24))
        assert resolve_range(start, start + timedelta(days=MAX_DAYS - 1), date(2026, 11, 24))

    def test_every_day_is_listed_zero_where_nothing_happened(self) -> None:
        start = date(2026, 11, 1)
        rows = [(date(2026, 11, 2), "inbound", 4), (date(2026, 11, 2), "optout", 1)]
        assert fill_days(start, date(2026, 11, 3), rows) == [
            DayCounts(date(2026, 11, 1)),
            DayCounts(date(2026, 11, 2), inbound=4, optout=1),
            DayCounts(date(2026, 11, 3)),
        ]
