"""`herald-dispatcher consumer` as a real process: handlers + the sender, stopped by SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_dispatcher import service
from herald_dispatcher.models import Message
from herald_events.models.campaigns import SmsRequestedV1
from herald_kit.db import transaction
from herald_smsc.runner import Simulator
from herald_stack.kafka import KafkaBroker


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_the_consumer_process_sends_and_stops_cleanly(
    service_dsn: str,
    kafka_broker: KafkaBroker,
    smsc: Simulator,
    smsc_api: httpx.AsyncClient,
    sessions: async_sessionmaker[AsyncSession],
    eventually: Any,
) -> None:
    request = SmsRequestedV1(
        message_id=uuid.uuid4(),
        phone="+33612349999",
        text="Votre rendez-vous est confirmé.",
        category="transactional",
        sender="36111",
        expires_at=datetime.now(UTC) + timedelta(hours=1),
    )
    async with transaction(sessions) as session:
        await service.request_sms(session, "ws-proc", request, datetime.now(UTC))
    health = free_port()
    env = {
        **os.environ,
        "HERALD_DISPATCHER_DB__URL": service_dsn,
        "HERALD_DISPATCHER_KAFKA__BOOTSTRAP_SERVERS": kafka_broker.bootstrap,
        "HERALD_DISPATCHER_HEALTH__PORT": str(health),
        "HERALD_DISPATCHER_SMPP__HOST": smsc.host,
        "HERALD_DISPATCHER_SMPP__PORT": str(smsc.smpp_port),
        "HERALD_DISPATCHER_SMPP__PASSWORD": "pr0c3ss",
        "HERALD_DISPATCHER_ERASURE__KEY": "pr0c3ss-erasure-key-0123",
        "HERALD_DISPATCHER_LOG_JSON": "false",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from herald_dispatcher.cli import main; main()",
        "consumer",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )

    async def submitted() -> bool:
        async with sessions() as session:
            row = await session.get(Message, request.message_id)
        return row is not None and row.status == "submitted"

    try:
        await eventually(submitted, within=60)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{health}") as probe:
            assert (await probe.get("/healthz")).status_code == 200
            metrics = (await probe.get("/metrics")).text
        assert 'herald_dispatcher_messages_total{outcome="submitted",route="smpp-default"}' in (
            metrics
        )
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, output.decode(errors="replace")[-3000:]
    log = output.decode(errors="replace")
    assert "Votre rendez-vous" not in log  # never a message text in the logs
    assert "33612349999" not in log  # nor a full phone number
    [entry] = (await smsc_api.get("/ledger")).json()["entries"]
    assert (entry["source"], entry["destination"]) == ("36111", "33612349999")
