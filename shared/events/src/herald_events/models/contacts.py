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
    lists: list[str] = Field(default_factory=list)
    lifecycle: str = "prospect"
    reachable: bool = True
    created_at: datetime
    updated_at: datetime


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
