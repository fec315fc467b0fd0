"""Every query of the dispatcher service."""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Final, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from herald_dispatcher.models import (
    CampaignView,
    ConsentView,
    ErasedContact,
    ErasedOptout,
    Message,
    SendingRules,
)

MESSAGE: Final = cast(sa.Table, Message.__table__)
# Advisory locks of live senders: (class, key) pairs, apart from the kit's one-key locks.
SENDER_LOCK_CLASS: Final = 0x44_49_53_50  # "DISP"


CLAIMED_COLUMNS: Final = tuple(
    MESSAGE.c[name]
    for name in (
        "message_id",
        "workspace_id",
        "campaign_id",
        "contact_id",
        "phone",
        "text",
        "category",
        "brand",
        "sender",
        "expires_at",
        "segments",
        "encoding",
        "attempts",
        "priority",
        "reply_kind",
        "cap_policy",
    )
)
# Statuses of messages the gate let go: frequency caps count them.
SENT_STATUSES: Final = ("submitting", "submitted", "in_doubt")


def sender_lock_key(sender_id: uuid.UUID) -> int:
    return zlib.crc32(sender_id.bytes) - 2**31  # a signed int4


# ── requests ─────────────────────────────────────────────────────────────────
async def insert_message(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert a queued message; False when its id is already in the ledger."""
    result = await session.execute(
        insert(Message)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[Message.message_id])
        .returning(Message.message_id)
    )
    return result.first() is not None


async def insert_messages(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Insert queued messages (one statement per thousand rows); how many were new."""
    if not rows:
        return 0
    result = await session.execute(
        insert(MESSAGE)
        .on_conflict_do_nothing(index_elements=[MESSAGE.c.message_id])
        .returning(MESSAGE.c.message_id),
        list(rows),
    )
    return len(result.all())


async def get_message(
    session: AsyncSession, workspace_id: str, message_id: uuid.UUID
) -> Message | None:
    query = sa.select(Message).where(
        Message.workspace_id == workspace_id, Message.message_id == message_id
    )
    return (await session.execute(query)).scalar_one_or_none()


# ── projections ──────────────────────────────────────────────────────────────
async def upsert_consent(
    session: AsyncSession,
    rows: Iterable[tuple[str, str, str, str]],
    *,
    workspace_id: str,
    changed_at: datetime,
) -> None:
    """Set `(phone, purpose, brand) -> status`; an older fact never overwrites a newer one."""
    await upsert_consent_facts(
        session,
        ((phone, purpose, brand, status, changed_at) for phone, purpose, brand, status in rows),
        workspace_id=workspace_id,
    )


async def upsert_consent_facts(
    session: AsyncSession,
    facts: Iterable[tuple[str, str, str, str, datetime]],
    *,
    workspace_id: str,
) -> None:
    """`(phone, purpose, brand, status, changed_at)` facts in one statement (the newest per
    key when one repeats); an older fact never overwrites a newer one."""
    newest: dict[tuple[str, str, str], tuple[str, datetime]] = {}
    for phone, purpose, brand, status, changed_at in facts:
        known = newest.get((phone, purpose, brand))
        if known is None or known[1] <= changed_at:
            newest[(phone, purpose, brand)] = (status, changed_at)
    if not newest:
        return
    values = [
        {
            "workspace_id": workspace_id,
            "phone": phone,
            "purpose": purpose,
            "brand": brand,
            "status": status,
            "updated_at": changed_at,
        }
        for (phone, purpose, brand), (status, changed_at) in newest.items()
    ]
    statement = insert(ConsentView).values(values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[
                ConsentView.workspace_id,
                ConsentView.phone,
                ConsentView.purpose,
                ConsentView.brand,
            ],
            set_={"status": statement.excluded.status, "updated_at": statement.excluded.updated_at},
            where=ConsentView.updated_at <= statement.excluded.updated_at,
        )
    )


async def upsert_campaign(
    session: AsyncSession,
    *,
    campaign_id: uuid.UUID,
    workspace_id: str,
    state: str,
    changed_at: datetime,
) -> None:
    """Record a campaign's state: newer facts win, a cancellation is final, and another
    workspace cannot touch the row."""
    statement = insert(CampaignView).values(
        campaign_id=campaign_id, workspace_id=workspace_id, state=state, updated_at=changed_at
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[CampaignView.campaign_id],
            set_={"state": statement.excluded.state, "updated_at": statement.excluded.updated_at},
            where=sa.and_(
                CampaignView.workspace_id == statement.excluded.workspace_id,
                CampaignView.updated_at <= statement.excluded.updated_at,
                CampaignView.state != "cancelled",
            ),
        )
    )


