"""Events produced by the consent service."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from herald_events.models.common import E164, Payload, Purpose


class ConsentStatus(StrEnum):
    OPTED_IN = "opted_in"
    OPTED_OUT = "opted_out"


class ConsentChangedV1(Payload):
    """Current consent state of one phone for one purpose and brand, after a ledger entry."""

    phone: E164
    purpose: Purpose
    brand: str = "default"
    status: ConsentStatus
    ledger_entry_id: uuid.UUID
    source: str
    changed_at: datetime
