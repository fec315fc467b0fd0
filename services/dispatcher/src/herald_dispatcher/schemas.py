"""API models of the dispatcher service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from herald_dispatcher.rules_config import SendingRulesConfig

MessageStatus = Literal[
    "queued", "held", "submitting", "submitted", "suppressed", "failed", "in_doubt"
]


class MessageRead(BaseModel):
    """A message in the ledger. `in_doubt`: written to the gateway, never answered; it is
    not re-sent automatically. `held`: the sending hours or a frequency cap keep it until
    `held_until` (`rule` and `hold_reason` say which and why; kept after the release)."""

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
    held_until: datetime | None = None
    hold_reason: str | None = None
    rule: str | None = None
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


class SendingRulesWrite(SendingRulesConfig):
    """A workspace's sending rules: the rule packs tried in order for each recipient (the
    first covering the number's country applies; a country none covers falls to the
    deployment's packs) and its frequency caps. An unknown pack or option is a 422."""


class SendingRulesRead(BaseModel):
    source: Literal["workspace", "deployment"] = Field(
        description="`workspace`: saved with PUT; `deployment`: the configured default"
    )
    packs: list[dict[str, Any]]
    caps: list[dict[str, Any]]
    updated_at: datetime | None = None
