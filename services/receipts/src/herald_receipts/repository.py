"""Every query of the receipts service."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession

from herald_receipts.models import (
    AutoReply,
    Delivery,
    ErasedContact,
    InboundMessage,
    OptoutReview,
    ParkedReceipt,
    Submission,
)

# One statement for every key, taken in the order given (sorted: two handlers locking
# overlapping keys never wait on each other in a cycle).
_LOCK_KEYS = sa.text(
    "SELECT count(pg_advisory_xact_lock(hashtextextended(k.key, 0))) "
    "FROM unnest(CAST(:keys AS text[])) AS k(key)"
)


async def lock_provider_ids(session: AsyncSession, route: str, keys: Iterable[str]) -> None:
    """Serialise, until the transaction ends, every handler that touches these provider ids:
    a receipt and its submission handled at the same moment cannot miss each other."""
    await lock_route_keys(session, [(route, key) for key in keys])


async def lock_route_keys(session: AsyncSession, keys: Iterable[tuple[str, str]]) -> None:
    """`lock_provider_ids` for `(route, provider id key)` pairs of any routes."""
    ordered = sorted({f"{route}\n{key}" for route, key in keys})
    if ordered:
        await session.execute(_LOCK_KEYS, {"keys": ordered})


async def upsert_submissions(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Store the parts; a provider id that the route reuses for another message moves to it,
    the same message announced twice changes nothing."""
    statement = insert(Submission).values(list(rows))
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["route", "provider_id_normalised"],
            set_={
                name: statement.excluded[name]
                for name in (
                    "provider_id_alternate",
                    "provider_id",
                    "workspace_id",
                    "message_id",
                    "campaign_id",
                    "part_index",
                    "parts_total",
                    "submitted_at",
                    "status",
                    "final",
                    "error_code",
                    "reported_at",
                )
            },
            where=Submission.message_id != statement.excluded.message_id,
        )
    )


async def add_delivery(session: AsyncSession, values: dict[str, Any]) -> None:
    await add_deliveries(session, [values])


async def add_deliveries(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(Delivery).values(list(rows)).on_conflict_do_nothing())


async def submissions_matching(
    session: AsyncSession, route: str, keys: Sequence[str]
) -> Sequence[Submission]:
    query = sa.select(Submission).where(
        Submission.route == route,
        sa.or_(
            Submission.provider_id_normalised.in_(keys),
            Submission.provider_id_alternate.in_(keys),
        ),
    )
    return (await session.scalars(query, execution_options={"populate_existing": True})).all()


async def park(session: AsyncSession, values: dict[str, Any]) -> None:
    await park_many(session, [values])


async def park_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(ParkedReceipt).values(list(rows)).on_conflict_do_nothing())


async def parked_matching(
    session: AsyncSession, route: str, keys: Sequence[str]
) -> Sequence[ParkedReceipt]:
    query = (
        sa.select(ParkedReceipt)
        .where(
            ParkedReceipt.route == route,
            sa.or_(
                ParkedReceipt.provider_id_normalised.in_(keys),
                ParkedReceipt.provider_id_alternate.in_(keys),
            ),
        )
        .order_by(ParkedReceipt.received_at, ParkedReceipt.id)
        .with_for_update()
    )
    return (await session.scalars(query)).all()


async def delete_parked(session: AsyncSession, ids: Sequence[uuid.UUID]) -> None:
    if ids:
        await session.execute(sa.delete(ParkedReceipt).where(ParkedReceipt.id.in_(ids)))


async def parts_of(
    session: AsyncSession, workspace_id: str, message_id: uuid.UUID
) -> Sequence[Submission]:
    query = (
        sa.select(Submission)
        .where(Submission.workspace_id == workspace_id, Submission.message_id == message_id)
        .order_by(Submission.part_index)
    )
    return (await session.scalars(query, execution_options={"populate_existing": True})).all()


