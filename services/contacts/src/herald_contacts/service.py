"""Use cases of the contacts service. They never commit: the entrypoint owns the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from herald_compliance.phones import InvalidPhone, normalise_phone
from herald_contacts import contact_fields, gdpr, repository
from herald_contacts.errors import ContactAlreadyExists, ContactNotFound
from herald_contacts.models import Contact
from herald_contacts.schemas import ContactCreate, ContactUpdate
from herald_events.models.contacts import ContactUpdatedV1
from herald_kit.errors import Unprocessable
from herald_kit.ids import uuid7
from herald_kit.logs import mask_phone
from herald_kit.outbox import Outbox

TOPIC = "contact.updated"


def _now() -> datetime:
    return datetime.now(UTC)


def to_event(contact: Contact) -> ContactUpdatedV1:
    """The contact's full state: every column but workspace_id (the envelope's)."""
    return ContactUpdatedV1(
        contact_id=contact.id,
        phone=contact.phone,
        country=contact.country,
        timezone=contact.timezone,
        locale=contact.locale,
        first_name=contact.first_name,
        last_name=contact.last_name,
        email=contact.email,
        attributes=contact.attributes,
        tags=contact.tags,
        lists=contact.lists,
        lifecycle=contact.lifecycle,
        reachable=contact.reachable,
        created_at=contact.created_at,
        updated_at=contact.updated_at,
        timezone_source=contact.timezone_source,
        timezone_ambiguous=contact.timezone_ambiguous,
        orders_count=contact.orders_count,
        total_spent=contact.total_spent,
        last_order_at=contact.last_order_at,
        last_click_at=contact.last_click_at,
        last_reply_at=contact.last_reply_at,
        unreachable_reason=contact.unreachable_reason,
        unreachable_at=contact.unreachable_at,
    )


async def _publish(session: AsyncSession, outbox: Outbox, contact: Contact) -> None:
    envelope = outbox.envelope(TOPIC, to_event(contact), workspace_id=contact.workspace_id)
    await outbox.add(session, TOPIC, str(contact.id), envelope)


async def publish_state(session: AsyncSession, outbox: Outbox, contact: Contact) -> None:
    """Stage the contact's full current state on `contact.updated` (for other use cases)."""
    await _publish(session, outbox, contact)


async def create_contact(
    session: AsyncSession,
    outbox: Outbox,
    workspace_id: str,
    data: ContactCreate,
    default_region: str,
) -> Contact:
    try:
        phone = normalise_phone(data.phone, default_region)
    except InvalidPhone as error:
        raise Unprocessable(f"phone: {error}") from error
    if await repository.get_by_phone(session, workspace_id, phone.e164) is not None:
        raise ContactAlreadyExists(mask_phone(phone.e164))
    fields = await contact_fields.creation_fields(session, workspace_id, data, phone.e164)
    now = _now()
    contact = Contact(
        id=uuid7(),
        workspace_id=workspace_id,
        phone=phone.e164,
        country=phone.country,
        locale=data.locale,
        first_name=data.first_name,
        last_name=data.last_name,
        email=str(data.email) if data.email else None,
        orders_count=0,
        total_spent=Decimal(0),
        created_at=now,
        updated_at=now,
        **fields,
    )
    try:
        async with session.begin_nested():
            await repository.add(session, contact)
    except IntegrityError as error:  # a concurrent create of the same phone
        raise ContactAlreadyExists(mask_phone(phone.e164)) from error
    await _publish(session, outbox, contact)
    return contact


async def get_contact(session: AsyncSession, workspace_id: str, contact_id: uuid.UUID) -> Contact:
    contact = await repository.get(session, workspace_id, contact_id)
    if contact is None:
        raise ContactNotFound()
    return contact


async def update_contact(
    session: AsyncSession,
    outbox: Outbox,
    workspace_id: str,
    contact_id: uuid.UUID,
    data: ContactUpdate,
) -> Contact:
    # Locked: the event carries the whole row, so a concurrent change (an order, a reply)
    # must not slip between this read and the write (the topic's last word would be stale).
    contact = await repository.get_for_update(session, workspace_id, contact_id)
    if contact is None:
        raise ContactNotFound()
    now = _now()
    await contact_fields.apply_update(session, contact, data, now)
    contact.updated_at = now
    await session.flush()
    await _publish(session, outbox, contact)
    return contact


async def erase_contact(
    session: AsyncSession, outbox: Outbox, workspace_id: str, contact_id: uuid.UUID
) -> None:
    """GDPR erasure, in one transaction: see herald_contacts.gdpr."""
    await gdpr.erase_contact(session, outbox, workspace_id, contact_id)


async def list_contacts(
    session: AsyncSession, workspace_id: str, after: uuid.UUID | None, limit: int
) -> Sequence[Contact]:
    return await repository.page(session, workspace_id, after, limit)


async def record_order(
    session: AsyncSession,
    outbox: Outbox,
    workspace_id: str,
    phone: str,
    total: Decimal,
    placed_at: datetime,
) -> None:
    """Keep purchase statistics current from `commerce.events` (order.placed)."""
    contact = await repository.get_by_phone_for_update(session, workspace_id, phone)
    if contact is None:
        return
    contact.orders_count += 1
    contact.total_spent += total
    if contact.last_order_at is None or placed_at > contact.last_order_at:
        contact.last_order_at = placed_at
    contact.updated_at = _now()
    await session.flush()
    await _publish(session, outbox, contact)
