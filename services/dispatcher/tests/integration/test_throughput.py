"""How fast the sender drains a queue into the real SMSC simulator (gate, ledger, outbox on).

Prints the measured submit/s; asserts only a floor far below it, so a slow CI box passes.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_dispatcher.models import ConsentView, Message
from herald_kit.db import transaction

COUNT = 5_000


async def _seed(sessions: async_sessionmaker[AsyncSession], count: int) -> None:
    now = datetime.now(UTC)
    phones = [f"+3375{n:07d}" for n in range(count)]
    async with transaction(sessions) as session:
        await session.execute(
            sa.insert(ConsentView),
            [
                {
                    "workspace_id": "ws-bench",
                    "phone": phone,
                    "purpose": "marketing",
                    "brand": "default",
                    "status": "opted_in",
                    "updated_at": now,
                }
                for phone in phones
            ],
        )
        await session.execute(
            sa.insert(Message),
            [
                {
                    "message_id": uuid.uuid4(),
                    "workspace_id": "ws-bench",
                    "phone": phone,
                    "text": "Soldes d'hiver : -20% sur tout le site ce week-end. STOP au 36111",
                    "category": "marketing",
                    "brand": "default",
                    "sender": "HERALD",
                    "priority": 1,
                    "expires_at": now + timedelta(hours=1),
                    "status": "queued",
                    "provider_message_ids": [],
                    "segments": 1,
                    "encoding": "GSM7",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for phone in phones
            ],
        )


async def _count(sessions: async_sessionmaker[AsyncSession], status: str) -> int:
    async with sessions() as session:
        return int(
            await session.scalar(
                sa.select(sa.func.count()).select_from(Message).where(Message.status == status)
            )
            or 0
        )


@pytest.mark.parametrize("window", [50, 200])
async def test_the_sender_drains_5000_messages(
    window: int,
    sessions: async_sessionmaker[AsyncSession],
    run_sender: Any,
    smsc_api: httpx.AsyncClient,
    eventually: Any,
) -> None:
    await _seed(sessions, COUNT)

    async def drained() -> bool:
        return await _count(sessions, "submitted") == COUNT

    async with run_sender(window=window):
        started = time.perf_counter()
        await eventually(drained, within=120, interval=0.05)
        elapsed = time.perf_counter() - started
    rate = COUNT / elapsed
    print(f"\nsender, window {window}: {COUNT} messages in {elapsed:.2f} s = {rate:.0f} submit/s")
    summary = (await smsc_api.get("/ledger/summary")).json()
    assert summary["accepted"] == COUNT
    assert summary["duplicate_destinations_texts"] == 0
    assert rate > 200