async def parts_of_messages(
    session: AsyncSession, messages: Iterable[tuple[str, uuid.UUID]]
) -> dict[tuple[str, uuid.UUID], list[Submission]]:
    """`parts_of` for many `(workspace, message)` in one query."""
    keys = set(messages)
    if not keys:
        return {}
    query = (
        sa.select(Submission)
        .where(sa.tuple_(Submission.workspace_id, Submission.message_id).in_(keys))
        .order_by(Submission.workspace_id, Submission.message_id, Submission.part_index)
    )
    found: dict[tuple[str, uuid.UUID], list[Submission]] = {}
    rows = await session.scalars(query, execution_options={"populate_existing": True})
    for part in rows.all():
        found.setdefault((part.workspace_id, part.message_id), []).append(part)
    return found


async def lock_deliveries(
    session: AsyncSession, messages: Iterable[tuple[str, uuid.UUID]]
) -> dict[tuple[str, uuid.UUID], Delivery]:
    """The delivery rows of `(workspace, message)`s, locked (in key order) by one query."""
    keys = set(messages)
    if not keys:
        return {}
    query = (
        sa.select(Delivery)
        .where(sa.tuple_(Delivery.workspace_id, Delivery.message_id).in_(keys))
        .order_by(Delivery.workspace_id, Delivery.message_id)
        .with_for_update()
    )
    rows = await session.scalars(query, execution_options={"populate_existing": True})
    return {(row.workspace_id, row.message_id): row for row in rows.all()}


async def flush(session: AsyncSession) -> None:
    await session.flush()


