"""Every query of the consent service."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from herald_consent.domain.chain import GENESIS, Head
from herald_consent.models import (
    IDEMPOTENT_REQUEST,
    ConsentChainHead,
    ConsentEntry,
    ConsentState,
    DoubleOptInRequest,
)


# ── the hash chain (herald_consent.chain) ────────────────────────────────────
async def lock_chain_head(session: AsyncSession, workspace_id: str, now: datetime) -> Head:
    """The workspace's chain head, locked until the transaction ends (created at seq 0 on
    the first append). An upsert whose update changes nothing locks the row like
    SELECT ... FOR UPDATE, and returns the latest committed head after a wait."""
    statement = insert(ConsentChainHead).values(
        workspace_id=workspace_id, seq=0, hash=GENESIS, updated_at=now
    )
    upsert = statement.on_conflict_do_update(
        index_elements=["workspace_id"], set_={"seq": ConsentChainHead.seq}
    ).returning(ConsentChainHead.seq, ConsentChainHead.hash)
    row = (await session.execute(upsert)).one()
    return Head(seq=row.seq, hash=row.hash)


async def append_chained_entries(session: AsyncSession, entries: Sequence[ConsentEntry]) -> None:
    """Insert the entries and move their workspace's head to the last one, in one statement
    (one round trip per append or per run of appends: imports write many). The entries stay
    plain objects, not in the session: the ledger is never updated through the ORM anyway."""
    if not entries:
        return
    columns = ConsentEntry.__table__.c
    rows = [{column.key: getattr(entry, column.key) for column in columns} for entry in entries]
    appended = insert(ConsentEntry).values(rows).cte("appended")
    last = entries[-1]
    await session.execute(
        sa.update(ConsentChainHead)
        .where(ConsentChainHead.workspace_id == last.workspace_id)
        .values(seq=last.seq, hash=last.hash, updated_at=last.created_at)
        .add_cte(appended)
    )


async def chain_head(session: AsyncSession, workspace_id: str) -> Head | None:
    row = (
        await session.execute(
            sa.select(ConsentChainHead.seq, ConsentChainHead.hash).where(
                ConsentChainHead.workspace_id == workspace_id
            )
        )
    ).one_or_none()
    return Head(seq=row.seq, hash=row.hash) if row else None


async def chained_workspaces(session: AsyncSession) -> Sequence[str]:
    """Every workspace with a chain head or a ledger entry."""
    query = sa.union(sa.select(ConsentChainHead.workspace_id), sa.select(ConsentEntry.workspace_id))
    return sorted((await session.scalars(query)).all())


def chain_entries(workspace_id: str, up_to: int | None) -> sa.Select[tuple[ConsentEntry]]:
    """The workspace's chain in order, up to the head read before (entries appended since
    are not the walk's business); the caller streams it."""
    query = sa.select(ConsentEntry).where(ConsentEntry.workspace_id == workspace_id)
    if up_to is not None:
        query = query.where(ConsentEntry.seq <= up_to)
    return query.order_by(ConsentEntry.seq)


async def links_at(
    session: AsyncSession, workspace_id: str, seqs: Sequence[int]
) -> dict[int, tuple[str, str]]:
    """(previous_hash, hash) of the entries at the given positions of a chain."""
    rows = await session.execute(
        sa.select(ConsentEntry.seq, ConsentEntry.previous_hash, ConsentEntry.hash).where(
            ConsentEntry.workspace_id == workspace_id, ConsentEntry.seq.in_(seqs)
        )
    )
    return {row.seq: (row.previous_hash, row.hash) for row in rows}


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
    upsert = _states_upsert(
        [(workspace_id, phone, purpose, brand, status, ledger_entry_id)], now
    ).returning(ConsentState)
    return (
        await session.execute(upsert, execution_options={"populate_existing": True})
    ).scalar_one_or_none()


