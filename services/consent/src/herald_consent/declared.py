"""Consent declared by a contact import (`consent.declared`): evidence, never an override.

The row's opt-in becomes an opt-in ledger entry with source `import` and, as evidence, the
file's SHA-256, the import and the row, the declared opt-in date, source and wording; the
state and `consent.changed` move as for any opt-in (service.apply_entry). An opt-out the
number already has (a STOP, for the brand or for every brand, erased numbers included)
stands: a spreadsheet's claim does not re-subscribe someone who said stop. The declaration
is then only logged, with the number masked.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from herald_consent import erasure, repository, service
from herald_consent.domain import ledger
from herald_events.models.contacts import ConsentDeclaredV1
from herald_kit.errors import PermanentError
from herald_kit.logs import get_logger, mask_phone
from herald_kit.outbox import Outbox

SOURCE = "import"
log = get_logger(__name__)


async def record_declared_consent(
    session: AsyncSession,
    outbox: Outbox,
    workspace_id: str,
    declared: ConsentDeclaredV1,
    event_id: uuid.UUID,
    caused_by: dict[str, uuid.UUID | None],
    producer: str,
) -> service.Applied | None:
    """The opt-in entry, or None when an existing opt-out stands."""
    try:
        purpose = ledger.purpose_of(declared.purpose)
    except ValueError as error:
        raise PermanentError(f"consent.declared: {error}") from None
    if await _opted_out(session, workspace_id, declared.phone, purpose, declared.brand):
        log.info(
            "consent.declared_ignored",
            reason="opted out",
            phone=mask_phone(declared.phone),
            purpose=purpose,
            brand=declared.brand,
            import_id=str(declared.import_id),
        )
        return None
    evidence = {
        "file_sha256": declared.file_sha256,
        "import_id": str(declared.import_id),
        "row": declared.row,
        "opted_in_at": declared.opted_in_at.isoformat(),
        "declared_source": declared.source,
        "wording": declared.wording,
        "event_id": str(event_id),
    }
    return await service.apply_entry(
        session,
        outbox,
        workspace_id=workspace_id,
        phone=declared.phone,
        purpose=purpose,
        brand=declared.brand,
        action="opt_in",
        source=SOURCE,
        evidence=evidence,
        recorded_by=service.system_recorder(producer),
        caused_by=caused_by,
    )


async def _opted_out(
    session: AsyncSession, workspace_id: str, phone: str, purpose: str, brand: str
) -> bool:
    states = [
        *await repository.states_of(session, workspace_id, phone),
        *await erasure.erased_states(session, workspace_id, phone),
    ]
    return any(
        s.purpose == purpose and s.brand in (brand, ledger.ALL_BRANDS) and s.status == "opted_out"
        for s in states
    )
