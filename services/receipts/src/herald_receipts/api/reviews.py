"""`/v1/optout-reviews`: handsets' messages that may be opt-outs, for a person to decide."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from herald_kit.app import OutboxDep, SessionDep
from herald_kit.pagination import Page, encode_cursor
from herald_receipts import service
from herald_receipts.api.deps import ReceiptsReader, ReceiptsWriter
from herald_receipts.api.inbound import cursor_position
from herald_receipts.models import InboundMessage, OptoutReview
from herald_receipts.schemas import OptoutReviewRead, ReviewDecision, ReviewStatus
from herald_receipts.settings import get_settings

router = APIRouter(prefix="/v1/optout-reviews", tags=["optout reviews"])


def _read(review: OptoutReview, message: InboundMessage) -> OptoutReviewRead:
    return OptoutReviewRead(
        id=review.id,
        phone=review.phone,
        destination=message.destination,
        text=message.text,
        matched=review.matched,
        language=review.language,
        rule=review.rule,
        scope=review.scope,
        brand=review.brand,
        status=review.status,  # the table's CHECK holds it to ReviewStatus
        received_at=review.received_at,
        resolved_at=review.resolved_at,
        resolved_by=review.resolved_by,
    )


@router.get("")
async def list_reviews(
    principal: ReceiptsReader,
    session: SessionDep,
    status: ReviewStatus | None = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> Page[OptoutReviewRead]:
    """Newest first; `status` defaults to the open ones."""
    rows = await service.list_reviews(
        session, principal.workspace_id, status, cursor_position(cursor), limit
    )
    next_cursor = None
    if len(rows) == limit:
        last = rows[-1][0]
        next_cursor = encode_cursor({"t": last.received_at.isoformat(), "id": str(last.id)})
    return Page[OptoutReviewRead](
        items=[_read(review, message) for review, message in rows], next_cursor=next_cursor
    )


@router.post("/{review_id}/resolve")
async def resolve_review(
    review_id: uuid.UUID,
    body: ReviewDecision,
    principal: ReceiptsWriter,
    session: SessionDep,
    outbox: OutboxDep,
) -> OptoutReviewRead:
    review, message = await service.resolve_review(
        session,
        outbox,
        principal.workspace_id,
        review_id,
        body.decision,
        f"api key {principal.key_id}",
        get_settings().optout,
    )
    return _read(review, message)