def _states_upsert(rows: Sequence[tuple[str, str, str, str, str, uuid.UUID]], now: datetime) -> Any:
    """INSERT the states, or UPDATE those whose status differs (returning nothing yet)."""
    statement = insert(ConsentState).values(
        [
            {
                "workspace_id": workspace_id,
                "phone": phone,
                "purpose": purpose,
                "brand": brand,
                "status": status,
                "ledger_entry_id": entry_id,
                "updated_at": now,
            }
            for workspace_id, phone, purpose, brand, status, entry_id in rows
        ]
    )
    return statement.on_conflict_do_update(
        index_elements=["workspace_id", "phone", "purpose", "brand"],
        set_={
            "status": statement.excluded.status,
            "ledger_entry_id": statement.excluded.ledger_entry_id,
            "updated_at": statement.excluded.updated_at,
        },
        where=ConsentState.status != statement.excluded.status,
    )


async def states_of_phones(
    session: AsyncSession, workspace_id: str, phones: Sequence[str]
) -> Sequence[ConsentState]:
    """Every state of these numbers (or pseudonyms) in one query."""
    if not phones:
        return []
    query = sa.select(ConsentState).where(
        ConsentState.workspace_id == workspace_id, ConsentState.phone.in_(phones)
    )
    return (await session.scalars(query)).all()


async def move_states(
    session: AsyncSession,
    workspace_id: str,
    moves: Sequence[tuple[str, str, str, str, uuid.UUID]],
    now: datetime,
) -> set[tuple[str, str, str]]:
    """`move_state` for many `(phone, purpose, brand, status, ledger_entry_id)` at once (one
    per key): the keys whose status changed (or that had none)."""
    if not moves:
        return set()
    upsert = _states_upsert([(workspace_id, *move) for move in moves], now).returning(
        ConsentState.phone, ConsentState.purpose, ConsentState.brand
    )
    result = await session.execute(upsert)
    return {(row.phone, row.purpose, row.brand) for row in result}


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


async def key_history(
    session: AsyncSession, workspace_id: str, phone: str, purpose: str, brand: str
) -> list[str]:
    """The actions of one (phone, purpose, brand) in chain order, oldest first."""
    query = (
        sa.select(ConsentEntry.action)
        .where(
            ConsentEntry.workspace_id == workspace_id,
            ConsentEntry.phone == phone,
            ConsentEntry.purpose == purpose,
            ConsentEntry.brand == brand,
        )
        .order_by(ConsentEntry.seq)
    )
    return list((await session.scalars(query)).all())


# ── double opt-in (herald_consent.double_opt_in) ─────────────────────────────
async def supersede_pending_requests(
    session: AsyncSession, workspace_id: str, phone: str, purpose: str, brand: str
) -> int:
    result = await session.execute(
        sa.update(DoubleOptInRequest)
        .where(
            DoubleOptInRequest.workspace_id == workspace_id,
            DoubleOptInRequest.phone == phone,
            DoubleOptInRequest.purpose == purpose,
            DoubleOptInRequest.brand == brand,
            DoubleOptInRequest.status == "pending",
        )
        .values(status="superseded")
        .returning(DoubleOptInRequest.id),
        execution_options={"synchronize_session": False},
    )
    return len(result.all())


def add_request(session: AsyncSession, request: DoubleOptInRequest) -> None:
    session.add(request)


