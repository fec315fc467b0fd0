"""`/v1/optouts`: an opt-out by API (a client system relaying an unsubscribe)."""

from __future__ import annotations

from fastapi import APIRouter, status

from herald_consent import service
from herald_consent.api.deps import ConsentWriter
from herald_consent.schemas import (
    ConsentStateRead,
    LedgerEntryRead,
    OptoutCreate,
    OptoutRecorded,
)
from herald_consent.settings import get_settings
from herald_kit.app import OutboxDep, SessionDep
from herald_kit.idempotency import IdempotencyKey, answer_once

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

    async def record() -> OptoutRecorded:
        applied = await service.record_api_optout(
            session, outbox, workspace, body, get_settings().default_region, principal.key_id
        )
        states = [ConsentStateRead.model_validate(a.state) for a in applied]
        return OptoutRecorded(
            entries=[LedgerEntryRead.model_validate(a.entry) for a in applied],
            states=states,
            changed=[state for state, a in zip(states, applied, strict=True) if a.changed],
        )

    return await answer_once(
        session, workspace, idempotency_key, "POST /v1/optouts", body, OptoutRecorded, record
    )
