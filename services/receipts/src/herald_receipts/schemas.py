"""API models of the receipts service."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict


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