async def get_delivery(
    session: AsyncSession, workspace_id: str, message_id: uuid.UUID
) -> Delivery | None:
    query = sa.select(Delivery).where(
        Delivery.workspace_id == workspace_id, Delivery.message_id == message_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def add_inbound(session: AsyncSession, values: dict[str, Any]) -> bool:
    """False when this message was already stored (the same event handled again)."""
    inserted = await session.execute(
        insert(InboundMessage).values(values).on_conflict_do_nothing().returning(InboundMessage.id)
    )
    return inserted.first() is not None


async def inbound_page(
    session: AsyncSession,
    workspace_id: str,
    phone: str | None,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[InboundMessage]:
    """Newest first, keyset-paginated on (received_at, id)."""
    query = sa.select(InboundMessage).where(InboundMessage.workspace_id == workspace_id)
    if phone is not None:
        query = query.where(InboundMessage.phone == phone)
    if before is not None:
        query = query.where(
            sa.tuple_(InboundMessage.received_at, InboundMessage.id)
            < sa.tuple_(
                sa.literal(before[0], sa.DateTime(timezone=True)),
                sa.literal(before[1], UUID(as_uuid=True)),
            )
        )
    query = query.order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
    return (await session.scalars(query.limit(limit))).all()


# ── opt-out reviews and automatic replies ────────────────────────────────────
async def add_review(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(OptoutReview).values(values).on_conflict_do_nothing())


async def claim_reply(
    session: AsyncSession,
    *,
    workspace_id: str,
    phone: str,
    kind: str,
    at: datetime,
    window: timedelta,
    message_id: uuid.UUID,
) -> bool:
    """True when no reply of this kind went to the number in the `window` before `at`; the
    reply is then recorded. One statement: two STOPs handled at once cannot both win."""
    values = insert(AutoReply).values(
        workspace_id=workspace_id, phone=phone, kind=kind, sent_at=at, message_id=message_id
    )
    statement = values.on_conflict_do_update(
        index_elements=["workspace_id", "phone", "kind"],
        set_={"sent_at": values.excluded.sent_at, "message_id": values.excluded.message_id},
        where=AutoReply.sent_at <= sa.literal(at - window, sa.DateTime(timezone=True)),
    ).returning(AutoReply.message_id)
    return (await session.execute(statement)).first() is not None


async def reviews_page(
    session: AsyncSession,
    workspace_id: str,
    status: str | None,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> Sequence[tuple[OptoutReview, InboundMessage]]:
    """Newest first, keyset-paginated on (received_at, id), with each message."""
    query = (
        sa.select(OptoutReview, InboundMessage)
        .join(InboundMessage, InboundMessage.id == OptoutReview.id)
        .where(OptoutReview.workspace_id == workspace_id)
    )
    if status is not None:
        query = query.where(OptoutReview.status == status)
    if before is not None:
        query = query.where(
            sa.tuple_(OptoutReview.received_at, OptoutReview.id)
            < sa.tuple_(
                sa.literal(before[0], sa.DateTime(timezone=True)),
                sa.literal(before[1], UUID(as_uuid=True)),
            )
        )
    query = query.order_by(OptoutReview.received_at.desc(), OptoutReview.id.desc())
    return [(row[0], row[1]) for row in await session.execute(query.limit(limit))]


async def lock_review(
    session: AsyncSession, workspace_id: str, review_id: uuid.UUID
) -> tuple[OptoutReview, InboundMessage] | None:
    query = (
        sa.select(OptoutReview, InboundMessage)
        .join(InboundMessage, InboundMessage.id == OptoutReview.id)
        .where(OptoutReview.workspace_id == workspace_id, OptoutReview.id == review_id)
        .with_for_update(of=OptoutReview)
    )
    row = (await session.execute(query)).first()
    return None if row is None else (row[0], row[1])


# ── erasure (herald_receipts.erasure) ────────────────────────────────────────
async def delete_auto_replies_of(session: AsyncSession, workspace_id: str, phone: str) -> int:
    result = await session.execute(
        sa.delete(AutoReply)
        .where(AutoReply.workspace_id == workspace_id, AutoReply.phone == phone)
        .returning(AutoReply.kind)
    )
    return len(result.all())


async def delete_inbound_of(session: AsyncSession, workspace_id: str, phone: str) -> int:
    result = await session.execute(
        sa.delete(InboundMessage)
        .where(InboundMessage.workspace_id == workspace_id, InboundMessage.phone == phone)
        .returning(InboundMessage.id)
    )
    return len(result.all())


async def blank_delivery_recipients(
    session: AsyncSession, workspace_id: str, phone: str, contact_id: uuid.UUID
) -> int:
    """Blank phone and contact id of the deliveries to the number or to the contact."""
    result = await session.execute(
        sa.update(Delivery)
        .where(
            Delivery.workspace_id == workspace_id,
            sa.or_(Delivery.phone == phone, Delivery.contact_id == contact_id),
        )
        .values(phone=None, contact_id=None)
        .returning(Delivery.message_id)
    )
    return len(result.all())


async def remember_erased_contact(
    session: AsyncSession, workspace_id: str, contact_id: uuid.UUID, erased_at: datetime
) -> None:
    await session.execute(
        insert(ErasedContact)
        .values(workspace_id=workspace_id, contact_id=contact_id, erased_at=erased_at)
        .on_conflict_do_nothing()
    )


async def is_erased_contact(
    session: AsyncSession, workspace_id: str, contact_id: uuid.UUID
) -> bool:
    query = sa.select(sa.literal(True)).where(
        ErasedContact.workspace_id == workspace_id, ErasedContact.contact_id == contact_id
    )
    return (await session.scalar(query)) is not None


async def erased_contacts(
    session: AsyncSession, contacts: Iterable[tuple[str, uuid.UUID]]
) -> set[tuple[str, uuid.UUID]]:
    """Which of these `(workspace, contact)` were erased (`is_erased_contact` at once)."""
    pairs = set(contacts)
    if not pairs:
        return set()
    query = sa.select(ErasedContact.workspace_id, ErasedContact.contact_id).where(
        sa.tuple_(ErasedContact.workspace_id, ErasedContact.contact_id).in_(pairs)
    )
    return {(row.workspace_id, row.contact_id) for row in await session.execute(query)}


async def parked_senders(
    session: AsyncSession, workspace_id: str
) -> Sequence[tuple[uuid.UUID, str]]:
    """`(id, source)` of the workspace's parked receipts that still name a number."""
    source = ParkedReceipt.payload["source"].astext
    query = sa.select(ParkedReceipt.id, source).where(
        ParkedReceipt.workspace_id == workspace_id, source != ""
    )
    return [(row[0], row[1]) for row in await session.execute(query)]


async def blank_parked_sources(session: AsyncSession, ids: Sequence[uuid.UUID]) -> None:
    if ids:
        await session.execute(
            sa.update(ParkedReceipt)
            .where(ParkedReceipt.id.in_(ids))
            .values(payload=ParkedReceipt.payload.op("||")(sa.literal({"source": ""}, JSONB)))
        )