# ── the sender ───────────────────────────────────────────────────────────────
async def claim_due(session: AsyncSession, limit: int, now: datetime) -> Sequence[sa.Row[Any]]:
    """Lock up to `limit` due queued messages, most urgent first. Messages of a paused
    campaign are left alone unless they expired (then they are claimed to be suppressed).
    Plain rows, not ORM objects: this is the sender's hot path."""
    paused = sa.exists().where(
        CampaignView.campaign_id == MESSAGE.c.campaign_id,
        CampaignView.workspace_id == MESSAGE.c.workspace_id,
        CampaignView.state == "paused",
    )
    query = (
        sa.select(*CLAIMED_COLUMNS)
        .where(
            MESSAGE.c.status == "queued",
            MESSAGE.c.next_attempt_at <= now,
            sa.or_(MESSAGE.c.expires_at <= now, ~paused),
        )
        .order_by(MESSAGE.c.priority, MESSAGE.c.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True, of=MESSAGE)
    )
    return (await session.execute(query)).all()


async def consent_rows(
    session: AsyncSession, keys: Iterable[tuple[str, str]]
) -> Sequence[sa.Row[Any]]:
    """Consent rows `(workspace_id, phone, purpose, brand, status, updated_at)` of
    `(workspace_id, phone)` pairs."""
    pairs = set(keys)
    if not pairs:
        return []
    table = ConsentView.__table__
    query = sa.select(
        table.c.workspace_id,
        table.c.phone,
        table.c.purpose,
        table.c.brand,
        table.c.status,
        table.c.updated_at,
    ).where(
        table.c.phone.in_(sorted({phone for _, phone in pairs})),
        table.c.workspace_id.in_(sorted({workspace for workspace, _ in pairs})),
    )
    rows = (await session.execute(query)).all()
    return [row for row in rows if (row.workspace_id, row.phone) in pairs]


async def campaign_states(
    session: AsyncSession, keys: Iterable[tuple[str, uuid.UUID]]
) -> dict[tuple[str, uuid.UUID], str]:
    """`(workspace_id, campaign_id) -> state` for the campaigns that have one."""
    pairs = set(keys)
    if not pairs:
        return {}
    ids = sorted({campaign_id for _, campaign_id in pairs})
    query = sa.select(CampaignView).where(CampaignView.campaign_id.in_(ids))
    rows = (await session.scalars(query)).all()
    return {
        (r.workspace_id, r.campaign_id): r.state
        for r in rows
        if (r.workspace_id, r.campaign_id) in pairs
    }


async def _execute_many(
    session: AsyncSession, statement: sa.Update, params: list[dict[str, Any]]
) -> None:
    if params:
        connection = await session.connection()
        await connection.execute(statement, params)


def _by_id() -> sa.ColumnElement[bool]:
    return MESSAGE.c.message_id == sa.bindparam("b_message_id")


async def mark_submitting(
    session: AsyncSession, ids: Sequence[uuid.UUID], sender_id: uuid.UUID, now: datetime
) -> None:
    if not ids:
        return
    await session.execute(
        sa.update(MESSAGE)
        .where(MESSAGE.c.message_id.in_(ids), MESSAGE.c.status == "queued")
        .values(
            status="submitting",
            claimed_by=sender_id,
            attempts=MESSAGE.c.attempts + 1,
            sent_at=now,
            updated_at=now,
        )
    )


async def mark_suppressed(
    session: AsyncSession, reasons: Sequence[tuple[uuid.UUID, str]], now: datetime
) -> None:
    await _execute_many(
        session,
        sa.update(MESSAGE)
        .where(_by_id())
        .values(status="suppressed", suppression_reason=sa.bindparam("b_reason"), updated_at=now),
        [{"b_message_id": message_id, "b_reason": reason} for message_id, reason in reasons],
    )


async def recheck_later(
    session: AsyncSession, ids: Sequence[uuid.UUID], until: datetime, now: datetime
) -> None:
    """Leave queued messages (of a paused campaign) to be looked at again at `until`."""
    if ids:
        await session.execute(
            sa.update(MESSAGE)
            .where(MESSAGE.c.message_id.in_(ids))
            .values(next_attempt_at=until, updated_at=now)
        )


