"""Events produced by the campaigns service."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from herald_events.models.common import E164, Category, Payload


class CampaignScheduledV1(Payload):
    """A campaign's launch plan. `audience_size` is known once expansion ends (then sent
    again on `campaign.updated` with state `running`)."""

    campaign_id: uuid.UUID
    name: str
    category: Category
    brand: str = "default"
    sender: str
    audience_size: int | None = None
    launched_at: datetime
    expires_at: datetime
    rate_per_second: int | None = None


class CampaignState(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


class CampaignUpdatedV1(Payload):
    """A campaign changed state: the dispatcher obeys pause / cancel within a second."""

    campaign_id: uuid.UUID
    state: CampaignState
    audience_size: int | None = None
    changed_at: datetime


class SmsPriority(StrEnum):
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


class CapPolicy(StrEnum):
    """What the dispatcher does with a message a frequency cap stops: hold it until the cap
    allows it (`postpone`) or suppress it (`skip`, reason `frequency_cap`)."""

    POSTPONE = "postpone"
    SKIP = "skip"


class SmsRequestedV1(Payload):
    """One message to send. `message_id` is deterministic, so re-expansion cannot duplicate.

    `reply_kind` is set on the one automatic answer receipts sends to a handset's keyword
    (`optout_confirmation`, `help`), `in_reply_to` naming the handset's message
    (`sms.inbound`'s `inbound_id`): a transactional message with no marketing in it. The
    consent service's double opt-in request is `double_opt_in` (no `in_reply_to`).
    `cap_policy` is the campaign's answer to a frequency cap (default `postpone`)."""

    message_id: uuid.UUID
    phone: E164
    text: str
    category: Category
    brand: str = "default"
    sender: str
    campaign_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    variant: str | None = None
    not_before: datetime | None = None
    expires_at: datetime
    priority: SmsPriority = SmsPriority.NORMAL
    reply_kind: str | None = None
    in_reply_to: uuid.UUID | None = None
    cap_policy: CapPolicy = CapPolicy.POSTPONE


class LinkClickedV1(Payload):
    """A recipient followed a short link. `contact_id` comes from the message's
    `sms.requested` (None when the message was not sent to a contact)."""

    message_id: uuid.UUID
    campaign_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    link_token: str
    bot: bool = False
    clicked_at: datetime
