"""Which claimed messages a STOP read on the bind keeps back (domain/recent_stops.py)."""

from __future__ import annotations

from herald_dispatcher.domain.recent_stops import RecentStops

WS, PHONE = "ws", "+33612345678"


def test_nothing_is_withheld_without_a_stop() -> None:
    assert not RecentStops().withholds(WS, PHONE, claimed_at=10.0)


def test_an_uncommitted_stop_withholds_every_claim() -> None:
    stops = RecentStops()
    stops.heard(WS, PHONE, at=5.0)
    assert stops.withholds(WS, PHONE, claimed_at=1.0)
    assert stops.withholds(WS, PHONE, claimed_at=9.0)  # the claim could not see it yet


def test_a_committed_stop_withholds_only_claims_that_began_before_the_commit() -> None:
    stops = RecentStops()
    stops.heard(WS, PHONE, at=5.0)
    stops.committed([(WS, PHONE)], at=6.0)
    assert stops.withholds(WS, PHONE, claimed_at=5.5)
    assert stops.withholds(WS, PHONE, claimed_at=6.0)
    # Claimed after the commit: the gate saw the opt-out (or a later START): its call.
    assert not stops.withholds(WS, PHONE, claimed_at=6.1)


def test_stops_are_per_workspace_and_number() -> None:
    stops = RecentStops()
    stops.heard(WS, PHONE, at=5.0)
    assert not stops.withholds("other", PHONE, claimed_at=1.0)
    assert not stops.withholds(WS, "+33612345679", claimed_at=1.0)


def test_a_second_stop_waits_for_its_own_commit() -> None:
    stops = RecentStops()
    stops.heard(WS, PHONE, at=5.0)
    stops.committed([(WS, PHONE)], at=6.0)
    stops.heard(WS, PHONE, at=20.0)
    assert stops.withholds(WS, PHONE, claimed_at=10.0)
    stops.committed([(WS, PHONE)], at=21.0)
    assert not stops.withholds(WS, PHONE, claimed_at=22.0)


def test_a_commit_older_than_the_stop_does_not_count() -> None:
    stops = RecentStops()
    stops.heard(WS, PHONE, at=5.0)
    stops.committed([(WS, PHONE)], at=4.0)  # a batch that committed before this STOP was read
    assert stops.withholds(WS, PHONE, claimed_at=30.0)


def test_prune_forgets_old_stops_only() -> None:
    stops = RecentStops(keep_committed_s=60, keep_uncommitted_s=120)
    stops.heard(WS, "+33600000001", at=0.0)
    stops.committed([(WS, "+33600000001")], at=1.0)
    stops.heard(WS, "+33600000002", at=0.0)  # never committed
    stops.heard(WS, "+33600000003", at=100.0)
    stops.prune(now=100.0)
    assert len(stops) == 2
    stops.prune(now=200.0)
    assert len(stops) == 1
    assert stops.withholds(WS, "+33600000003", claimed_at=150.0)