async def mark_held(
    session: AsyncSession,
    rows: Sequence[tuple[uuid.UUID, datetime, str, str | None]],
    now: datetime,
) -> None:
    """Held by the sending rules: `(message_id, held_until, reason, rule)`."""
    await _execute_many(
        session,
        sa.update(MESSAGE)
        .where(_by_id(), MESSAGE.c.status == "queued")
        .values(
            status="held",
            held_until=sa.bindparam("b_until"),
            next_attempt_at=sa.bindparam("b_until"),
            hold_reason=sa.bindparam("b_reason"),
            rule=sa.bindparam("b_rule"),
            updated_at=now,
        ),
        [
            {"b_message_id": message_id, "b_until": until, "b_reason": reason, "b_rule": rule}
            for message_id, until, reason, rule in rows
        ],
    )


async def release_held(session: AsyncSession, now: datetime, limit: int) -> int:
    """Put up to `limit` held messages whose `held_until` has come back in the queue (they
    are decided again when claimed); how many. Locked rows are another sweeper's."""
    due = (
        sa.select(MESSAGE.c.message_id)
        .where(MESSAGE.c.status == "held", MESSAGE.c.held_until <= now)
        .order_by(MESSAGE.c.held_until)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    result = await session.execute(
        sa.update(MESSAGE)
        .where(MESSAGE.c.message_id.in_(due))
        .values(status="queued", next_attempt_at=now, updated_at=now)
        .returning(MESSAGE.c.message_id)
    )
    return len(result.all())


async def release_campaign(
    session: AsyncSession, workspace_id: str, campaign_id: uuid.UUID, now: datetime
) -> int:
    """Put a campaign's held messages back in the queue at once (it was cancelled: the
    next claim suppresses them)."""
    result = await session.execute(
        sa.update(MESSAGE)
        .where(
            MESSAGE.c.workspace_id == workspace_id,
            MESSAGE.c.campaign_id == campaign_id,
            MESSAGE.c.status == "held",
        )
        .values(status="queued", next_attempt_at=now, updated_at=now)
        .returning(MESSAGE.c.message_id)
    )
    return len(result.all())


async def recent_sends(
    session: AsyncSession, keys: Iterable[tuple[str, str]], since: datetime
) -> Sequence[sa.Row[Any]]:
    """`(workspace_id, phone, sent_at, category, campaign_id)` of the messages the gate let
    go to `(workspace_id, phone)` pairs after `since`: the history frequency caps count."""
    pairs = set(keys)
    if not pairs:
        return []
    query = sa.select(
        MESSAGE.c.workspace_id,
        MESSAGE.c.phone,
        MESSAGE.c.sent_at,
        MESSAGE.c.category,
        MESSAGE.c.campaign_id,
    ).where(
        sa.tuple_(MESSAGE.c.workspace_id, MESSAGE.c.phone).in_(sorted(pairs)),
        MESSAGE.c.sent_at > since,
        MESSAGE.c.status.in_(SENT_STATUSES),
    )
    return (await session.execute(query)).all()


async def sending_rules_of(
    session: AsyncSession, workspace_ids: Iterable[str]
) -> dict[str, SendingRules]:
    ids = sorted(set(workspace_ids))
    if not ids:
        return {}
    rows = (
        await session.scalars(sa.select(SendingRules).where(SendingRules.workspace_id.in_(ids)))
    ).all()
    return {row.workspace_id: row for row in rows}


async def put_sending_rules(
    session: AsyncSession,
    workspace_id: str,
    packs: list[dict[str, Any]],
    caps: list[dict[str, Any]],
    now: datetime,
) -> None:
    statement = insert(SendingRules).values(
        workspace_id=workspace_id, packs=packs, caps=caps, updated_at=now
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[SendingRules.workspace_id],
            set_={"packs": packs, "caps": caps, "updated_at": now},
        )
    )


async def delete_sending_rules(session: AsyncSession, workspace_id: str) -> bool:
    result = await session.execute(
        sa.delete(SendingRules)
        .where(SendingRules.workspace_id == workspace_id)
        .returning(SendingRules.workspace_id)
    )
    return result.first() is not None


# The sender that wrote `submitting` settles its own rows; after a crash another sender may
# have marked them in doubt already, and the real answer, when it comes, is better.
def _settleable() -> sa.ColumnElement[bool]:
    return sa.or_(MESSAGE.c.status == "submitting", MESSAGE.c.status == "in_doubt")


