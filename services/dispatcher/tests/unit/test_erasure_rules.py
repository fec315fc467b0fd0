"""An erased number's kept opt-outs over the consent projection: the newest fact wins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from herald_dispatcher.domain.erasure import with_kept_optouts

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
MARKETING = ("marketing", "default")


def test_a_kept_opt_out_counts_where_the_number_has_no_row() -> None:
    assert with_kept_optouts({}, {}, [("marketing", "default", T0)]) == {MARKETING: "opted_out"}


def test_consent_given_after_the_opt_out_wins() -> None:
    later = T0 + timedelta(days=1)
    merged = with_kept_optouts({MARKETING: "opted_in"}, {MARKETING: later}, [(*MARKETING, T0)])
    assert merged == {MARKETING: "opted_in"}


def test_an_older_fact_and_a_tie_lose_to_the_opt_out() -> None:
    for at in (T0 - timedelta(seconds=1), T0):
        merged = with_kept_optouts({MARKETING: "opted_in"}, {MARKETING: at}, [(*MARKETING, T0)])
        assert merged == {MARKETING: "opted_out"}


def test_other_purposes_and_brands_are_left_as_they_are() -> None:
    statuses = {("marketing", "acme"): "opted_in", ("transactional", "*"): "opted_in"}
    updated = dict.fromkeys(statuses, T0)
    merged = with_kept_optouts(statuses, updated, [("marketing", "*", T0)])
    assert merged == {**statuses, ("marketing", "*"): "opted_out"}