async def get_request(
    session: AsyncSession, workspace_id: str, request_id: uuid.UUID
) -> DoubleOptInRequest | None:
    query = sa.select(DoubleOptInRequest).where(
        DoubleOptInRequest.workspace_id == workspace_id, DoubleOptInRequest.id == request_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def lock_request_by_token(
    session: AsyncSession, token_hash: str
) -> DoubleOptInRequest | None:
    """The request a link token belongs to (any workspace: the token is the credential),
    locked until the transaction ends, so a link and a reply cannot both confirm it."""
    query = (
        sa.select(DoubleOptInRequest)
        .where(DoubleOptInRequest.token_hash == token_hash)
        .with_for_update()
    )
    return (await session.execute(query)).scalar_one_or_none()


async def lock_latest_pending_request(
    session: AsyncSession, workspace_id: str, phone: str, before: datetime
) -> DoubleOptInRequest | None:
    """The number's newest pending request made at or before `before`, locked."""
    query = (
        sa.select(DoubleOptInRequest)
        .where(
            DoubleOptInRequest.workspace_id == workspace_id,
            DoubleOptInRequest.phone == phone,
            DoubleOptInRequest.status == "pending",
            DoubleOptInRequest.created_at <= before,
        )
        .order_by(DoubleOptInRequest.created_at.desc(), DoubleOptInRequest.id.desc())
        .limit(1)
        .with_for_update()
    )
    return (await session.execute(query)).scalar_one_or_none()


async def delete_requests_of(session: AsyncSession, workspace_id: str, phone: str) -> int:
    result = await session.execute(
        sa.delete(DoubleOptInRequest)
        .where(DoubleOptInRequest.workspace_id == workspace_id, DoubleOptInRequest.phone == phone)
        .returning(DoubleOptInRequest.id),
        execution_options={"synchronize_session": False},
    )
    return len(result.all())


# ── erasure (herald_consent.erasure) ─────────────────────────────────────────
async def pseudonymise_entries(
    session: AsyncSession,
    workspace_id: str,
    phone: str,
    pseudonym: str,
    drop_evidence: Sequence[str],
) -> int:
    """The one sanctioned change to the ledger: `consent_entry_pseudonymise` (migration
    c1a2) swaps the number for its pseudonym and drops the named evidence fields."""
    changed = await session.scalar(
        sa.select(
            sa.func.consent_entry_pseudonymise(
                workspace_id, phone, pseudonym, sa.cast(list(drop_evidence), ARRAY(sa.Text))
            )
        )
    )
    return int(changed or 0)


async def drop_superseded_erased_states(
    session: AsyncSession, workspace_id: str, phone: str, pseudonym: str
) -> None:
    """Pseudonymised states that a state of the number itself replaced since."""
    current = aliased(ConsentState)
    await session.execute(
        sa.delete(ConsentState).where(
            ConsentState.workspace_id == workspace_id,
            ConsentState.phone == pseudonym,
            sa.exists().where(
                current.workspace_id == workspace_id,
                current.phone == phone,
                current.purpose == ConsentState.purpose,
                current.brand == ConsentState.brand,
            ),
        )
    )


async def delete_states(session: AsyncSession, workspace_id: str, phone: str, status: str) -> int:
    result = await session.execute(
        sa.delete(ConsentState)
        .where(
            ConsentState.workspace_id == workspace_id,
            ConsentState.phone == phone,
            ConsentState.status == status,
        )
        .returning(ConsentState.purpose)
    )
    return len(result.all())


async def rename_states(
    session: AsyncSession, workspace_id: str, phone: str, new_phone: str
) -> int:
    """Move the states of `phone` to `new_phone`, except where `new_phone` already has one."""
    taken = aliased(ConsentState)
    result = await session.execute(
        sa.update(ConsentState)
        .where(
            ConsentState.workspace_id == workspace_id,
            ConsentState.phone == phone,
            ~sa.exists().where(
                taken.workspace_id == workspace_id,
                taken.phone == new_phone,
                taken.purpose == ConsentState.purpose,
                taken.brand == ConsentState.brand,
            ),
        )
        .values(phone=new_phone)
        .returning(ConsentState.purpose),
        execution_options={"synchronize_session": False},
    )
    return len(result.all())


async def delete_all_states(session: AsyncSession, workspace_id: str, phone: str) -> None:
    await session.execute(
        sa.delete(ConsentState).where(
            ConsentState.workspace_id == workspace_id, ConsentState.phone == phone
        )
    )


async def delete_requests_naming(session: AsyncSession, workspace_id: str, phone: str) -> int:
    """Stored Idempotency-Key answers that quote the number (and its evidence)."""
    answer = IDEMPOTENT_REQUEST.c.response
    result = await session.execute(
        sa.delete(IDEMPOTENT_REQUEST)
        .where(
            IDEMPOTENT_REQUEST.c.workspace_id == workspace_id,
            sa.or_(
                answer.contains({"entry": {"phone": phone}}),
                answer.contains({"entries": [{"phone": phone}]}),
                answer.contains({"phone": phone}),  # a double opt-in request's answer
            ),
        )
        .returning(IDEMPOTENT_REQUEST.c.key)
    )
    return len(result.all())
