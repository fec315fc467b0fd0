"""Events produced by the receipts service."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from herald_events.models.common import E164, Payload


class DeliveryStatus(StrEnum):
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    EXPIRED = "expired"
    REJECTED = "rejected"
    UNKNOWN = "unknown"


class SmsDeliveredV1(Payload):
    """The delivery state of a message, from the operator's receipts. `phone` and
    `contact_id` are the submission's (None once the contact was erased, or unknown)."""

    message_id: uuid.UUID
    campaign_id: uuid.UUID | None = None
    phone: E164 | None = None
    contact_id: uuid.UUID | None = None
    status: DeliveryStatus
    final: bool
    parts_total: int = 1
    parts_reported: int = 1
    error_code: str | None = None
    reported_at: datetime


class KeywordKind(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    NONE = "none"


class OptoutScope(StrEnum):
    GLOBAL = "global"
    BRAND = "brand"


class SmsInboundV1(Payload):
    """A message a handset sent us, after keyword handling (herald_compliance.optout).

    `keyword` is `opt_out` for a keyword or a phrase read as an opt-out; a message queued for
    a person's review is `none` with `review` true. `matched` is the keyword or phrase that
    decided and `language` its language (both None for an ordinary message). For `opt_out`
    and `opt_in`, `scope` and `brand` say what the keyword covers (`global` with brand `*`,
    or `brand` with the brand of the short code written to); None when not given."""

    inbound_id: uuid.UUID
    phone: E164
    destination: str
    text: str
    keyword: KeywordKind
    received_at: datetime
    matched: str | None = None
    language: str | None = None
    review: bool = False
    scope: OptoutScope | None = None
    brand: str | None = None


class OptoutReceivedV1(Payload):
    """A recipient asked to stop: by keyword, or through the API. `source` is `keyword`, `phrase`
    (a sentence read as an opt-out) or `review` (a person decided on a queued message)."""

    phone: E164
    scope: OptoutScope = OptoutScope.GLOBAL
    brand: str = "default"
    source: str
    keyword: str | None = None
    inbound_id: uuid.UUID | None = None
    received_at: datetime
