"""The `contact.updated` events of an import, written to the outbox after its commit.

An import's merge records, per batch, which contacts it created or changed (one
`contact_publication` row, in the import's transaction); this module turns each row into
outbox rows in a short transaction of its own, then deletes it. Building a million event
documents was half of an import's time in PostgreSQL (bench/import_csv.py); moved here, the
import commits sooner and holds its workspace lock for less, and the events are exactly as
certain as before: the row commits with the contacts, and a crash before it is turned into
events only delays them (the next worker turns it).

An event carries the contact's state when its row is turned, not when the import merged it;
`contact.updated` is a compacted topic of current states, so this is the state consumers
need. The contacts are locked FOR SHARE while their events are written: a concurrent change
waits, and its own outbox row comes after, so the topic's last word stays the newest state.
An erased contact has no row any more and gets no event (its tombstone stands).
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_contacts.imports import outbox_sql
from herald_contacts.models import ContactPublication
from herald_kit.db import transaction

CONTACT_TOPIC = "contact.updated"

_EVENTS = (
    "WITH locked AS (SELECT c.* FROM contact AS c "
    "WHERE c.workspace_id = :workspace_id AND c.id = ANY(CAST(:ids AS uuid[])) "
    "ORDER BY c.id FOR SHARE) "
    + outbox_sql.insert_events(
        CONTACT_TOPIC, "e.id::text", outbox_sql.contact_payload("e"), "SELECT * FROM locked"
    )
)


async def publish_next(session: AsyncSession) -> int:
    """Turn the oldest waiting row into outbox rows; the number of contacts it named (0 when
    none was waiting or every waiting row is being turned by another worker)."""
    pending = (
        await session.scalars(
            sa.select(ContactPublication)
            .order_by(ContactPublication.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
    ).first()
    if pending is None:
        return 0
    params: dict[str, Any] = {
        "workspace_id": pending.workspace_id,
        "import_id": str(pending.correlation_id),
        "first": pending.first_event,
        "headers": json.dumps(pending.headers),
        "ids": pending.contact_ids,
    }
    await session.execute(sa.text(_EVENTS), params)
    await session.delete(pending)
    return len(pending.contact_ids)


async def publish_pending(sessions: async_sessionmaker[AsyncSession]) -> int:
    """Turn every waiting row, one transaction each; the number of contacts announced."""
    total = 0
    while True:
        async with transaction(sessions) as session:
            count = await publish_next(session)
        if count == 0:
            return total
        total += count
