"""What happened to one message handed to a gateway."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class OutcomeKind(StrEnum):
    SUBMITTED = "submitted"  # every part accepted
    THROTTLED = "throttled"  # rejected for now, safe to retry until expiry
    TRANSIENT = "transient"  # rejected by an error that may pass: a few retries
    NOT_SENT = "not_sent"  # never left (no bind): back to the queue, no attempt counted
    FAILED = "failed"  # permanent rejection
    IN_DOUBT = "in_doubt"  # written, never answered: not re-sent automatically
    WITHHELD = "withheld"  # a STOP arrived after the claim: back to the gate, nothing sent


@dataclass(frozen=True)
class SendOutcome:
    kind: OutcomeKind
    provider_message_ids: tuple[str, ...] = ()
    error_code: str | None = None
    reason: str | None = None
