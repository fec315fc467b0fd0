"""API models of the dispatcher service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

MessageStatus = Literal["queued", "submitting", "submitted", "suppressed", "failed", "in_doubt"]


class MessageRead(BaseModel):
    """A message in the ledger. `in_doubt`: written to the gateway, never answered; it is
    not re-sent automatically."""

    message_id: uuid.UUID
    campaign_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    phone: str
    text: str
    category: str
    brand: str
    sender: str
    priority: str
    not_before: datetime | None
    expires_at: datetime
    status: MessageStatus
    suppression_reason: str | None
    route: str | None
    provider_message_ids: list[str]
    segments: int
    encoding: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    updated_at: datetime


class RouteRead(BaseModel):
    """A configured gateway route (its secrets are never shown)."""

    name: str
    kind: Literal["smpp"]
    host: str
    port: int
    system_id: str
    window: int
    rate_per_second: float
    source_addr_default: str