async def mark_submitted(
    session: AsyncSession, rows: Sequence[tuple[uuid.UUID, str, list[str]]], now: datetime
) -> None:
    await _execute_many(
        session,
        sa.update(MESSAGE)
        .where(_by_id(), _settleable())
        .values(
            status="submitted",
            route=sa.bindparam("b_route"),
            provider_message_ids=sa.bindparam("b_ids"),
            last_error=None,
            claimed_by=None,
            updated_at=now,
        ),
        [
            {"b_message_id": message_id, "b_route": route, "b_ids": ids}
            for message_id, route, ids in rows
        ],
    )


async def mark_requeued(
    session: AsyncSession,
    rows: Sequence[tuple[uuid.UUID, datetime, str, int]],
    now: datetime,
) -> None:
    """Back to the queue: `(message_id, next_attempt_at, last_error, attempts_refund)`."""
    await _execute_many(
        session,
        sa.update(MESSAGE)
        .where(_by_id(), MESSAGE.c.status == "submitting")
        .values(
            status="queued",
            next_attempt_at=sa.bindparam("b_next"),
            last_error=sa.bindparam("b_error"),
            attempts=MESSAGE.c.attempts - sa.bindparam("b_refund", type_=sa.Integer),
            claimed_by=None,
            updated_at=now,
        ),
        [
            {"b_message_id": message_id, "b_next": at, "b_error": error, "b_refund": refund}
            for message_id, at, error, refund in rows
        ],
    )


async def mark_final(
    session: AsyncSession,
    status: str,
    rows: Sequence[tuple[uuid.UUID, str | None, list[str]]],
    now: datetime,
) -> None:
    """`failed` or `in_doubt`: `(message_id, last_error, provider ids known so far)`."""
    await _execute_many(
        session,
        sa.update(MESSAGE)
        .where(_by_id(), _settleable())
        .values(
            status=status,
            last_error=sa.bindparam("b_error"),
            provider_message_ids=sa.bindparam("b_ids"),
            claimed_by=None if status == "failed" else MESSAGE.c.claimed_by,
            updated_at=now,
        ),
        [
            {"b_message_id": message_id, "b_error": error, "b_ids": ids}
            for message_id, error, ids in rows
        ],
    )


async def senders_with_submitting(session: AsyncSession, me: uuid.UUID) -> list[uuid.UUID]:
    query = (
        sa.select(MESSAGE.c.claimed_by)
        .where(MESSAGE.c.status == "submitting", MESSAGE.c.claimed_by != me)
        .distinct()
    )
    return [row for row in (await session.scalars(query)).all() if row is not None]


async def lock_sender(connection: AsyncConnection, sender_id: uuid.UUID) -> None:
    """Held by a live sender for its whole life, on a connection of its own."""
    await connection.execute(
        sa.select(sa.func.pg_advisory_lock(SENDER_LOCK_CLASS, sender_lock_key(sender_id)))
    )


async def ping(connection: AsyncConnection) -> None:
    await connection.execute(sa.select(1))


async def sender_is_gone(session: AsyncSession, sender_id: uuid.UUID) -> bool:
    """True when no live session holds the sender's lock (taken for this transaction)."""
    locked = await session.scalar(
        sa.select(sa.func.pg_try_advisory_xact_lock(SENDER_LOCK_CLASS, sender_lock_key(sender_id)))
    )
    return bool(locked)


async def mark_abandoned_in_doubt(
    session: AsyncSession, sender_id: uuid.UUID, now: datetime
) -> int:
    result = await session.execute(
        sa.update(MESSAGE)
        .where(MESSAGE.c.status == "submitting", MESSAGE.c.claimed_by == sender_id)
        .values(
            status="in_doubt",
            last_error="the sender stopped before the gateway answered",
            updated_at=now,
        )
        .returning(MESSAGE.c.message_id)
    )
    return len(result.all())


# ── erasure (herald_dispatcher.erasure) ──────────────────────────────────────
async def lock_messages_of(
    session: AsyncSession, workspace_id: str, phone: str
) -> Sequence[sa.Row[Any]]:
    """`(message_id, status)` of the number's messages, locked: the sender's claim skips
    them until the erasure commits."""
    query = (
        sa.select(MESSAGE.c.message_id, MESSAGE.c.status)
        .where(MESSAGE.c.workspace_id == workspace_id, MESSAGE.c.phone == phone)
        .with_for_update()
    )
    return (await session.execute(query)).all()


