"""`/v1/optouts`: an opt-out by API (a client system relaying an unsubscribe)."""

from __future__ import annotations

from fastapi import APIRouter, status

from herald_consent import service
from herald_consent.api.deps import ConsentWriter, IdempotencyKey
from herald_consent.schemas import (
    ConsentStateRead,
    LedgerEntryRead,
    OptoutCreate,
    OptoutRecorded,
)
from herald_consent.settings import get_settings
from herald_kit.app import OutboxDep, SessionDep

router = APIRouter(prefix="/v1/optouts", tags=["optouts"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def record_optout(
    body: OptoutCreate,
    principal: ConsentWriter,
    session: SessionDep,
    outbox: OutboxDep,
    idempotency_key: IdempotencyKey = None,
) -> OptoutRecorded:
    """One ledger entry per purpose covered; `changed` lists the states that moved."""
    workspace = principal.workspace_id
    if idempotency_key:
        fingerprint = service.fingerprint("POST /v1/optouts", body.model_dump_json())
        first = await service.claim_request(session, workspace, idempotency_key, fingerprint)
        if first is not None:
            return OptoutRecorded.model_validate(first)
    applied = await service.record_api_optout(
        session, outbox, workspace, body, get_settings().default_region, principal.key_id
    )
    states = [ConsentStateRead.model_validate(a.state) for a in applied]
    result = OptoutRecorded(
        entries=[LedgerEntryRead.model_validate(a.entry) for a in applied],
        states=states,
        changed=[state for state, a in zip(states, applied, strict=True) if a.changed],
    )
    if idempotency_key:
        await service.remember_response(
            session, workspace, idempotency_key, result.model_dump(mode="json")
        )
    return result
