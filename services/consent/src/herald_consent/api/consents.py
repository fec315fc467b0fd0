"""`/v1/consents`: record an opt-in with its evidence, read the current state, export evidence."""

from __future__ import annotations

from fastapi import APIRouter, status

from herald_consent import service
from herald_consent.api.deps import ConsentReader, ConsentWriter
from herald_consent.schemas import (
    ConsentCreate,
    ConsentEvidence,
    ConsentRecorded,
    ConsentStateRead,
    ConsentStates,
    LedgerEntryRead,
)
from herald_consent.settings import get_settings
from herald_kit.app import OutboxDep, SessionDep
from herald_kit.idempotency import IdempotencyKey, answer_once

router = APIRouter(prefix="/v1/consents", tags=["consents"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def record_consent(
    body: ConsentCreate,
    principal: ConsentWriter,
    session: SessionDep,
    outbox: OutboxDep,
    idempotency_key: IdempotencyKey = None,
) -> ConsentRecorded:
    """Append an opt-in to the ledger; the state moves (and `consent.changed` is emitted)
    only when the status changes."""
    workspace = principal.workspace_id

    async def record() -> ConsentRecorded:
        applied = await service.record_consent(
            session, outbox, workspace, body, get_settings().default_region
        )
        return ConsentRecorded(
            entry=LedgerEntryRead.model_validate(applied.entry),
            state=ConsentStateRead.model_validate(applied.state),
            changed=applied.changed,
        )

    return await answer_once(
        session, workspace, idempotency_key, "POST /v1/consents", body, ConsentRecorded, record
    )


@router.get("/{phone}")
async def current_states(
    phone: str, principal: ConsentReader, session: SessionDep
) -> ConsentStates:
    """Every current state of a phone (one per purpose and brand); 404 when none."""
    e164, states = await service.current_states(
        session, principal.workspace_id, phone, get_settings().default_region
    )
    return ConsentStates(phone=e164, states=[ConsentStateRead.model_validate(s) for s in states])


@router.get("/{phone}/evidence")
async def evidence(phone: str, principal: ConsentReader, session: SessionDep) -> ConsentEvidence:
    """Every ledger entry of a phone, oldest first; 404 when none."""
    e164, entries = await service.evidence_of(
        session, principal.workspace_id, phone, get_settings().default_region
    )
    return ConsentEvidence(phone=e164, entries=[LedgerEntryRead.model_validate(e) for e in entries])
