"""A message's delivery state from its parts' receipts: pure rules, no IO.

- A part's final status is never replaced: not by a later non-final receipt, not by a
  duplicate, not by a contradicting final one (the first final word stands).
- A message is `delivered` only when every part is; one failed part makes the whole
  message that failure (final at once: it can no longer be delivered whole).
- Otherwise the message stays `unknown` and not final.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from herald_receipts.domain.receipt_status import DeliveryStatus, ReceiptStatus, is_failure


@dataclass(frozen=True)
class PartState:
    status: DeliveryStatus
    final: bool
    reported: bool
    error_code: str | None = None


@dataclass(frozen=True)
class MessageState:
    status: DeliveryStatus
    final: bool
    parts_total: int
    parts_delivered: int
    parts_reported: int
    error_code: str | None = None


NOT_REPORTED = PartState(status="unknown", final=False, reported=False)


def apply_receipt(
    current: PartState, receipt: ReceiptStatus, error_code: str | None
) -> PartState | None:
    """The part's state after a receipt, or None when the receipt changes nothing."""
    if current.final:
        return None
    after = PartState(
        status=receipt.status,
        final=receipt.final,
        reported=True,
        error_code=error_code if is_failure(receipt.status) else None,
    )
    return None if after == current else after


def message_state(parts: Sequence[PartState], parts_total: int) -> MessageState:
    """The message-level state of `parts` (those not yet submitted count as not reported)."""
    delivered = sum(1 for p in parts if p.final and p.status == "delivered")
    reported = sum(1 for p in parts if p.reported)
    failed = [p for p in parts if p.final and is_failure(p.status)]
    if failed:
        first = failed[0]
        return MessageState(first.status, True, parts_total, delivered, reported, first.error_code)
    if parts_total > 0 and delivered == parts_total:
        return MessageState("delivered", True, parts_total, delivered, reported)
    if parts_total > 0 and all(p.final for p in parts) and len(parts) == parts_total:
        # every part is final, none failed, not all delivered: the SMSC dropped some (DELETED)
        return MessageState("unknown", True, parts_total, delivered, reported)
    return MessageState("unknown", False, parts_total, delivered, reported)