async def suppress_queued_of(
    session: AsyncSession, workspace_id: str, phone: str, reason: str, now: datetime
) -> Sequence[sa.Row[Any]]:
    """Suppress the number's queued messages; their `(message_id, campaign_id, category)`."""
    result = await session.execute(
        sa.update(MESSAGE)
        .where(
            MESSAGE.c.workspace_id == workspace_id,
            MESSAGE.c.phone == phone,
            MESSAGE.c.status.in_(("queued", "held")),
        )
        .values(status="suppressed", suppression_reason=reason, updated_at=now)
        .returning(MESSAGE.c.message_id, MESSAGE.c.campaign_id, MESSAGE.c.category)
    )
    return result.all()


async def scrub_messages_of(session: AsyncSession, workspace_id: str, phone: str) -> int:
    """Blank the number and the text of the number's messages; ids, statuses, counts stay."""
    result = await session.execute(
        sa.update(MESSAGE)
        .where(MESSAGE.c.workspace_id == workspace_id, MESSAGE.c.phone == phone)
        .values(phone="", text="")
        .returning(MESSAGE.c.message_id)
    )
    return len(result.all())


async def scrub_messages(session: AsyncSession, ids: Sequence[uuid.UUID]) -> None:
    if ids:
        await session.execute(
            sa.update(MESSAGE).where(MESSAGE.c.message_id.in_(ids)).values(phone="", text="")
        )


async def remember_erased_contact(
    session: AsyncSession, workspace_id: str, contact_id: uuid.UUID, erased_at: datetime
) -> None:
    await session.execute(
        insert(ErasedContact)
        .values(workspace_id=workspace_id, contact_id=contact_id, erased_at=erased_at)
        .on_conflict_do_nothing()
    )


async def keep_optouts_as(
    session: AsyncSession, workspace_id: str, phone: str, pseudonym: str
) -> int:
    """Copy the number's opt-outs under its pseudonym (a newer one wins); how many."""
    view = ConsentView.__table__
    opted_out = sa.select(
        view.c.workspace_id,
        sa.literal(pseudonym, sa.Text),
        view.c.purpose,
        view.c.brand,
        view.c.updated_at,
    ).where(
        view.c.workspace_id == workspace_id,
        view.c.phone == phone,
        view.c.status == "opted_out",
    )
    statement = insert(ErasedOptout).from_select(
        ["workspace_id", "phone_pseudonym", "purpose", "brand", "updated_at"], opted_out
    )
    result = await session.execute(
        statement.on_conflict_do_update(
            index_elements=[
                ErasedOptout.workspace_id,
                ErasedOptout.phone_pseudonym,
                ErasedOptout.purpose,
                ErasedOptout.brand,
            ],
            set_={"updated_at": statement.excluded.updated_at},
            where=ErasedOptout.updated_at < statement.excluded.updated_at,
        ).returning(ErasedOptout.purpose)
    )
    return len(result.all())


async def delete_consent_of(session: AsyncSession, workspace_id: str, phone: str) -> int:
    result = await session.execute(
        sa.delete(ConsentView)
        .where(ConsentView.workspace_id == workspace_id, ConsentView.phone == phone)
        .returning(ConsentView.purpose)
    )
    return len(result.all())


async def erased_contacts(
    session: AsyncSession, keys: Iterable[tuple[str, uuid.UUID]]
) -> set[tuple[str, uuid.UUID]]:
    """Which of these `(workspace_id, contact_id)` pairs were erased."""
    pairs = set(keys)
    if not pairs:
        return set()
    query = sa.select(ErasedContact.workspace_id, ErasedContact.contact_id).where(
        ErasedContact.contact_id.in_(sorted({contact_id for _, contact_id in pairs}))
    )
    return {(row[0], row[1]) for row in await session.execute(query)} & pairs


async def erased_optouts(
    session: AsyncSession, keys: Iterable[tuple[str, str]]
) -> Sequence[sa.Row[Any]]:
    """`(workspace_id, phone_pseudonym, purpose, brand, updated_at)` of these pairs."""
    pairs = set(keys)
    if not pairs:
        return []
    table = ErasedOptout.__table__
    query = sa.select(
        table.c.workspace_id,
        table.c.phone_pseudonym,
        table.c.purpose,
        table.c.brand,
        table.c.updated_at,
    ).where(table.c.phone_pseudonym.in_(sorted({pseudonym for _, pseudonym in pairs})))
    rows = (await session.execute(query)).all()
    return [row for row in rows if (row.workspace_id, row.phone_pseudonym) in pairs]
