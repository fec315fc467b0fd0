"""Use cases of the consent service. They never commit: the entrypoint owns the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from herald_compliance.phones import InvalidPhone, normalise_phone
from herald_consent import chain, erasure, repository
from herald_consent.domain import ledger
from herald_consent.errors import ConsentNotFound
from herald_consent.models import ConsentEntry, ConsentState
from herald_consent.schemas import ConsentCreate, OptoutCreate
from herald_events.models.consent import ConsentChangedV1
from herald_events.models.receipts import OptoutReceivedV1
from herald_kit.errors import Unprocessable
from herald_kit.logs import get_logger, mask_phone
from herald_kit.outbox import Outbox

TOPIC = "consent.changed"
log = get_logger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


def api_recorder(key_id: str) -> str:
    """Who recorded an entry written through the API: the key that called."""
    return f"api_key:{key_id}"


def system_recorder(producer: str) -> str:
    """Who recorded an entry written from an event: the service that produced it."""
    return f"system:{producer}"


def parse_phone(raw: str, default_region: str) -> str:
    try:
        return normalise_phone(raw, default_region).e164
    except InvalidPhone as error:
        raise Unprocessable(f"phone: {error}") from error


@dataclass(frozen=True)
class Applied:
    """A ledger entry, the state after it, and whether the state moved."""

    entry: ConsentEntry
    state: ConsentState
    changed: bool


async def apply_entry(
    session: AsyncSession,
    outbox: Outbox,
    *,
    workspace_id: str,
    phone: str,
    purpose: ledger.Purpose,
    brand: str,
    action: ledger.Action,
    source: str,
    evidence: dict[str, Any],
    recorded_by: str,
    caused_by: dict[str, uuid.UUID | None] | None = None,
) -> Applied:
    """Append the entry to the chained ledger; move the state and announce it only when its
    status changes. The one use case every way of recording consent goes through."""
    await erasure.restore_erased_states(session, workspace_id, phone)
    entry = await chain.append_entry(
        session,
        chain.NewEntry(
            workspace_id=workspace_id,
            phone=phone,
            purpose=purpose,
            brand=brand,
            action=action,
            source=source,
            evidence=evidence,
            recorded_by=recorded_by,
        ),
    )
    now = entry.created_at
    moved = await repository.move_state(
        session,
        workspace_id=workspace_id,
        phone=phone,
        purpose=purpose,
        brand=brand,
        status=ledger.status_after(action),
        ledger_entry_id=entry.id,
        now=now,
    )
    if moved is None:
        state = await repository.get_state(session, workspace_id, phone, purpose, brand)
        assert state is not None  # the upsert found it there
        return Applied(entry, state, changed=False)
    change = ConsentChangedV1(
        phone=phone,
        purpose=purpose,
        brand=brand,
        status=moved.status,
        ledger_entry_id=entry.id,
        source=source,
        changed_at=now,
    )
    envelope = outbox.envelope(TOPIC, change, workspace_id=workspace_id, **(caused_by or {}))
    await outbox.add(session, TOPIC, phone, envelope)
    log.info(
        "consent.changed",
        phone=mask_phone(phone),
        purpose=purpose,
        brand=brand,
        status=moved.status,
        source=source,
    )
    return Applied(entry, moved, changed=True)


async def record_consent(
    session: AsyncSession,
    outbox: Outbox,
    workspace_id: str,
    data: ConsentCreate,
    default_region: str,
    key_id: str,
) -> Applied:
    """An opt-in with its evidence (the schema already refused pre-ticked boxes, other
    channels and unknown purposes)."""
    phone = parse_phone(data.phone, default_region)
    evidence = data.evidence.model_dump(mode="json")
    return await apply_entry(
        session,
        outbox,
        workspace_id=workspace_id,
        phone=phone,
        purpose=ledger.purpose_of(data.purpose.value),
        brand=data.brand,
        action="opt_in",
        source=data.source.value,
        evidence=evidence,
        recorded_by=api_recorder(key_id),
    )


async def record_api_optout(
    session: AsyncSession,
    outbox: Outbox,
    workspace_id: str,
    data: OptoutCreate,
    default_region: str,
    key_id: str,
) -> list[Applied]:
    phone = parse_phone(data.phone, default_region)
    evidence = {"received_at": _now().isoformat(), "collected_by": f"api key {key_id}"}
    return [
        await apply_entry(
            session,
            outbox,
            workspace_id=workspace_id,
            phone=phone,
            purpose=purpose,
            brand=data.brand,
            action="opt_out",
            source="api",
            evidence=evidence,
            recorded_by=api_recorder(key_id),
        )
        for purpose in ledger.optout_purposes(data.purpose.value)
    ]


async def record_optout_event(
    session: AsyncSession,
    outbox: Outbox,
    workspace_id: str,
    optout: OptoutReceivedV1,
    event_id: uuid.UUID,
    caused_by: dict[str, uuid.UUID | None],
    producer: str,
) -> list[Applied]:
    """A STOP (or another channel's opt-out): both purposes, every brand when global."""
    evidence = {
        "keyword": optout.keyword,
        "inbound_id": str(optout.inbound_id) if optout.inbound_id else None,
        "received_at": optout.received_at.isoformat(),
        "event_id": str(event_id),
    }
    brand = ledger.optout_brand(optout.scope.value, optout.brand)
    return [
        await apply_entry(
            session,
            outbox,
            workspace_id=workspace_id,
            phone=optout.phone,
            purpose=purpose,
            brand=brand,
            action="opt_out",
            source=optout.source or "keyword",
            evidence=evidence,
            recorded_by=system_recorder(producer),
            caused_by=caused_by,
        )
        for purpose in ledger.PURPOSES
    ]


async def current_states(
    session: AsyncSession, workspace_id: str, raw_phone: str, default_region: str
) -> tuple[str, Sequence[ConsentState]]:
    phone = parse_phone(raw_phone, default_region)
    states = await repository.states_of(session, workspace_id, phone)
    states = [*states, *await erasure.erased_states(session, workspace_id, phone)]
    if not states:
        raise ConsentNotFound(mask_phone(phone))
    return phone, states


@dataclass(frozen=True)
class Evidence:
    """A number's ledger entries in chain order, and their check against the chain."""

    phone: str
    entries: Sequence[ConsentEntry]
    verification: chain.EntriesVerification
    checked_at: datetime


async def evidence_of(
    session: AsyncSession, workspace_id: str, raw_phone: str, default_region: str
) -> Evidence:
    """Every entry of the number, those written before an erasure included (GDPR Art. 7(1))."""
    phone = parse_phone(raw_phone, default_region)
    entries = [
        *await repository.entries_of(session, workspace_id, phone),
        *await erasure.erased_entries(session, workspace_id, phone),
    ]
    if not entries:
        raise ConsentNotFound(mask_phone(phone))
    entries.sort(key=lambda entry: entry.seq)
    verification = await chain.verify_entries(session, workspace_id, entries)
    if not verification.valid:
        log.warning(
            "consent.evidence_chain_broken",
            phone=mask_phone(phone),
            problems=[problem.describe() for problem in verification.problems],
        )
    return Evidence(phone, entries, verification, _now())


async def verify_ledger(session: AsyncSession, workspace_id: str) -> chain.Verification:
    (verification,) = await chain.verify_ledger(session, workspace_id)
    if not verification.valid:
        log.warning("consent.ledger_chain_broken", detail=verification.describe())
    return verification
