"""Events produced by the contacts service."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, PlainSerializer

from herald_events.models.common import E164, Payload

# A JSON number, as the imports' SQL-built events write a numeric column (imports/outbox_sql);
# an amount of numeric(14, 2) has at most 14 digits, which a float keeps exactly.
Amount = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


class ContactUpdatedV1(Payload):
    """Full current state of a contact (the topic is compacted; an erase is a tombstone).
    Fields are named as the `contact` table's columns: contacts builds this event in SQL too."""

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
    lists: list[str] = Field(default_factory=list)
    lifecycle: str = "prospect"
    reachable: bool = True
    created_at: datetime
    updated_at: datetime
    timezone_source: str = "unknown"
    timezone_ambiguous: bool = False
    orders_count: int = 0
    total_spent: Amount = Decimal(0)
    last_order_at: datetime | None = None
    last_click_at: datetime | None = None
    last_reply_at: datetime | None = None
    unreachable_reason: str | None = None
    unreachable_at: datetime | None = None


class ContactErasedV1(Payload):
    """A contact was erased (GDPR Art. 17): every service forgets what it holds about the
    number, keeping only what the law requires to keep honouring an opt-out."""

    contact_id: uuid.UUID
    phone: E164
    erased_at: datetime


class ConsentDeclaredV1(Payload):
    """Consent evidence declared by a contact import: the consent service records it with the
    file's SHA-256. An import never implies consent by itself."""

    phone: E164
    purpose: str = "marketing"
    brand: str = "default"
    opted_in_at: datetime
    source: str
    import_id: uuid.UUID
    file_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    row: int = Field(ge=1)
    wording: str | None = None
