"""`/v1/contacts/{id}/export`: everything contacts holds about a person (GDPR Art. 15, 20).

The erasure is the contacts router's `DELETE /v1/contacts/{id}` (herald_contacts.gdpr)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from herald_contacts import gdpr
from herald_contacts.api.deps import ContactsReader
from herald_contacts.gdpr import ContactExport
from herald_kit.app import SessionDep

router = APIRouter(prefix="/v1/contacts", tags=["gdpr"])


@router.get("/{contact_id}/export")
async def export_contact(
    contact_id: uuid.UUID, principal: ContactsReader, session: SessionDep
) -> ContactExport:
    """Every column of the contact, the rows of other contacts tables that name it, and what
    the other services may hold, with the ids to ask them by; 404 when unknown here."""
    return await gdpr.export_contact(session, principal.workspace_id, contact_id)
