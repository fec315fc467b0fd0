"""`/v1/snapshots/contacts`: a consistent NDJSON stream of a workspace's audience.

Campaigns pulls it at launch. One REPEATABLE READ transaction makes the stream a snapshot
even while imports and edits go on; keyset pages keep memory flat. `segment_id` narrows it
to a saved segment's audience; numbers known to be unreachable are left out unless
`include_unreachable=true`.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_contacts import repository, segment_repository, segment_service
from herald_contacts.api.deps import ContactsReader
from herald_contacts.schemas import ContactRead

router = APIRouter(prefix="/v1/snapshots", tags=["snapshots"])


@router.get("/contacts", response_class=StreamingResponse)
async def contacts_snapshot(
    principal: ContactsReader,
    request: Request,
    after: uuid.UUID | None = None,
    segment_id: uuid.UUID | None = None,
    include_unreachable: bool = False,
) -> StreamingResponse:
    """Contacts in id order; `after` resumes a stream that was cut (keyset, not offset)."""
    sessions: async_sessionmaker[AsyncSession] = request.state.sessions
    async with sessions() as session:  # an unknown segment or a stale filter: 4xx, no stream
        condition = await segment_service.snapshot_condition(
            session, principal.workspace_id, segment_id, include_unreachable, datetime.now(UTC)
        )

    async def lines() -> AsyncIterator[bytes]:
        async with sessions() as session:
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            await segment_repository.plan_each_query_with_its_values(session)
            chunks = repository.stream_all(
                session, principal.workspace_id, after, condition=condition
            )
            async for chunk in chunks:
                yield b"".join(
                    ContactRead.model_validate(c).model_dump_json().encode() + b"\n" for c in chunk
                )

    return StreamingResponse(lines(), media_type="application/x-ndjson")
