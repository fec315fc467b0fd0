"""`/v1/contacts`: create, read, update, erase, list."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from herald_contacts import service
from herald_contacts.api.deps import ContactsReader, ContactsWriter
from herald_contacts.schemas import ContactCreate, ContactRead, ContactUpdate
from herald_contacts.settings import get_settings
from herald_kit.app import OutboxDep, SessionDep
from herald_kit.errors import Unprocessable
from herald_kit.pagination import Page, decode_cursor, encode_cursor

router = APIRouter(prefix="/v1/contacts", tags=["contacts"])


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_contact(
    body: ContactCreate, principal: ContactsWriter, session: SessionDep, outbox: OutboxDep
) -> ContactRead:
    contact = await service.create_contact(
        session, outbox, principal.workspace_id, body, get_settings().default_region
    )
    return ContactRead.model_validate(contact)


@router.get("")
async def list_contacts(
    principal: ContactsReader,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> Page[ContactRead]:
    after = None
    if cursor:
        try:
            after = uuid.UUID(str(decode_cursor(cursor).get("after")))
        except ValueError as error:
            raise Unprocessable("cursor: not a cursor returned by this API") from error
    rows = await service.list_contacts(session, principal.workspace_id, after, limit)
    next_cursor = encode_cursor({"after": str(rows[-1].id)}) if len(rows) == limit else None
    return Page[ContactRead](
        items=[ContactRead.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.get("/{contact_id}")
async def get_contact(
    contact_id: uuid.UUID, principal: ContactsReader, session: SessionDep
) -> ContactRead:
    contact = await service.get_contact(session, principal.workspace_id, contact_id)
    return ContactRead.model_validate(contact)


@router.patch("/{contact_id}")
async def update_contact(
    contact_id: uuid.UUID,
    body: ContactUpdate,
    principal: ContactsWriter,
    session: SessionDep,
    outbox: OutboxDep,
) -> ContactRead:
    contact = await service.update_contact(
        session, outbox, principal.workspace_id, contact_id, body
    )
    return ContactRead.model_validate(contact)


@router.delete("/{contact_id}", status_code=status.HTTP_204_NO_CONTENT)
async def erase_contact(
    contact_id: uuid.UUID, principal: ContactsWriter, session: SessionDep, outbox: OutboxDep
) -> Response:
    await service.erase_contact(session, outbox, principal.workspace_id, contact_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
