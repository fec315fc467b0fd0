"""Idempotency-Key on the real PostgreSQL: one effect per key, the first answer replayed,
another request under the same key refused, a failed first request leaving nothing."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_kit.db import transaction
from herald_kit.idempotency import IdempotencyKeyReused, answer_once
from herald_kit.tables import IDEMPOTENT_REQUEST

SEEN = sa.table("seen", sa.column("event_id"), sa.column("workspace_id"))


class Body(BaseModel):
    phone: str


class Answer(BaseModel):
    event_id: uuid.UUID
    phone: str


async def _post(
    sessions: async_sessionmaker[AsyncSession],
    workspace: str,
    key: str | None,
    body: Body,
    *,
    fail: bool = False,
    pause: float = 0,
) -> Answer:
    """A POST handler: one row in SEEN per run (the effect), then its answer."""
    async with transaction(sessions) as session:

        async def run() -> Answer:
            event_id = uuid.uuid4()
            await session.execute(sa.insert(SEEN).values(event_id=event_id, workspace_id=workspace))
            await asyncio.sleep(pause)
            if fail:
                raise RuntimeError("the use case failed")
            return Answer(event_id=event_id, phone=body.phone)

        return await answer_once(session, workspace, key, "POST /v1/things", body, Answer, run)


async def _effects(sessions: async_sessionmaker[AsyncSession], workspace: str) -> int:
    async with transaction(sessions) as session:
        count = await session.scalar(
            sa.select(sa.func.count()).select_from(SEEN).where(SEEN.c.workspace_id == workspace)
        )
    return int(count or 0)


def _workspace() -> str:
    return f"ws-{uuid.uuid4().hex[:8]}"


class TestAnswerOnce:
    async def test_a_retry_gets_the_first_answer_and_runs_nothing(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        ws = _workspace()
        first = await _post(sessions, ws, "k1", Body(phone="+33612345678"))
        retry = await _post(sessions, ws, "k1", Body(phone="+33612345678"))
        assert retry == first
        assert await _effects(sessions, ws) == 1

    async def test_without_a_key_every_request_runs(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        ws = _workspace()
        await _post(sessions, ws, None, Body(phone="+33612345678"))
        await _post(sessions, ws, None, Body(phone="+33612345678"))
        assert await _effects(sessions, ws) == 2

    async def test_the_same_key_with_another_body_is_a_409(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        ws = _workspace()
        await _post(sessions, ws, "k1", Body(phone="+33612345678"))
        with pytest.raises(IdempotencyKeyReused) as refused:
            await _post(sessions, ws, "k1", Body(phone="+33612345679"))
        assert refused.value.status_code == 409
        assert await _effects(sessions, ws) == 1

    async def test_keys_belong_to_their_workspace(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        ws_a, ws_b = _workspace(), _workspace()
        a = await _post(sessions, ws_a, "k1", Body(phone="+33612345678"))
        b = await _post(sessions, ws_b, "k1", Body(phone="+33612345678"))
        assert a.event_id != b.event_id
        assert (await _effects(sessions, ws_a), await _effects(sessions, ws_b)) == (1, 1)

    async def test_a_failed_first_request_leaves_the_key_free(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        ws = _workspace()
        with pytest.raises(RuntimeError):
            await _post(sessions, ws, "k1", Body(phone="+33612345678"), fail=True)
        async with transaction(sessions) as session:
            stored = await session.scalar(
                sa.select(sa.func.count())
                .select_from(IDEMPOTENT_REQUEST)
                .where(IDEMPOTENT_REQUEST.c.workspace_id == ws)
            )
        assert stored == 0
        await _post(sessions, ws, "k1", Body(phone="+33612345678"))
        assert await _effects(sessions, ws) == 1

    async def test_a_concurrent_retry_waits_and_replays(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        ws = _workspace()
        body = Body(phone="+33612345678")
        first, retry = await asyncio.gather(
            _post(sessions, ws, "k1", body, pause=0.3),
            _post(sessions, ws, "k1", body),
        )
        assert first == retry
        assert await _effects(sessions, ws) == 1
