"""Sending hours: a promotional message outside its recipient's window is held by the
dispatcher, then released when the window opens (issue 4's e2e). The workspace sets its
own rules (`PUT /v1/sending-rules`): a window that opens 20-40 s after the test starts."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from herald_campaigns.domain.messages import message_id
from herald_stack.client import HeraldClient, Simulator, eventually
from herald_stack.demo import random_mobile

WAIT = 90.0


class TestSendingHours:
    async def test_a_promotional_message_outside_the_hours_is_held_then_released(
        self,
        workspace_client: HeraldClient,
        simulator: Simulator,
        opening_soon: Callable[[], Awaitable[datetime]],
        sending_window: Callable[[datetime], dict[str, object]],
    ) -> None:
        phone = random_mobile()
        contact = await workspace_client.create_contact(phone, "Hélène")
        await workspace_client.record_marketing_consent(phone, "J'accepte les SMS promo.")
        opens = await opening_soon()
        rules = sending_window(opens)
        saved = await workspace_client.expect(
            200, "PUT", "dispatcher", "/v1/sending-rules", json=rules
        )
        assert saved["source"] == "workspace"
        campaign = await workspace_client.create_campaign(
            "after hours", "Bonjour {{first_name}}, nos soldes ouvrent !", "HERALD"
        )
        await workspace_client.launch(campaign["id"])
        held_id = message_id(uuid.UUID(campaign["id"]), uuid.UUID(contact["id"]))

        async def held() -> dict[str, Any] | None:
            response = await workspace_client.call("GET", "dispatcher", f"/v1/messages/{held_id}")
            body: dict[str, Any] = response.json()
            return body if response.status_code == 200 and body["status"] == "held" else None

        message = await eventually(held, seconds=WAIT, what="the dispatcher to hold the message")
        assert datetime.fromisoformat(message["held_until"]) == opens.astimezone(UTC)
        assert message["rule"] == "default v1"
        assert "outside the sending window" in message["hold_reason"]

        # Nothing reaches the phone before the window opens...
        while datetime.now(UTC) < opens - timedelta(seconds=1):
            assert await simulator.submits_to(phone) == []
            await asyncio.sleep(0.5)

        # ...and the sweeper releases it once it has.
        async def submitted() -> list[dict[str, Any]]:
            return await simulator.submits_to(phone)

        submits = await eventually(submitted, seconds=WAIT, what="the held message to be sent")
        assert datetime.now(UTC) >= opens
        assert [s["text"] for s in submits] == [
            "Bonjour Hélène, nos soldes ouvrent ! STOP au 36111"
        ]
