"""The thin path: contacts → consent → campaign → SMPP → receipts → analytics."""

from __future__ import annotations

from typing import Any

from herald_stack.client import HeraldClient, Simulator, eventually
from herald_stack.demo import random_mobile

WAIT = 90.0


async def _final(client: HeraldClient, campaign_id: str, expected: int) -> dict[str, Any] | None:
    stats = await client.campaign_stats(campaign_id)
    if stats is None or stats["requested"] < expected:
        return None
    done = sum(
        stats[k]
        for k in ("delivered", "undelivered", "expired", "rejected", "failed", "suppressed")
    )
    return stats if done >= stats["requested"] else None


class TestCampaign:
    async def test_only_consenting_contacts_receive_their_personalised_text(
        self, workspace_client: HeraldClient, simulator: Simulator
    ) -> None:
        alice, bruno, chloe = random_mobile(), random_mobile(), random_mobile()
        await workspace_client.create_contact(alice, "Élodie")
        await workspace_client.create_contact(bruno, "Bruno")
        await workspace_client.create_contact(chloe, "Chloé")
        for phone in (alice, chloe):
            await workspace_client.record_marketing_consent(phone, "J'accepte les SMS promo.")

        campaign = await workspace_client.create_campaign(
            "e2e", "Bonjour {{first_name}}, -10% avec le code E2E", "HERALD"
        )
        await workspace_client.launch(campaign["id"])

        stats = await eventually(
            lambda: _final(workspace_client, campaign["id"], 2),
            seconds=WAIT,
            what="the campaign's messages to be final in analytics",
        )
        assert stats["requested"] == 2
        assert stats["submitted"] == 2
        assert stats["delivered"] + stats["undelivered"] + stats["expired"] == 2

        to_alice = await simulator.submits_to(alice)
        # Campaigns ends every marketing text with the opt-out mention (the stack's short code).
        assert [s["text"] for s in to_alice] == [
            "Bonjour Élodie, -10% avec le code E2E STOP au 36111"
        ]
        assert len(await simulator.submits_to(chloe)) == 1
        assert await simulator.submits_to(bruno) == []


class TestStop:
    async def test_a_handset_stop_keeps_the_number_out_of_the_next_campaign(
        self, short_code_client: HeraldClient, simulator: Simulator
    ) -> None:
        phone = random_mobile()
        await short_code_client.create_contact(phone, "Stéphane")
        await short_code_client.record_marketing_consent(phone, "J'accepte les SMS promo.")
        first = await short_code_client.create_campaign(
            "before STOP", "Promo {{first_name}}", "HERALD"
        )
        await short_code_client.launch(first["id"])

        async def one_submit() -> list[dict[str, Any]]:
            return await simulator.submits_to(phone)

        await eventually(one_submit, seconds=WAIT, what="the first campaign to reach the phone")

        await simulator.handset_replies(phone, "Stop")

        async def opted_out() -> bool:
            states = await short_code_client.consent_states(phone)
            return any(s["purpose"] == "marketing" and s["status"] == "opted_out" for s in states)

        await eventually(opted_out, seconds=WAIT, what="consent to record the STOP")

        second = await short_code_client.create_campaign(
            "after STOP", "Promo {{first_name}}", "HERALD"
        )
        await short_code_client.launch(second["id"])

        async def expanded() -> bool:
            response = await short_code_client.call(
                "GET", "campaigns", f"/v1/campaigns/{second['id']}"
            )
            return bool(response.json()["status"] in ("running", "completed"))

        await eventually(expanded, seconds=WAIT, what="the second campaign to be expanded")
        # Whatever else the campaign holds, every message it requested is final before we look.
        await eventually(
            lambda: _final(short_code_client, second["id"], 0),
            seconds=WAIT,
            what="the second campaign's messages to be final",
        )
        # The STOP's confirmation (from the short code) passes the opted-out rule: the one
        # message the rules expect after a STOP. Nothing promotional follows it.
        confirmations = await eventually(
            lambda: _from_short_code(simulator, phone),
            seconds=WAIT,
            what="the STOP confirmation to reach the phone",
        )
        submits = await simulator.submits_to(phone)
        promotional = [s for s in submits if s["source"] == "HERALD"]
        assert [s["text"] for s in promotional] == ["Promo Stéphane STOP au 36111"]
        assert len(confirmations) == 1
        assert "désinscription" in confirmations[0]["text"]
        assert len(submits) == 2


async def _from_short_code(simulator: Simulator, phone: str) -> list[dict[str, Any]]:
    return [s for s in await simulator.submits_to(phone) if s["source"] == "36111"]
