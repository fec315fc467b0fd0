"""The final gate: may this message leave now, must it wait, or must it never be sent?

Pure: the caller reads the facts (consent rows, campaign state, the clock) in the same
transaction that acts on the decision, and this function only decides. Campaigns runs the
same function before launch to preview who will be held or suppressed, and why.

Rules, in order (the first that applies decides):
1. the campaign was cancelled -> suppress `campaign_cancelled`;
2. the message's validity ended (`now >= expires_at`) -> suppress `window_expired`;
3. the campaign is paused -> hold (consent is evaluated again when it is released);
4. an opt-out for the message's purpose, for its brand or for every brand ('*') ->
   suppress `opted_out` (transactional messages too: never sent after an opt-out);
5. a marketing message needs an opt-in for marketing, for its brand or '*' -> otherwise
   suppress `no_consent` (transactional messages need no opt-in);
6. send.

Reasons are the values of `herald_events.models.dispatcher.SuppressionReason`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Literal

Outcome = Literal["send", "hold", "suppress"]
Category = Literal["marketing", "transactional"]

ANY_BRAND: Final = "*"
OPTED_IN: Final = "opted_in"
OPTED_OUT: Final = "opted_out"

NO_CONSENT: Final = "no_consent"
OPTED_OUT_REASON: Final = "opted_out"
WINDOW_EXPIRED: Final = "window_expired"
CAMPAIGN_CANCELLED: Final = "campaign_cancelled"

CAMPAIGN_PAUSED: Final = "paused"
CAMPAIGN_CANCELLED_STATE: Final = "cancelled"


@dataclass(frozen=True)
class GateInput:
    """What the gate needs to know about one message."""

    category: Category | str
    brand: str
    expires_at: datetime


@dataclass(frozen=True)
class ConsentView:
    """Current consent of one phone: `(purpose, brand) -> "opted_in" | "opted_out"`,
    where brand '*' stands for every brand."""

    statuses: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def status(self, purpose: str, brand: str) -> str | None:
        return self.statuses.get((purpose, brand))

    def any_is(self, purpose: str, brand: str, status: str) -> bool:
        return status in (self.status(purpose, brand), self.status(purpose, ANY_BRAND))


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reason: str | None = None


SEND: Final = Decision("send")
HOLD: Final = Decision("hold")


def decide(
    message: GateInput, consent: ConsentView, campaign_state: str | None, now: datetime
) -> Decision:
    """The decision for one message at `now` (timezone-aware datetimes)."""
    if campaign_state == CAMPAIGN_CANCELLED_STATE:
        return Decision("suppress", CAMPAIGN_CANCELLED)
    if now >= message.expires_at:
        return Decision("suppress", WINDOW_EXPIRED)
    if campaign_state == CAMPAIGN_PAUSED:
        return HOLD
    purpose = str(message.category)
    if consent.any_is(purpose, message.brand, OPTED_OUT):
        return Decision("suppress", OPTED_OUT_REASON)
    if purpose == "marketing" and not consent.any_is(purpose, message.brand, OPTED_IN):
        return Decision("suppress", NO_CONSENT)
    return SEND
