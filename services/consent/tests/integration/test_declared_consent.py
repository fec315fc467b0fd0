"""`consent.declared` (a contact import's consent columns) through the real handler, on the
migrated database: evidence in the ledger with the file's hash, never over an opt-out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_consent import chain
from herald_consent.events.subscriptions import groups
from herald_consent.models import ConsentEntry, ConsentState
from herald_events import Envelope
from herald_events.models.contacts import ConsentDeclaredV1
from herald_events.models.receipts import OptoutReceivedV1
from herald_kit.consumer import HandlerContext, apply_once
from herald_kit.db import transaction
from herald_kit.outbox import Outbox
from herald_kit.tables import OUTBOX

SHA = "c" * 64


def declared(workspace: str, phone: str, row: int = 2, brand: str = "default") -> Envelope[Any]:
    payload = ConsentDeclaredV1(
        phone=phone,
        brand=brand,
        opted_in_at=datetime(2025, 3, 15, 13, 30, tzinfo=UTC),
        source="jeu concours",
        import_id=uuid.uuid4(),
        file_sha256=SHA,
        row=row,
        wording="J'accepte les SMS",
    )
    return Envelope[Any](
        type="consent.declared",
        version=1,
        workspace_id=workspace,
        producer="contacts",
        correlation_id=payload.import_id,
        payload=payload,
    )


def stop(workspace: str, phone: str) -> Envelope[Any]:
    payload = OptoutReceivedV1(
        phone=phone,
        source="keyword",
        keyword="STOP",
        inbound_id=uuid.uuid4(),
        received_at=datetime(2026, 11, 24, 10, 17, tzinfo=UTC),
    )
    return Envelope[Any](
        type="optout.received",
        version=1,
        workspace_id=workspace,
        producer="receipts",
        payload=payload,
    )


async def apply(
    sessions: async_sessionmaker[AsyncSession], group: str, event: Envelope[Any]
) -> bool:
    (subscription,) = groups()[group]
    async with transaction(sessions) as session:
        return await apply_once(session, Outbox("consent"), group, subscription, event)


async def ledger(
    sessions: async_sessionmaker[AsyncSession], workspace: str, phone: str
) -> tuple[list[ConsentEntry], set[tuple[str, str, str]], list[dict[str, Any]]]:
    async with sessions() as session:
        entries = list(
            await session.scalars(
                sa.select(ConsentEntry)
                .where(ConsentEntry.workspace_id == workspace, ConsentEntry.phone == phone)
                .order_by(ConsentEntry.created_at)
            )
        )
        states = {
            (s.purpose, s.brand, s.status)
            for s in await session.scalars(
                sa.select(ConsentState).where(
                    ConsentState.workspace_id == workspace, ConsentState.phone == phone
                )
            )
        }
        changes = [
            v
            for v in await session.scalars(
                sa.select(OUTBOX.c.value)
                .where(OUTBOX.c.topic == "consent.changed", OUTBOX.c.key == phone)
                .order_by(OUTBOX.c.id)
            )
            if v["workspace_id"] == workspace
        ]
    return entries, states, changes


async def test_a_declared_opt_in_is_recorded_with_the_file_as_evidence(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    event = declared("ws-declared", "+33612350001")
    assert await apply(sessions, "consent.imports", event)
    entries, states, changes = await ledger(sessions, "ws-declared", "+33612350001")
    (entry,) = entries
    assert (entry.action, entry.source, entry.purpose, entry.brand) == (
        "opt_in",
        "import",
        "marketing",
        "default",
    )
    assert entry.evidence == {
        "file_sha256": SHA,
        "import_id": str(event.payload.import_id),
        "row": 2,
        "opted_in_at": "2025-03-15T13:30:00+00:00",
        "declared_source": "jeu concours",
        "wording": "J'accepte les SMS",
        "event_id": str(event.event_id),
    }
    assert states == {("marketing", "default", "opted_in")}
    (change,) = changes
    assert change["payload"]["status"] == "opted_in"
    assert change["payload"]["source"] == "import"
    assert change["causation_id"] == str(event.event_id)


async def test_the_same_declaration_again_is_evidence_but_announces_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    first = declared("ws-declared-again", "+33612350002")
    assert await apply(sessions, "consent.imports", first)
    assert not await apply(sessions, "consent.imports", first)  # redelivered: inbox
    assert await apply(sessions, "consent.imports", declared("ws-declared-again", "+33612350002"))
    entries, _, changes = await ledger(sessions, "ws-declared-again", "+33612350002")
    assert len(entries) == 2
    assert len(changes) == 1


async def test_an_import_never_overrides_a_stop(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    assert await apply(sessions, "consent.optouts", stop("ws-declared-stop", "+33612350003"))
    assert await apply(sessions, "consent.imports", declared("ws-declared-stop", "+33612350003"))
    entries, states, changes = await ledger(sessions, "ws-declared-stop", "+33612350003")
    assert [e.action for e in entries] == ["opt_out", "opt_out"]
    assert states == {("marketing", "*", "opted_out"), ("transactional", "*", "opted_out")}
    assert [c["payload"]["status"] for c in changes] == ["opted_out", "opted_out"]


async def _declare_run(
    sessions: async_sessionmaker[AsyncSession], events: list[Envelope[Any]]
) -> None:
    """The runner's fast path: one transaction, the subscription's `handle_many`."""
    (subscription,) = groups()["consent.imports"]
    assert subscription.handle_many is not None
    async with transaction(sessions) as session:
        context = HandlerContext(session=session, outbox=Outbox("consent"), group="consent.imports")
        await subscription.handle_many(events, context)


async def test_a_run_at_once_gives_what_one_at_a_time_gives(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The same declarations (a repeat, a number that said STOP, one of another brand) in two
    workspaces: one event per transaction in the first, one run in the second."""
    phones = ["+33612350011", "+33612350012", "+33612350013", "+33612350014"]

    def run_of(workspace: str) -> list[Envelope[Any]]:
        return [
            declared(workspace, phones[0], row=2),
            declared(workspace, phones[1], row=3),
            declared(workspace, phones[0], row=4),  # the same number again: evidence only
            declared(workspace, phones[2], row=5),  # said STOP before: ignored
            declared(workspace, phones[3], row=6),
            declared(workspace, phones[3], row=7, brand="marque-b"),
        ]

    for workspace in ("ws-one-by-one", "ws-at-once"):
        assert await apply(sessions, "consent.optouts", stop(workspace, phones[2]))
    for event in run_of("ws-one-by-one"):
        assert await apply(sessions, "consent.imports", event)
    await _declare_run(sessions, run_of("ws-at-once"))

    def summary(
        result: tuple[list[ConsentEntry], set[tuple[str, str, str]], list[dict[str, Any]]],
    ) -> tuple[list[tuple[str, str, str, Any]], set[tuple[str, str, str]], list[Any]]:
        entries, states, changes = result
        return (
            [(e.action, e.source, e.brand, e.evidence.get("row")) for e in entries],
            states,
            [(c["payload"]["status"], c["payload"]["brand"]) for c in changes],
        )

    for phone in phones:
        one = summary(await ledger(sessions, "ws-one-by-one", phone))
        many = summary(await ledger(sessions, "ws-at-once", phone))
        assert one == many, phone
    entries, states, changes = await ledger(sessions, "ws-at-once", phones[0])
    assert len(entries) == 2
    assert states == {("marketing", "default", "opted_in")}
    (change,) = changes
    assert change["payload"]["ledger_entry_id"] == str(entries[0].id)  # the first moved it
    async with sessions() as session:
        for workspace in ("ws-one-by-one", "ws-at-once"):
            verification = await chain.verify_workspace(session, workspace)
            assert verification.valid, verification.describe()
            assert verification.entries_checked == 7  # 2 for the STOP, 5 declarations kept
