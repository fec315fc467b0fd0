"""Events produced by the contacts service."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from herald_events.models.common import E164, Payload


class ContactUpdatedV1(Payload):
    """Full current state of a contact (the topic is compacted; an erase is a tombstone)."""

    contact_id: uuid.UUID
    phone: E164
    country: str | None = None
    timezone: str | None = None
    locale: str = "fr"
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime
