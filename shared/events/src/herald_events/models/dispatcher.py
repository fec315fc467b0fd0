"""Events produced by the dispatcher."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import Field

from herald_events.models.common import E164, Category, Payload


class SmsSubmittedV1(Payload):
    """The gateway accepted every part of a message. `contact_id` is the request's."""

    message_id: uuid.UUID
    phone: E164
    campaign_id: uuid.UUID | None = None
    contact_id: uuid.UUID | None = None
    category: Category
    route: str
    provider_message_ids: list[str] = Field(min_length=1)
    segments: int = Field(ge=1)
    encoding: str
    cost: Decimal | None = None
    submitted_at: datetime


class SuppressionReason(StrEnum):
    NO_CONSENT = "no_consent"
    OPTED_OUT = "opted_out"
    FREQUENCY_CAP = "frequency_cap"
    WINDOW_EXPIRED = "window_expired"
    INVALID_NUMBER = "invalid_number"
    CAMPAIGN_CANCELLED = "campaign_cancelled"
    CONTACT_ERASED = "contact_erased"
    # Held by the sending hours and unable to go before the message expires (or no window
    # of the rule pack ever opens for the recipient).
    OUTSIDE_SENDING_HOURS = "outside_sending_hours"


class SmsSuppressedV1(Payload):
    """A message was not sent, and why."""

    message_id: uuid.UUID
    phone: E164
    campaign_id: uuid.UUID | None = None
    category: Category
    reason: SuppressionReason
    rule_pack_version: str | None = None
    detail: str | None = None  # the rule's own words, e.g. "FR-strict v1: ... opens 08:00"
    decided_at: datetime


class SmsFailedV1(Payload):
    """Permanent gateway rejection, or retries exhausted."""

    message_id: uuid.UUID
    phone: E164
    campaign_id: uuid.UUID | None = None
    route: str
    error_code: str
    reason: str
    failed_at: datetime


class InboundKind(StrEnum):
    DELIVERY_RECEIPT = "delivery_receipt"
    MOBILE_ORIGINATED = "mobile_originated"


class GatewayInboundV1(Payload):
    """A raw PDU received on a gateway bind: a delivery receipt or a handset's message."""

    kind: InboundKind
    route: str
    provider_message_id: str | None = None
    source: str
    destination: str
    text: str | None = None
    receipt_status: str | None = None
    error_code: str | None = None
    received_at: datetime
