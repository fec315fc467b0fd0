"""API models of the consent service."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    IPvAnyAddress,
    StringConstraints,
    field_validator,
)

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Brand = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class Purpose(StrEnum):
    MARKETING = "marketing"
    TRANSACTIONAL = "transactional"


class OptoutPurpose(StrEnum):
    MARKETING = "marketing"
    TRANSACTIONAL = "transactional"
    ALL = "all"


class Source(StrEnum):
    WEB_FORM = "web_form"
    KEYWORD = "keyword"
    IMPORT = "import"
    API = "api"
    DOUBLE_OPT_IN = "double_opt_in"


class EvidenceIn(BaseModel):
    """How the consent was collected: what the person saw and did, when, where."""

    model_config = ConfigDict(extra="forbid")

    wording: Annotated[NonEmpty, Field(max_length=2000, examples=["J'accepte les SMS promo."])]
    wording_version: Annotated[NonEmpty, Field(max_length=100)]
    collected_at: AwareDatetime
    ip: IPvAnyAddress | None = None
    user_agent: str | None = Field(default=None, max_length=1000)
    collected_by: str | None = Field(default=None, max_length=200)
    pre_ticked: bool = False

    @field_validator("pre_ticked")
    @classmethod
    def _not_pre_ticked(cls, value: bool) -> bool:
        if value:
            raise ValueError("a pre-ticked box is not valid consent")
        return value


class ConsentCreate(BaseModel):
    """An opt-in with its evidence."""

    model_config = ConfigDict(extra="forbid")

    phone: str = Field(min_length=3, max_length=40, examples=["06 12 34 56 78"])
    purpose: Purpose
    brand: Brand = "default"
    source: Source
    evidence: EvidenceIn


class OptoutCreate(BaseModel):
    """An opt-out by API: `all` purposes and every brand ('*') unless narrowed."""

    model_config = ConfigDict(extra="forbid")

    phone: str = Field(min_length=3, max_length=40, examples=["+33612345678"])
    purpose: OptoutPurpose = OptoutPurpose.ALL
    brand: Brand = "*"


class LedgerEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    phone: str
    purpose: str
    brand: str
    action: str
    source: str
    evidence: dict[str, Any]
    created_at: datetime


class ConsentStateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    phone: str
    purpose: str
    brand: str
    status: str
    ledger_entry_id: uuid.UUID
    updated_at: datetime


class ConsentRecorded(BaseModel):
    """The ledger entry just written and the state it left (changed or not)."""

    entry: LedgerEntryRead
    state: ConsentStateRead
    changed: bool


class OptoutRecorded(BaseModel):
    """One ledger entry and one state per purpose covered by the opt-out."""

    entries: list[LedgerEntryRead]
    states: list[ConsentStateRead]
    changed: list[ConsentStateRead]


class ConsentStates(BaseModel):
    phone: str
    states: list[ConsentStateRead]


class ConsentEvidence(BaseModel):
    phone: str
    entries: list[LedgerEntryRead]
