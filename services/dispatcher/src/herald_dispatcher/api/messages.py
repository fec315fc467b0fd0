"""`/v1/messages`: the ledger state of one message."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from herald_dispatcher import service
from herald_dispatcher.api.deps import DispatcherReader
from herald_dispatcher.schemas import MessageRead
from herald_kit.app import SessionDep

router = APIRouter(prefix="/v1/messages", tags=["messages"])


@router.get("/{message_id}")
async def get_message(
    message_id: uuid.UUID, principal: DispatcherReader, session: SessionDep
) -> MessageRead:
    """Status, attempts, provider ids and the reason a message was suppressed or failed."""
    return await service.get_message(session, principal.workspace_id, message_id)
