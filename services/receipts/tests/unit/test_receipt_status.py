"""Receipt states to delivery statuses."""

from __future__ import annotations

import pytest

from herald_receipts.domain.receipt_status import ReceiptStatus, as_status, from_receipt


@pytest.mark.parametrize(
    ("stat", "status", "final"),
    [
        ("DELIVRD", "delivered", True),
        ("delivrd", "delivered", True),
        (" DELIVRD ", "delivered", True),
        ("UNDELIV", "undelivered", True),
        ("EXPIRED", "expired", True),
        ("REJECTD", "rejected", True),
        ("DELETED", "unknown", True),
        ("UNKNOWN", "unknown", False),
        ("ACCEPTD", "unknown", False),
        ("ENROUTE", "unknown", False),
        ("DELIVERED", "delivered", True),
        ("UNDELIVERABLE", "undelivered", True),
        ("REJECTED", "rejected", True),
        ("GIBBERISH", "unknown", False),
        ("", "unknown", False),
        (None, "unknown", False),
    ],
)
def test_mapping(stat: str | None, status: str, final: bool) -> None:
    assert from_receipt(stat) == ReceiptStatus(status, final)  # type: ignore[arg-type]


def test_stored_statuses_round_trip() -> None:
    for status in ("delivered", "undelivered", "expired", "rejected", "unknown"):
        assert as_status(status) == status
    with pytest.raises(ValueError, match="unknown delivery status"):
        as_status("sent")
