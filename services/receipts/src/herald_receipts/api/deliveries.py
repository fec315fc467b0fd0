"""`/v1/deliveries`: the delivery state of a message, part by part."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from herald_kit.app import SessionDep
from herald_receipts import service
from herald_receipts.api.deps import ReceiptsReader
from herald_receipts.schemas import DeliveryRead, PartRead

router = APIRouter(prefix="/v1/deliveries", tags=["deliveries"])


@router.get("/{message_id}")
async def get_delivery(
    message_id: uuid.UUID, principal: ReceiptsReader, session: SessionDep
) -> DeliveryRead:
    record, parts = await service.get_delivery(session, principal.workspace_id, message_id)
    result = DeliveryRead.model_validate(record)
    result.parts = [PartRead.model_validate(p) for p in parts]
    return result
