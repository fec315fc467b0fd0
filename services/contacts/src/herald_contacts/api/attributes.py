"""`/v1/attributes`: the workspace's declared custom attribute types."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from herald_contacts import attribute_service
from herald_contacts.api.deps import ContactsReader, ContactsWriter
from herald_contacts.segment_schemas import AttributeDeclare, AttributeList, AttributeRead
from herald_kit.app import SessionDep

router = APIRouter(prefix="/v1/attributes", tags=["attributes"])


@router.put("/{name}")
async def declare_attribute(
    name: str,
    body: AttributeDeclare,
    principal: ContactsWriter,
    session: SessionDep,
    response: Response,
) -> AttributeRead:
    """Declare a custom attribute's type (201), or confirm or change it (200)."""
    definition, created = await attribute_service.define_attribute(
        session, principal.workspace_id, name, body.type
    )
    if created:
        response.status_code = status.HTTP_201_CREATED
    return AttributeRead.model_validate(definition)


@router.get("")
async def list_attributes(principal: ContactsReader, session: SessionDep) -> AttributeList:
    definitions = await attribute_service.list_attributes(session, principal.workspace_id)
    return AttributeList(items=[AttributeRead.model_validate(d) for d in definitions])
