"""`/v1/consents`: record an opt-in with its evidence, read the current state, export evidence."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, status
from fastapi.responses import HTMLResponse

from herald_consent import evidence_document, service
from herald_consent.api.deps import ConsentReader, ConsentWriter
from herald_consent.domain import chain
from herald_consent.schemas import (
    ChainBreakRead,
    ChainHeadRead,
    ConsentCreate,
    ConsentEvidence,
    ConsentRecorded,
    ConsentStateRead,
    ConsentStates,
    EvidenceVerification,
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
            session, outbox, workspace, body, get_settings().default_region, principal.key_id
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


@router.get(
    "/{phone}/evidence",
    response_model=ConsentEvidence,
    responses={200: {"content": {"text/html": {}}}},
)
async def evidence(
    phone: str,
    principal: ConsentReader,
    session: SessionDep,
    format: Annotated[Literal["json", "html"], Query()] = "json",
    lang: Annotated[Literal["fr", "en"] | None, Query()] = None,
    accept_language: Annotated[str | None, Header()] = None,
) -> ConsentEvidence | HTMLResponse:
    """Every ledger entry of a phone in chain order, with its chain hashes and their check
    (GDPR Art. 7(1)); `format=html` gives a readable document, in French unless `lang=en`
    or `Accept-Language` prefers English. 404 when the number has no entry."""
    found = await service.evidence_of(
        session, principal.workspace_id, phone, get_settings().default_region
    )
    check = found.verification
    exported = ConsentEvidence(
        phone=found.phone,
        workspace_id=principal.workspace_id,
        entries=[LedgerEntryRead.model_validate(e) for e in found.entries],
        verification=EvidenceVerification(
            valid=check.valid,
            canonical_form=chain.VERSION,
            checked_at=found.checked_at,
            chain_head=ChainHeadRead(seq=check.head.seq, hash=check.head.hash),
            problems=[ChainBreakRead.model_validate(p) for p in check.problems],
        ),
    )
    if format == "html":
        chosen = evidence_document.negotiate(lang, accept_language)
        document = evidence_document.render_html(exported, chosen)
        return HTMLResponse(document, headers={"Content-Language": chosen})
    return exported
