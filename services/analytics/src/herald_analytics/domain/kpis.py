"""Campaign figures from the per-message counts: what each number means."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from herald_events.models.dispatcher import SuppressionReason

# Every known suppression reason, reported even at zero so the response has a stable shape.
SUPPRESSION_REASONS: tuple[str, ...] = tuple(reason.value for reason in SuppressionReason)
RATE_DIGITS = 4


@dataclass(frozen=True)
class CampaignCounts:
    """Counts of a campaign's messages (one row of `message_fact` per message).

    - requested: an `sms.requested` was seen;
    - submitted: a gateway accepted it (`sms.submitted`), `segments` summed over those;
    - suppressed / failed: the dispatcher did not send it / the gateway refused it for good;
    - delivered, undelivered, expired, rejected, unknown: its *final* delivery status;
    - pending: submitted, not failed, and no final delivery status yet.
    """

    requested: int = 0
    submitted: int = 0
    suppressed: int = 0
    suppressed_by_reason: dict[str, int] = field(default_factory=dict)
    failed: int = 0
    delivered: int = 0
    undelivered: int = 0
    expired: int = 0
    rejected: int = 0
    unknown: int = 0
    pending: int = 0
    segments: int = 0
    last_change: datetime | None = None


def delivery_rate(delivered: int, submitted: int) -> float | None:
    """delivered / submitted, rounded; None while nothing was submitted. Events of one message
    may arrive out of order, so for a moment a receipt can be counted before its submission:
    the rate is reported as computed, never clamped, and settles once the streams caught up."""
    if submitted <= 0:
        return None
    return round(delivered / submitted, RATE_DIGITS)


def latest(*moments: datetime | None) -> datetime | None:
    known = [moment for moment in moments if moment is not None]
    return max(known) if known else None
