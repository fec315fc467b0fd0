"""Every query of the consent service."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from herald_consent.models import ConsentEntry, ConsentState, IdempotentRequest


async def add_entry(session: AsyncSession, entry: ConsentEntry) -> None:
    session.add(entry)
    await session.flush()


async def move_state(
    session: AsyncSession,
    *,
    workspace_id: str,
    phone: str,
    purpose: str,
    brand: str,
    status: str,
    ledger_entry_id: uuid.UUID,
    now: datetime,
) -> ConsentState | None:
    """Insert the state, or update it when its status differs: one atomic statement, so two
    concurrent writers cannot both see "unchanged". The new row, or None when unchanged."""
    values = {
        "workspace_id": workspace_id,
        "phone": phone,
        "purpose": purpose,
        "brand": brand,
        "status": status,
        "ledger_entry_id": ledger_entry_id,
        "updated_at": now,
    }
    statement = insert(ConsentState).values(values)
    upsert = statement.on_conflict_do_update(
        index_elements=["workspace_id", "phone", "purpose", "brand"],
        set_={
            "status": statement.excluded.status,
            "ledger_entry_id": statement.excluded.ledger_entry_id,
            "updated_at": statement.excluded.updated_at,
        },
        where=ConsentState.status != statement.excluded.status,
    ).returning(ConsentState)
    return (
        await session.execute(upsert, execution_options={"populate_existing": True})
    ).scalar_one_or_none()


async def get_state(
    session: AsyncSession, workspace_id: str, phone: str, purpose: str, brand: str
) -> ConsentState | None:
    query = sa.select(ConsentState).where(
        ConsentState.workspace_id == workspace_id,
        ConsentState.phone == phone,
        ConsentState.purpose == purpose,
        ConsentState.brand == brand,
    )
    return (await session.execute(query)).scalar_one_or_none()


async def states_of(session: AsyncSession, workspace_id: str, phone: str) -> Sequence[ConsentState]:
    query = (
        sa.select(ConsentState)
        .where(ConsentState.workspace_id == workspace_id, ConsentState.phone == phone)
        .order_by(ConsentState.purpose, ConsentState.brand)
    )
    return (await session.scalars(query)).all()


async def entries_of(
    session: AsyncSession, workspace_id: str, phone: str
) -> Sequence[ConsentEntry]:
    query = (
        sa.select(ConsentEntry)
        .where(ConsentEntry.workspace_id == workspace_id, ConsentEntry.phone == phone)
        .order_by(ConsentEntry.created_at, ConsentEntry.id)
    )
    return (await session.scalars(query)).all()


async def get_request(
    session: AsyncSession, workspace_id: str, key: str
) -> IdempotentRequest | None:
    query = sa.select(IdempotentRequest).where(
        IdempotentRequest.workspace_id == workspace_id, IdempotentRequest.key == key
    )
    return (
        await session.execute(query, execution_options={"populate_existing": True})
    ).scalar_one_or_none()


async def add_request(session: AsyncSession, request: IdempotentRequest) -> None:
    session.add(request)
    await session.flush()


async def set_response(
    session: AsyncSession, workspace_id: str, key: str, response: dict[str, Any]
) -> None:
    await session.execute(
        sa.update(IdempotentRequest)
        .where(IdempotentRequest.workspace_id == workspace_id, IdempotentRequest.key == key)
        .values(response=response)
    )
