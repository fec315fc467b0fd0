"""Idempotency-Key: a retried POST gets its first answer back, and its effects happen once.

A client may send `Idempotency-Key: <key>` with a POST and, after a timeout or a lost
connection, send the same request again with the same key. The first request claims the key
with a row of `idempotent_request` (herald_kit.tables) in its own transaction and stores its
answer in that same transaction: the claim, the effects and the answer commit together, or
none of them does (a failed request leaves nothing to replay: its retry runs again). A
concurrent retry waits on the claim, then replays the committed answer. Keys are scoped to
the workspace; one key reused for another request (another route or another body) is a 409.

A service opts in with a migration (`create_idempotency_table()`), the table in its MetaData
(`add_idempotency_table(metadata)`) and, in each POST route, an `IdempotencyKey` header
parameter and `answer_once(...)` around the use case.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import sqlalchemy as sa
from fastapi import Header
from pydantic import BaseModel
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from herald_kit.errors import Conflict
from herald_kit.tables import IDEMPOTENT_REQUEST

# A route parameter: `idempotency_key: IdempotencyKey = None`.
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)
]

Answer = TypeVar("Answer", bound=BaseModel)


class IdempotencyKeyReused(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "this Idempotency-Key was already used with a different request in this workspace"
        )


def fingerprint(request: str, body: str) -> str:
    """What a key is bound to: the request line (`POST /v1/consents`) and the body."""
    return hashlib.sha256(f"{request}\n{body}".encode()).hexdigest()


async def claim(
    session: AsyncSession, workspace_id: str, key: str, request_fingerprint: str
) -> dict[str, Any] | None:
    """The answer stored for this key, or None after claiming the key for this request
    (then store the answer with `remember` in the same transaction).

    The insert waits for a concurrent request holding the same key to end: if it committed,
    its answer is read; if it rolled back, this request takes the key."""
    table = IDEMPOTENT_REQUEST
    claimed = await session.scalar(
        insert(table)
        .values(
            workspace_id=workspace_id,
            key=key,
            fingerprint=request_fingerprint,
            response=None,
            created_at=sa.func.now(),
        )
        .on_conflict_do_nothing()
        .returning(table.c.key)
    )
    if claimed is not None:
        return None
    stored = (
        await session.execute(
            sa.select(table.c.fingerprint, table.c.response).where(
                table.c.workspace_id == workspace_id, table.c.key == key
            )
        )
    ).one_or_none()
    if stored is None:  # deleted since the insert saw it (an erasure): claim it afresh
        return await claim(session, workspace_id, key, request_fingerprint)
    if stored.fingerprint != request_fingerprint:
        raise IdempotencyKeyReused()
    response: dict[str, Any] | None = stored.response
    return response


async def remember(
    session: AsyncSession, workspace_id: str, key: str, response: dict[str, Any]
) -> None:
    """Store the first answer to the key `claim` gave this request."""
    table = IDEMPOTENT_REQUEST
    await session.execute(
        sa.update(table)
        .where(table.c.workspace_id == workspace_id, table.c.key == key)
        .values(response=response)
    )


async def answer_once(
    session: AsyncSession,
    workspace_id: str,
    key: str | None,
    request: str,
    body: BaseModel,
    answer: type[Answer],
    run: Callable[[], Awaitable[Answer]],
) -> Answer:
    """`run()`'s answer; with a key, the first answer given to that key and `request`/`body`
    (IdempotencyKeyReused when the key was used for another request). Without a key, it
    simply runs."""
    if not key:
        return await run()
    first = await claim(session, workspace_id, key, fingerprint(request, body.model_dump_json()))
    if first is not None:
        return answer.model_validate(first)
    result = await run()
    await remember(session, workspace_id, key, result.model_dump(mode="json"))
    return result
