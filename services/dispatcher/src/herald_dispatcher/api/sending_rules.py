"""`/v1/sending-rules`: the workspace's rule packs and frequency caps (checked when saved)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from herald_dispatcher import service
from herald_dispatcher.api.deps import DispatcherReader, DispatcherWriter
from herald_dispatcher.schemas import SendingRulesRead, SendingRulesWrite
from herald_dispatcher.settings import get_settings
from herald_kit.app import SessionDep

router = APIRouter(prefix="/v1/sending-rules", tags=["sending rules"])


@router.get("")
async def get_sending_rules(principal: DispatcherReader, session: SessionDep) -> SendingRulesRead:
    """The rules the dispatcher applies to this workspace's messages now."""
    return await service.get_sending_rules(session, principal.workspace_id, get_settings())


@router.put("")
async def put_sending_rules(
    body: SendingRulesWrite, principal: DispatcherWriter, session: SessionDep
) -> SendingRulesRead:
    """Replace the workspace's rules; held messages are decided again under them when
    their hold ends. 422 naming an unknown pack (with the known ones) or a wrong option."""
    return await service.put_sending_rules(session, principal.workspace_id, body)


@router.delete("", status_code=status.HTTP_204_NO_CONTENT)
async def delete_sending_rules(principal: DispatcherWriter, session: SessionDep) -> Response:
    """Back to the deployment's rules."""
    await service.delete_sending_rules(session, principal.workspace_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
