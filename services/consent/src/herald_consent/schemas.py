"""API models of the consent service."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Final, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    IPvAnyAddress,
    StringConstraints,
    field_validator,
)

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Brand = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]

PRE_TICKED: Final = "a pre-ticked box is not consent (CNIL / GDPR recital 32)"
SMS_ONLY: Final = (
    "only SMS consent is recorded here: consent to email or another channel is separate "
    "and cannot stand for SMS consent"
)


def _sms_only(value: object) -> object:
    if value != "sms":
        raise ValueError(SMS_ONLY)
    return value


# SMS consent is separate from any email consent (CNIL: one consent per channel): the ledger
# holds SMS consent only, and says so on every entry.
Channel = Annotated[Literal["sms"], BeforeValidator(_sms_only)]


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
            raise ValueError(PRE_TICKED)
        return value


class ConsentCreate(BaseModel):
    """An SMS opt-in with its evidence. `brand` is the brand or program consented to."""

    model_config = ConfigDict(extra="forbid")

    phone: str = Field(min_length=3, max_length=40, examples=["06 12 34 56 78"])
    channel: Channel = "sms"
    purpose: Purpose
    brand: Brand = "default"
    source: Source
    evidence: EvidenceIn


class OptoutCreate(BaseModel):
    """An opt-out by API: `all` purposes and every brand ('*') unless narrowed."""

    model_config = ConfigDict(extra="forbid")

    phone: str = Field(min_length=3, max_length=40, examples=["+33612345678"])
    channel: Channel = "sms"
    purpose: OptoutPurpose = OptoutPurpose.ALL
    brand: Brand = "*"


class LedgerEntryRead(BaseModel):
    """A ledger entry with its place in the workspace's hash chain."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    seq: int
    phone: str
    channel: str
    purpose: str
    brand: str
    action: str
    source: str
    evidence: dict[str, Any]
    recorded_by: str
    created_at: datetime
    identifying_digest: str | None
    previous_hash: str
    hash: str


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


class ChainHeadRead(BaseModel):
    seq: int
    hash: str


class ChainBreakRead(BaseModel):
    """Where the chain does not hold: the entry (or position) and what was expected."""

    model_config = ConfigDict(from_attributes=True)

    seq: int
    entry_id: uuid.UUID | None
    field: str
    expected: str
    found: str


class EvidenceVerification(BaseModel):
    """Each entry checked against the chain: its hash recomputes, it quotes the hash of the
    entry before it, and the entry after it (or the chain head) quotes its hash."""

    valid: bool
    canonical_form: str
    checked_at: datetime
    chain_head: ChainHeadRead
    problems: list[ChainBreakRead]


class ConsentEvidence(BaseModel):
    """Every ledger entry of a number, oldest first, with the proof that none was altered
    (GDPR Art. 7(1): the controller can demonstrate consent)."""

    phone: str
    workspace_id: str
    entries: list[LedgerEntryRead]
    verification: EvidenceVerification


class LedgerVerification(BaseModel):
    """The whole chain of the caller's workspace walked from its first entry to its head."""

    workspace_id: str
    valid: bool
    entries_checked: int
    chain_head: ChainHeadRead | None
    broken: ChainBreakRead | None


class RequestSource(StrEnum):
    """Where a double opt-in was asked for."""

    WEB_FORM = "web_form"
    APP = "app"
    POINT_OF_SALE = "point_of_sale"
    API = "api"
    OTHER = "other"


class DoubleOptInEvidence(EvidenceIn):
    """What the person saw and did when asking (the same rules as an opt-in's evidence),
    and the page it happened on."""

    page_url: str | None = Field(default=None, max_length=2000)


class DoubleOptInCreate(BaseModel):
    """Ask a number to confirm an SMS opt-in: a confirmation SMS goes out, and the opt-in is
    recorded only when the handset answers OUI / YES or opens the link in it."""

    model_config = ConfigDict(extra="forbid")

    phone: str = Field(min_length=3, max_length=40, examples=["06 12 34 56 78"])
    channel: Channel = "sms"
    purpose: Purpose
    brand: Brand = "default"
    # Language of the confirmation SMS (`fr`, `en`, `en-GB`...); the default one otherwise.
    language: str | None = Field(default=None, max_length=35, examples=["fr"])
    source: RequestSource = RequestSource.WEB_FORM
    evidence: DoubleOptInEvidence


class DoubleOptInRead(BaseModel):
    """A double opt-in request: `pending` (waiting for its answer), `confirmed`, `expired`
    (no answer in time) or `superseded` (a newer request for the same number, purpose and
    brand replaced it). `ledger_entry_id` is the opt-in its confirmation wrote."""

    id: uuid.UUID
    phone: str
    purpose: str
    brand: str
    language: str
    status: Literal["pending", "confirmed", "expired", "superseded"]
    requested_at: datetime
    expires_at: datetime
    confirmed_at: datetime | None
    confirmed_by: Literal["reply", "link"] | None
    ledger_entry_id: uuid.UUID | None
    message_id: uuid.UUID
    sender: str
