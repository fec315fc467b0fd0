"""STOP during a campaign stops it for that number (issue 4's e2e).

To make "during" certain rather than a race, the campaign's messages are held by the sending
hours (the workspace's window opens 20-40 s after the launch); the handset's STOP arrives while
they wait. When the window opens, the dispatcher runs the whole gate again: the other contact
gets the promotion, the one who wrote STOP gets only the opt-out confirmation."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from herald_campaigns.domain.messages import message_id
from herald_stack.client import HeraldClient, Simulator, eventually
from herald_stack.demo import random_mobile

WAIT = 90.0
PROMOTION = "Soldes privées {{first_name}} : -30 % ce soir"


class TestStopDuringACampaign:
    async def test_a_stop_while_the_campaign_waits_keeps_its_promotion_from_that_number(
        self,
        short_code_client: HeraldClient,
        simulator: Simulator,
        opening_soon: Callable[[], Awaitable[datetime]],
        sending_window: Callable[[datetime], dict[str, object]],
    ) -> None:
        client = short_code_client  # the workspace of the short code handsets write to
        stopper, keeper = random_mobile(), random_mobile()
        contacts = {}
        for phone, name in ((stopper, "Sacha"), (keeper, "Karim")):
            contacts[phone] = await client.create_contact(phone, name)
            await client.record_marketing_consent(phone, "J'accepte les SMS promo.")
        opens = await opening_soon()
        await client.expect(
            200, "PUT", "dispatcher", "/v1/sending-rules", json=sending_window(opens)
        )
        try:
            campaign = await client.create_campaign("flash", PROMOTION, "HERALD")
            await client.launch(campaign["id"])
            ids = {
                phone: message_id(uuid.UUID(campaign["id"]), uuid.UUID(contact["id"]))
                for phone, contact in contacts.items()
            }

            async def status_of(phone: str) -> dict[str, Any] | None:
                response = await client.call("GET", "dispatcher", f"/v1/messages/{ids[phone]}")
                return response.json() if response.status_code == 200 else None

            async def both_held() -> bool:
                states = [await status_of(phone) for phone in (stopper, keeper)]
                return all(s is not None and s["status"] == "held" for s in states)

            await eventually(both_held, seconds=WAIT, what="both promotions to be held")
            assert datetime.now(UTC) < opens, "the test machine was too slow to STOP in time"

            await simulator.handset_replies(stopper, "stop")

            async def opted_out() -> bool:
                states = await client.consent_states(stopper)
                return any(
                    s["purpose"] == "marketing" and s["status"] == "opted_out" for s in states
                )

            await eventually(opted_out, seconds=WAIT, what="consent to record the STOP")

            async def keeper_served() -> list[dict[str, Any]]:
                return await simulator.submits_to(keeper)

            await eventually(keeper_served, seconds=WAIT, what="the window to open")

            async def stopper_final() -> dict[str, Any] | None:
                message = await status_of(stopper)
                return message if message and message["status"] == "suppressed" else None

            suppressed = await eventually(
                stopper_final, seconds=WAIT, what="the stopped number's promotion to be dropped"
            )
        finally:
            await client.call("DELETE", "dispatcher", "/v1/sending-rules")

        assert suppressed["suppression_reason"] == "opted_out"
        to_stopper = await simulator.submits_to(stopper)
        assert [s for s in to_stopper if "Soldes privées" in s["text"]] == []
        assert len(to_stopper) == 1  # the one opt-out confirmation, nothing else
        assert [s["text"] for s in await simulator.submits_to(keeper)] == [
            "Soldes privées Karim : -30 % ce soir STOP au 36111"
        ]
