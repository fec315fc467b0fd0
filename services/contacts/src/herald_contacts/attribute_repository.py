"""Queries on declared attribute types (`attribute_definition`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from herald_contacts.domain.attribute_types import AttributeType
from herald_contacts.models import AttributeDefinition, Contact


async def schema(session: AsyncSession, workspace_id: str) -> dict[str, AttributeType]:
    query = sa.select(AttributeDefinition.name, AttributeDefinition.type).where(
        AttributeDefinition.workspace_id == workspace_id
    )
    return {name: AttributeType(kind) for name, kind in (await session.execute(query)).all()}


async def all_of(session: AsyncSession, workspace_id: str) -> Sequence[AttributeDefinition]:
    query = (
        sa.select(AttributeDefinition)
        .where(AttributeDefinition.workspace_id == workspace_id)
        .order_by(AttributeDefinition.name)
    )
    return (await session.scalars(query)).all()


async def insert_if_absent(
    session: AsyncSession, workspace_id: str, name: str, kind: AttributeType, now: datetime
) -> bool:
    """True when this call declared it (a concurrent declaration of the same name waits)."""
    statement = (
        insert(AttributeDefinition)
        .values(workspace_id=workspace_id, name=name, type=kind, created_at=now, updated_at=now)
        .on_conflict_do_nothing()
        .returning(AttributeDefinition.name)
    )
    return (await session.execute(statement)).first() is not None


async def get_for_update(
    session: AsyncSession, workspace_id: str, name: str
) -> AttributeDefinition | None:
    query = (
        sa.select(AttributeDefinition)
        .where(AttributeDefinition.workspace_id == workspace_id, AttributeDefinition.name == name)
        .with_for_update()
    )
    return (await session.scalars(query)).one_or_none()


async def is_held_by_a_contact(session: AsyncSession, workspace_id: str, name: str) -> bool:
    holds = Contact.__table__.c.attributes.bool_op("?")(name)
    query = sa.select(sa.exists().where(Contact.workspace_id == workspace_id, holds))
    return bool((await session.execute(query)).scalar())
