"""API models of the receipts service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

ReviewStatus = Literal["open", "opted_out", "dismissed"]


class PartRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    part_index: int
    provider_id: str
    status: str
    final: bool
    error_code: str | None
    reported_at: datetime | None


class DeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    message_id: uuid.UUID
    campaign_id: uuid.UUID | None
    status: str
    final: bool
    parts_total: int
    parts_delivered: int
    parts_reported: int
    error_code: str | None
    updated_at: datetime
    parts: list[PartRead] = []


class InboundRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    phone: str
    destination: str
    text: str
    keyword_kind: str
    keyword: str | None
    received_at: datetime


class OptoutReviewRead(BaseModel):
    """A message that may be an opt-out, for a person to decide: `rule` says why it is here
    (`phrase` under the review policy, `keyword_in_sentence`), `matched` what was read."""

    id: uuid.UUID
    phone: str
    destination: str
    text: str
    matched: str
    language: str | None
    rule: str
    scope: str
    brand: str
    status: ReviewStatus
    received_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None


class ReviewDecision(BaseModel):
    """`opt_out`: the sender asked to stop (announced like a STOP, with one confirmation);
    `dismiss`: it was no opt-out."""

    model_config = ConfigDict(extra="forbid")

    decision: Literal["opt_out", "dismiss"]
