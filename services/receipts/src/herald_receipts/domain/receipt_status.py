"""Receipt states (SMPP 3.4 `stat:` / message_state) -> the delivery status Herald reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

DeliveryStatus = Literal["delivered", "undelivered", "expired", "rejected", "unknown"]
FAILURES: Final[frozenset[str]] = frozenset({"undelivered", "expired", "rejected"})


@dataclass(frozen=True)
class ReceiptStatus:
    status: DeliveryStatus
    final: bool


DELIVERED: Final = ReceiptStatus("delivered", True)
UNDELIVERED: Final = ReceiptStatus("undelivered", True)
EXPIRED: Final = ReceiptStatus("expired", True)
REJECTED: Final = ReceiptStatus("rejected", True)
PENDING: Final = ReceiptStatus("unknown", False)
GONE: Final = ReceiptStatus("unknown", True)

# The SMPP spellings first, then the long forms some HTTP providers and SMSCs use.
_BY_STAT: Final[dict[str, ReceiptStatus]] = {
    "DELIVRD": DELIVERED,
    "UNDELIV": UNDELIVERED,
    "EXPIRED": EXPIRED,
    "REJECTD": REJECTED,
    # DELETED is final in SMPP (the SMSC dropped the message) but says nothing of the handset.
    "DELETED": GONE,
    # In transit, accepted, or an SMSC that does not know yet: a later receipt may decide.
    "ENROUTE": PENDING,
    "ACCEPTD": PENDING,
    "UNKNOWN": PENDING,
    "DELIVERED": DELIVERED,
    "UNDELIVERED": UNDELIVERED,
    "UNDELIVERABLE": UNDELIVERED,
    "FAILED": UNDELIVERED,
    "REJECTED": REJECTED,
    "ACCEPTED": PENDING,
}


def from_receipt(stat: str | None) -> ReceiptStatus:
    """The status a receipt reports; anything unrecognised is `unknown` and not final."""
    if stat is None:
        return PENDING
    return _BY_STAT.get(stat.strip().upper(), PENDING)


def is_failure(status: str) -> bool:
    return status in FAILURES


def as_status(value: str) -> DeliveryStatus:
    """A stored status string back to its literal type."""
    for known in ("delivered", "undelivered", "expired", "rejected", "unknown"):
        if value == known:
            return known
    raise ValueError(f"unknown delivery status {value!r}")
