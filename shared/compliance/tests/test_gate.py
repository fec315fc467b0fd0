"""The final gate, table-driven."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from herald_compliance import gate
from herald_compliance.gate import ConsentView, Decision, GateInput, decide
from herald_events.models.dispatcher import SuppressionReason

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)

IN = "opted_in"
OUT = "opted_out"


def consent(**rows: str) -> ConsentView:
    """`consent(marketing__acme="opted_in", transactional__ALL="opted_out")`."""
    statuses = {}
    for key, status in rows.items():
        purpose, brand = key.split("__")
        statuses[(purpose, "*" if brand == "ALL" else brand)] = status
    return ConsentView(statuses)


SEND = Decision("send")
HOLD = Decision("hold")


def suppress(reason: str) -> Decision:
    return Decision("suppress", reason)


CASES = [
    # (id, category, consent, campaign_state, expires_at, expected)
    (
        "marketing opted in for the brand",
        "marketing",
        consent(marketing__acme=IN),
        None,
        LATER,
        SEND,
    ),
    (
        "marketing opted in for every brand",
        "marketing",
        consent(marketing__ALL=IN),
        None,
        LATER,
        SEND,
    ),
    ("marketing without any consent", "marketing", consent(), None, LATER, suppress("no_consent")),
    (
        "marketing opted in for another brand",
        "marketing",
        consent(marketing__other=IN),
        None,
        LATER,
        suppress("no_consent"),
    ),
    (
        "marketing with only a transactional opt-in",
        "marketing",
        consent(transactional__acme=IN),
        None,
        LATER,
        suppress("no_consent"),
    ),
    (
        "marketing opted out for the brand",
        "marketing",
        consent(marketing__acme=OUT),
        None,
        LATER,
        suppress("opted_out"),
    ),
    (
        "marketing opted in for the brand, out for every brand",
        "marketing",
        consent(marketing__acme=IN, marketing__ALL=OUT),
        None,
        LATER,
        suppress("opted_out"),
    ),
    (
        "marketing opted in for every brand, out for the brand",
        "marketing",
        consent(marketing__ALL=IN, marketing__acme=OUT),
        None,
        LATER,
        suppress("opted_out"),
    ),
    (
        "marketing opted out of another brand only",
        "marketing",
        consent(marketing__acme=IN, marketing__other=OUT),
        None,
        LATER,
        SEND,
    ),
    ("transactional needs no opt-in", "transactional", consent(), None, LATER, SEND),
    (
        "transactional after a marketing opt-out",
        "transactional",
        consent(marketing__ALL=OUT),
        None,
        LATER,
        SEND,
    ),
    (
        "transactional after a global opt-out",
        "transactional",
        consent(transactional__ALL=OUT),
        None,
        LATER,
        suppress("opted_out"),
    ),
    (
        "transactional after a brand opt-out",
        "transactional",
        consent(transactional__acme=OUT),
        None,
        LATER,
        suppress("opted_out"),
    ),
    ("expired exactly now", "transactional", consent(), None, NOW, suppress("window_expired")),
    (
        "expired before now",
        "marketing",
        consent(marketing__acme=IN),
        None,
        NOW - timedelta(seconds=1),
        suppress("window_expired"),
    ),
    (
        "cancelled campaign",
        "marketing",
        consent(marketing__acme=IN),
        "cancelled",
        LATER,
        suppress("campaign_cancelled"),
    ),
    (
        "cancelled wins over expiry",
        "marketing",
        consent(),
        "cancelled",
        NOW,
        suppress("campaign_cancelled"),
    ),
    ("paused campaign holds", "marketing", consent(marketing__acme=IN), "paused", LATER, HOLD),
    (
        "paused campaign holds even without consent yet",
        "marketing",
        consent(),
        "paused",
        LATER,
        HOLD,
    ),
    (
        "expiry wins over a pause",
        "marketing",
        consent(marketing__acme=IN),
        "paused",
        NOW,
        suppress("window_expired"),
    ),
    ("running campaign sends", "marketing", consent(marketing__acme=IN), "running", LATER, SEND),
    (
        "completed campaign still sends what is queued",
        "marketing",
        consent(marketing__acme=IN),
        "completed",
        LATER,
        SEND,
    ),
]


class TestDecide:
    @pytest.mark.parametrize(
        ("category", "view", "campaign_state", "expires_at", "expected"),
        [case[1:] for case in CASES],
        ids=[case[0] for case in CASES],
    )
    def test_table(
        self,
        category: str,
        view: ConsentView,
        campaign_state: str | None,
        expires_at: datetime,
        expected: Decision,
    ) -> None:
        message = GateInput(category=category, brand="acme", expires_at=expires_at)
        assert decide(message, view, campaign_state, NOW) == expected

    def test_reasons_are_the_event_contract_values(self) -> None:
        values = {reason.value for reason in SuppressionReason}
        for reason in (
            gate.NO_CONSENT,
            gate.OPTED_OUT_REASON,
            gate.WINDOW_EXPIRED,
            gate.CAMPAIGN_CANCELLED,
        ):
            assert reason in values
