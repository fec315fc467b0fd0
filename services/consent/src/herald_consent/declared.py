"""Consent declared by a contact import (`consent.declared`): evidence, never an override.

The row's opt-in becomes an opt-in ledger entry with source `import` and, as evidence, the
file's SHA-256, the import and the row, the declared opt-in date, source and wording; the
state and `consent.changed` move as for any opt-in (service.apply_entry). An opt-out the
number already has (a STOP, for the brand or for every brand, erased numbers included)
stands: a spreadsheet's claim does not re-subscribe someone who said stop. The declaration
is then only logged, with the number masked.

An import brings thousands at once: `record_declared_consents` applies a run of them with a
few statements (states read together, one chain lock, entries and states written together),
with the same result as `record_declared_consent` on each in turn.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from herald_consent import chain, erasure, repository, service
from herald_consent.domain import ledger
from herald_consent.models import ConsentState
from herald_events import Envelope
from herald_events.models.consent import ConsentChangedV1
from herald_events.models.contacts import ConsentDeclaredV1
from herald_kit.consumer import caused_by
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
    purpose = _purpose(declared)
    if await _opted_out(session, workspace_id, declared.phone, purpose, declared.brand):
        _log_ignored(declared, purpose)
        return None
    evidence = _evidence(declared, event_id)
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
    return _stops(states, purpose, brand)


def _purpose(declared: ConsentDeclaredV1) -> ledger.Purpose:
    try:
        return ledger.purpose_of(declared.purpose)
    except ValueError as error:
        raise PermanentError(f"consent.declared: {error}") from None


def _evidence(declared: ConsentDeclaredV1, event_id: uuid.UUID) -> dict[str, Any]:
    return {
        "file_sha256": declared.file_sha256,
        "import_id": str(declared.import_id),
        "row": declared.row,
        "opted_in_at": declared.opted_in_at.isoformat(),
        "declared_source": declared.source,
        "wording": declared.wording,
        "event_id": str(event_id),
    }


def _log_ignored(declared: ConsentDeclaredV1, purpose: str) -> None:
    log.info(
        "consent.declared_ignored",
        reason="opted out",
        phone=mask_phone(declared.phone),
        purpose=purpose,
        brand=declared.brand,
        import_id=str(declared.import_id),
    )


def _stops(states: Sequence[ConsentState], purpose: str, brand: str) -> bool:
    return any(
        s.purpose == purpose and s.brand in (brand, ledger.ALL_BRANDS) and s.status == "opted_out"
        for s in states
    )


# ── a run at once ─────────────────────────────────────────────────────────────
async def record_declared_consents(
    session: AsyncSession, outbox: Outbox, envelopes: Sequence[Envelope[Any]]
) -> None:
    """`record_declared_consent` for each event of a run, in order, workspace by workspace."""
    by_workspace: dict[str, list[Envelope[Any]]] = {}
    for envelope in envelopes:
        by_workspace.setdefault(envelope.workspace_id, []).append(envelope)
    for workspace_id, events in by_workspace.items():
        await _record_in_workspace(session, outbox, workspace_id, events)


async def _record_in_workspace(
    session: AsyncSession, outbox: Outbox, workspace_id: str, envelopes: list[Envelope[Any]]
) -> None:
    items = [(envelope, envelope.payload) for envelope in envelopes]
    purposes = [_purpose(declared) for _, declared in items]
    phones = sorted({declared.phone for _, declared in items})
    pseudonyms = {erasure.pseudonym_of(workspace_id, phone): phone for phone in phones}
    own: dict[str, list[ConsentState]] = {}
    erased: dict[str, list[ConsentState]] = {}
    for state in await repository.states_of_phones(session, workspace_id, [*phones, *pseudonyms]):
        if state.phone in pseudonyms:
            erased.setdefault(pseudonyms[state.phone], []).append(state)
        else:
            own.setdefault(state.phone, []).append(state)

    accepted: list[tuple[Envelope[Any], ConsentDeclaredV1, ledger.Purpose]] = []
    for (envelope, declared), purpose in zip(items, purposes, strict=True):
        states = [*own.get(declared.phone, []), *erased.get(declared.phone, [])]
        if _stops(states, purpose, declared.brand):
            _log_ignored(declared, purpose)
        else:
            accepted.append((envelope, declared, purpose))
    if not accepted:
        return
    for phone in sorted({declared.phone for _, declared, _ in accepted} & set(erased)):
        await erasure.restore_erased_states(session, workspace_id, phone)  # rare: one by one

    entries = await chain.append_entries(
        session,
        [
            chain.NewEntry(
                workspace_id=workspace_id,
                phone=declared.phone,
                purpose=purpose,
                brand=declared.brand,
                action="opt_in",
                source=SOURCE,
                evidence=_evidence(declared, envelope.event_id),
                recorded_by=service.system_recorder(envelope.producer),
            )
            for envelope, declared, purpose in accepted
        ],
    )
    # The first entry of a key is the one that may move its state (later ones find it set).
    first: dict[tuple[str, str, str], tuple[uuid.UUID, Envelope[Any]]] = {}
    for entry, (envelope, declared, purpose) in zip(entries, accepted, strict=True):
        first.setdefault((declared.phone, purpose, declared.brand), (entry.id, envelope))
    now = entries[0].created_at
    moved = await repository.move_states(
        session,
        workspace_id,
        [(*key, "opted_in", entry_id) for key, (entry_id, _) in first.items()],
        now,
    )
    events = []
    for key, (entry_id, envelope) in first.items():
        if key not in moved:
            continue
        phone, purpose_name, brand = key
        change = ConsentChangedV1(
            phone=phone,
            purpose=purpose_name,
            brand=brand,
            status="opted_in",
            ledger_entry_id=entry_id,
            source=SOURCE,
            changed_at=now,
        )
        envelope_out = outbox.envelope(
            service.TOPIC, change, workspace_id=workspace_id, **caused_by(envelope)
        )
        events.append((service.TOPIC, phone, envelope_out))
    await outbox.add_many(session, events)
    log.info(
        "consent.declared_recorded",
        workspace_id=workspace_id,
        entries=len(entries),
        changed=len(events),
        ignored=len(items) - len(accepted),
    )
