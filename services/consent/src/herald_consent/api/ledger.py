"""`/v1/ledger`: prove the caller's workspace ledger (the CLI's `ledger verify`, over HTTP)."""

from __future__ import annotations

from fastapi import APIRouter

from herald_consent import service
from herald_consent.api.deps import ConsentReader
from herald_consent.schemas import ChainBreakRead, ChainHeadRead, LedgerVerification
from herald_kit.app import SessionDep

router = APIRouter(prefix="/v1/ledger", tags=["ledger"])


@router.get("/verify")
async def verify(principal: ConsentReader, session: SessionDep) -> LedgerVerification:
    """Walk the workspace's hash chain from its first entry to its head; `valid` is false,
    with the first broken entry (expected and found), when anything was changed, removed or
    reordered. Reads every entry of the workspace: for audits, not for every request."""
    checked = await service.verify_ledger(session, principal.workspace_id)
    head = checked.head
    return LedgerVerification(
        workspace_id=checked.workspace_id,
        valid=checked.valid,
        entries_checked=checked.entries_checked,
        chain_head=ChainHeadRead(seq=head.seq, hash=head.hash) if head else None,
        broken=ChainBreakRead.model_validate(checked.broken) if checked.broken else None,
    )
