"""GDPR for one contact: export everything contacts holds about the person, and erase it.

Both cover the contact's row, every row of another contacts table that names it
(`workspace_id` + `contact_id` columns, found from the metadata, so a table added later is
covered without touching this module), and the lines of import rejection reports whose
refused cell is the person's number (in any notation) or email: an erasure blanks that
cell, the line number and the reason stay.

Erasure is one transaction: those rows are deleted, `contact.updated` gets a tombstone
(compaction then forgets the contact's state) and `contact.erased` tells every other
service to forget the number. A crash or a refusal leaves all of it undone, never half.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Final

import phonenumbers
import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from herald_contacts.errors import ContactNotFound
from herald_contacts.models import Contact, ImportJob, ImportRejection, metadata
from herald_events.models.contacts import ContactErasedV1
from herald_kit.logs import get_logger, mask_phone
from herald_kit.outbox import Outbox

CONTACT_UPDATED: Final = "contact.updated"
CONTACT_ERASED: Final = "contact.erased"

log = get_logger(__name__)


class HeldElsewhere(BaseModel):
    """What another service may hold about the person, and how to ask it."""

    service: str
    holds: str
    request: str | None


class ContactExport(BaseModel):
    """Everything contacts holds about one person (GDPR Art. 15 and 20)."""

    exported_at: datetime
    workspace_id: str
    contact_id: uuid.UUID
    phone: str
    contact: dict[str, Any]
    related: dict[str, list[dict[str, Any]]]
    import_rejections: list[dict[str, Any]]
    held_elsewhere: list[HeldElsewhere]


def _held_elsewhere(contact: Contact) -> list[HeldElsewhere]:
    """The other services, keyed by what they can be asked with (the phone, the contact id)."""
    phone = contact.phone
    return [
        HeldElsewhere(
            service="consent",
            holds="consent states and the evidence ledger of this number",
            request=f"GET /v1/consents/{phone}/evidence",
        ),
        HeldElsewhere(
            service="receipts",
            holds=(
                "messages this number sent (replies, STOP), and the delivery states of the "
                "messages sent to it, by message id"
            ),
            request=f"GET /v1/inbound?phone={phone}",
        ),
        HeldElsewhere(
            service="dispatcher",
            holds=f"the messages sent to this number (contact_id {contact.id}), by message id",
            request="GET /v1/messages/{message_id}",
        ),
        HeldElsewhere(
            service="campaigns",
            holds="a copy of this number's consent states (no API: see consent)",
            request=None,
        ),
        HeldElsewhere(
            service="analytics",
            holds="nothing personal: counts by message id, without number or text",
            request=None,
        ),
    ]


def tables_naming_a_contact() -> list[sa.Table]:
    """Other contacts tables whose rows belong to one contact, children first."""
    return [
        table
        for table in reversed(metadata.sorted_tables)
        if table.name != Contact.__tablename__
        and {"workspace_id", "contact_id"} <= set(table.c.keys())
    ]


async def _contact(
    session: AsyncSession, workspace_id: str, contact_id: uuid.UUID, *, lock: bool = False
) -> Contact:
    """The contact; `lock` makes concurrent erasures of one contact emit one `contact.erased`
    (the second finds it gone: 404)."""
    query = sa.select(Contact).where(Contact.workspace_id == workspace_id, Contact.id == contact_id)
    if lock:
        query = query.with_for_update()
    contact = (await session.execute(query)).scalar_one_or_none()
    if contact is None:
        raise ContactNotFound()
    return contact


def _columns(contact: Contact) -> dict[str, Any]:
    return {attr.key: getattr(contact, attr.key) for attr in sa.inspect(Contact).column_attrs}


async def _related_rows(
    session: AsyncSession, workspace_id: str, contact_id: uuid.UUID
) -> dict[str, list[dict[str, Any]]]:
    related: dict[str, list[dict[str, Any]]] = {}
    for table in tables_naming_a_contact():
        query = sa.select(table).where(
            table.c.workspace_id == workspace_id, table.c.contact_id == contact_id
        )
        related[table.name] = [dict(row._mapping) for row in await session.execute(query)]
    return related


def _rejections_naming(workspace_id: str, contact: Contact) -> sa.ColumnElement[bool]:
    """Rejected cells of the workspace's imports that hold the contact's number, whatever
    its notation (its digits end with the national number), or its email."""
    national = str(phonenumbers.parse(contact.phone).national_number)
    digits = sa.func.regexp_replace(ImportRejection.value, r"\D", "", "g")
    naming: sa.ColumnElement[bool] = digits.like(f"%{national}")
    if contact.email:
        naming = sa.or_(naming, sa.func.lower(ImportRejection.value) == contact.email.lower())
    workspace_jobs = sa.select(ImportJob.id).where(ImportJob.workspace_id == workspace_id)
    return sa.and_(
        ImportRejection.import_id.in_(workspace_jobs), ImportRejection.value != "", naming
    )


async def _rejection_lines(
    session: AsyncSession, workspace_id: str, contact: Contact
) -> list[dict[str, Any]]:
    query = (
        sa.select(ImportRejection)
        .where(_rejections_naming(workspace_id, contact))
        .order_by(ImportRejection.import_id, ImportRejection.line)
    )
    return [
        {
            "import_id": row.import_id,
            "line": row.line,
            "column_name": row.column_name,
            "value": row.value,
            "reason": row.reason,
        }
        for row in await session.scalars(query)
    ]


async def export_contact(
    session: AsyncSession, workspace_id: str, contact_id: uuid.UUID
) -> ContactExport:
    contact = await _contact(session, workspace_id, contact_id)
    return ContactExport(
        exported_at=datetime.now(UTC),
        workspace_id=workspace_id,
        contact_id=contact.id,
        phone=contact.phone,
        contact=_columns(contact),
        related=await _related_rows(session, workspace_id, contact_id),
        import_rejections=await _rejection_lines(session, workspace_id, contact),
        held_elsewhere=_held_elsewhere(contact),
    )


async def erase_contact(
    session: AsyncSession, outbox: Outbox, workspace_id: str, contact_id: uuid.UUID
) -> None:
    """Delete the contact and its rows, tombstone `contact.updated`, announce `contact.erased`
    (GDPR Art. 17), all in the caller's transaction."""
    contact = await _contact(session, workspace_id, contact_id, lock=True)
    phone = contact.phone
    await session.execute(
        sa.update(ImportRejection)
        .where(_rejections_naming(workspace_id, contact))
        .values(value="")
        .execution_options(synchronize_session=False)
    )
    for table in tables_naming_a_contact():
        await session.execute(
            sa.delete(table).where(
                table.c.workspace_id == workspace_id, table.c.contact_id == contact_id
            )
        )
    await session.delete(contact)
    await session.flush()
    await outbox.tombstone(session, CONTACT_UPDATED, str(contact_id))
    erased = ContactErasedV1(contact_id=contact_id, phone=phone, erased_at=datetime.now(UTC))
    envelope = outbox.envelope(CONTACT_ERASED, erased, workspace_id=workspace_id)
    await outbox.add(session, CONTACT_ERASED, str(contact_id), envelope)
    log.info("contacts.erased", contact_id=str(contact_id), phone=mask_phone(phone))
