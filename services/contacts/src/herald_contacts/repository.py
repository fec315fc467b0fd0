"""Every query of the contacts service."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from herald_contacts.models import Contact


async def get(session: AsyncSession, workspace_id: str, contact_id: uuid.UUID) -> Contact | None:
    query = sa.select(Contact).where(Contact.workspace_id == workspace_id, Contact.id == contact_id)
    return (await session.execute(query)).scalar_one_or_none()


async def get_by_phone(session: AsyncSession, workspace_id: str, phone: str) -> Contact | None:
    query = sa.select(Contact).where(Contact.workspace_id == workspace_id, Contact.phone == phone)
    return (await session.execute(query)).scalar_one_or_none()


async def add(session: AsyncSession, contact: Contact) -> None:
    session.add(contact)
    await session.flush()


async def delete(session: AsyncSession, contact: Contact) -> None:
    await session.delete(contact)
    await session.flush()


async def page(
    session: AsyncSession,
    workspace_id: str,
    after: uuid.UUID | None,
    limit: int,
    condition: sa.ColumnElement[bool] | None = None,
) -> Sequence[Contact]:
    """Contacts in id order after `after`, among those meeting `condition` (a segment's)."""
    query = sa.select(Contact).where(Contact.workspace_id == workspace_id)
    if condition is not None:
        query = query.where(condition)
    if after is not None:
        query = query.where(Contact.id > after)
    return (await session.scalars(query.order_by(Contact.id).limit(limit))).all()


async def stream_all(
    session: AsyncSession,
    workspace_id: str,
    after: uuid.UUID | None = None,
    chunk: int = 5000,
    condition: sa.ColumnElement[bool] | None = None,
) -> AsyncIterator[Sequence[Contact]]:
    """Keyset-paginated chunks; run inside a REPEATABLE READ transaction for a snapshot."""
    while True:
        rows = await page(session, workspace_id, after, chunk, condition)
        if not rows:
            return
        yield rows
        after = rows[-1].id
        session.expunge_all()


async def get_by_phone_for_update(
    session: AsyncSession, workspace_id: str, phone: str
) -> Contact | None:
    """The contact, locked until the transaction ends: events change it from several
    consumer groups, and each publishes the full state it leaves."""
    query = (
        sa.select(Contact)
        .where(Contact.workspace_id == workspace_id, Contact.phone == phone)
        .with_for_update()
    )
    return (await session.execute(query)).scalar_one_or_none()


async def get_for_update(
    session: AsyncSession, workspace_id: str, contact_id: uuid.UUID
) -> Contact | None:
    """The contact by id, locked until the transaction ends (see get_by_phone_for_update)."""
    query = (
        sa.select(Contact)
        .where(Contact.workspace_id == workspace_id, Contact.id == contact_id)
        .with_for_update()
    )
    return (await session.execute(query)).scalar_one_or_none()
