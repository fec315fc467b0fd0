"""Opt-in keywords (START, UNSTOP) from `sms.inbound`: lift an opt-out, never create consent.

The keyword covers what receipts' opt-out engine says (`scope`/`brand` on the event: a
global START the '*' keys, a brand START that brand's keys; without them, global). For each
purpose whose key is opted out, domain/keyword_opt_in.py decides whether the START restores
it; each restoration is an opt-in entry with source `keyword` (evidence: the keyword, the
inbound id, the short code written to) through service.apply_entry, which moves the state and
emits `consent.changed`. A START that lifts nothing is logged and leaves the ledger alone.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from herald_consent import erasure, repository, service
from herald_consent.domain import keyword_opt_in, ledger
from herald_events.models.receipts import OptoutScope, SmsInboundV1
from herald_kit.logs import get_logger, mask_phone
from herald_kit.outbox import Outbox

SOURCE = "keyword"
log = get_logger(__name__)


def covered_brand(inbound: SmsInboundV1) -> str:
    """'*' for a global keyword (or one that does not say), else the brand it names."""
    brand = (inbound.brand or "").strip()
    if inbound.scope == OptoutScope.BRAND and brand and brand != ledger.ALL_BRANDS:
        return brand
    return ledger.ALL_BRANDS


async def record_keyword_opt_in(
    session: AsyncSession,
    outbox: Outbox,
    workspace_id: str,
    inbound: SmsInboundV1,
    event_id: uuid.UUID,
    caused_by: dict[str, uuid.UUID | None],
    producer: str,
) -> list[service.Applied]:
    phone = inbound.phone
    brand = covered_brand(inbound)
    # The number's own states win over those kept under its pseudonym (erasure).
    statuses = {
        (s.purpose, s.brand): s.status
        for s in [
            *await erasure.erased_states(session, workspace_id, phone),
            *await repository.states_of(session, workspace_id, phone),
        ]
    }
    evidence = {
        "keyword": inbound.matched,
        "inbound_id": str(inbound.inbound_id),
        "received_at": inbound.received_at.isoformat(),
        "destination": inbound.destination,
        "scope": "global" if brand == ledger.ALL_BRANDS else "brand",
        "lifts": "opt_out",
        "event_id": str(event_id),
    }
    applied: list[service.Applied] = []
    for purpose in ledger.PURPOSES:
        opted_out = statuses.get((purpose, brand)) == "opted_out"
        history = await repository.key_history(session, workspace_id, phone, purpose, brand)
        if not keyword_opt_in.restores(purpose, opted_out, history):
            continue
        applied.append(
            await service.apply_entry(
                session,
                outbox,
                workspace_id=workspace_id,
                phone=phone,
                purpose=purpose,
                brand=brand,
                action="opt_in",
                source=SOURCE,
                evidence=evidence,
                recorded_by=service.system_recorder(producer),
                caused_by=caused_by,
            )
        )
    log.info(
        "consent.keyword_opt_in",
        phone=mask_phone(phone),
        brand=brand,
        restored=[a.entry.purpose for a in applied],
    )
    return applied
