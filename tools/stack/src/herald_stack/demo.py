"""The demo campaign: contacts, consent, a personalised campaign, delivery, figures.

Runs against the local stack through the public APIs, in the workspace that owns the
simulator's short code, with fresh random numbers so it can run again and again.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from herald_kit.admin import create_api_key
from herald_kit.settings import KafkaSettings
from herald_stack.client import API_URLS, SMSC_URL, HeraldClient, Simulator, eventually
from herald_stack.services import SHORT_CODE_WORKSPACE

DEMO_WORKSPACE = SHORT_CODE_WORKSPACE
FIRST_NAMES = ("Élodie", "Karim", "Camille", "Théo", "Léa", "Mamadou", "Chloé", "Hugo")
TEMPLATE = "Bonjour {{first_name|client}}, -20% sur tout le magasin ce week-end avec HIVER20 !"
CONSENT_WORDING = "J'accepte de recevoir les offres SMS de Herald Boutique (STOP au 36111)."
FINAL_WAIT_SECONDS = 120.0


@dataclass(frozen=True)
class DemoResult:
    campaign_id: str
    stats: dict[str, Any]
    contacts: int
    consenting: int
    simulator_submits: int
    stop_seconds: float


def random_mobile() -> str:
    """A valid French mobile number (06 30-39 and 69x are not all allocated: avoided)."""
    return "+336" + random.choice("0124578") + "".join(random.choices("0123456789", k=7))


async def run_demo(bootstrap: str, say: Callable[[str], None]) -> DemoResult:
    key = await create_api_key(
        KafkaSettings(bootstrap_servers=bootstrap), DEMO_WORKSPACE, "demo", ["*"]
    )
    client = HeraldClient(key)
    simulator = Simulator()
    try:
        await eventually(
            lambda: _key_accepted(client), seconds=30, what="the demo API key to reach services"
        )
        phones = [random_mobile() for _ in FIRST_NAMES]
        for phone, name in zip(phones, FIRST_NAMES, strict=True):
            await client.create_contact(phone, name)
        consenting = phones[:-2]  # the last two never opted in: the campaign must skip them
        for phone in consenting:
            await client.record_marketing_consent(phone, CONSENT_WORDING)
        say(f"created {len(phones)} contacts, {len(consenting)} with SMS marketing consent")
        # Operators do not deliver everything: 4 in 6 delivered, 1 undeliverable, 1 expired.
        await simulator.set_receipt_outcomes(delivered=4, undeliverable=1, expired=1)

        campaign = await client.create_campaign("Soldes d'hiver (démo)", TEMPLATE, "HERALD")
        await client.launch(campaign["id"])
        say(f"launched campaign {campaign['id']}")

        async def all_final() -> dict[str, Any] | None:
            stats = await client.campaign_stats(campaign["id"])
            if stats is None or stats.get("requested", 0) < len(consenting):
                return None
            done = sum(
                stats.get(k, 0)
                for k in ("delivered", "undelivered", "expired", "rejected", "failed", "suppressed")
            )
            return stats if done >= stats["requested"] else None

        stats = await eventually(
            all_final, seconds=FINAL_WAIT_SECONDS, what="every message to reach a final status"
        )
        submits = sum([len(await simulator.submits_to(phone)) for phone in phones])
        stop_seconds = await _handset_stops(client, simulator, consenting[0])
        say(f"a handset replied STOP: opt-out recorded by consent in {stop_seconds:.2f} s")
        return DemoResult(
            campaign["id"], stats, len(phones), len(consenting), submits, stop_seconds
        )
    finally:
        await client.close()
        await simulator.close()


async def _handset_stops(client: HeraldClient, simulator: Simulator, phone: str) -> float:
    """A recipient replies "Stop" to the short code; time until consent shows the opt-out."""
    started = time.monotonic()
    await simulator.handset_replies(phone, "Stop")

    async def opted_out() -> bool:
        states = await client.consent_states(phone)
        return any(s["purpose"] == "marketing" and s["status"] == "opted_out" for s in states)

    await eventually(opted_out, seconds=30, what="the STOP to reach the consent ledger")
    return time.monotonic() - started


async def _key_accepted(client: HeraldClient) -> bool:
    for service in API_URLS:
        response = await client.call("GET", service, "/openapi.json")
        if response.status_code != 200:
            return False
    response = await client.call("GET", "contacts", "/v1/contacts", params={"limit": 1})
    return response.status_code == 200


def describe(result: DemoResult) -> list[str]:
    stats = result.stats
    lines = [
        f"campaign {result.campaign_id}",
        f"  created now: {result.contacts} contacts, {result.consenting} with consent (the "
        f"campaign reaches every consenting contact of workspace '{DEMO_WORKSPACE}', "
        "earlier demo runs included)",
    ]
    for name in (
        "requested",
        "submitted",
        "delivered",
        "undelivered",
        "expired",
        "suppressed",
        "failed",
        "segments",
    ):
        lines.append(f"  {name:<12} {stats.get(name, 0)}")
    rate = stats.get("delivery_rate")
    lines.append(f"  delivery rate {rate:.0%}" if rate is not None else "  delivery rate n/a")
    lines.append(
        f"  submits to this run's numbers seen by the simulator: {result.simulator_submits}"
    )
    lines.append(f"  STOP reply → opt-out in the consent ledger: {result.stop_seconds:.2f} s")
    lines.append("APIs (OpenAPI docs at /docs):")
    lines += [f"  {name:<11} {url}/docs" for name, url in API_URLS.items()]
    lines.append(f"  smsc-sim    {SMSC_URL}/docs")
    return lines
