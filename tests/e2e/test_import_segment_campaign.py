"""Import → segment → campaign: a marketer's spreadsheet becomes contacts (consent declared by
its columns or recorded through the consent API), a saved segment selects some of them, and a
campaign on that segment reaches exactly the segment's members who consented, nobody else."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from herald_stack.client import HeraldClient, PlatformError, Simulator, eventually
from herald_stack.demo import random_mobile
from herald_stack.ports import HOST
from herald_stack.services import SERVICES

WAIT = 90.0
TEMPLATE = "Bonjour {{first_name|client}}, -15% à Lyon ce week-end ! STOP au 36111"
FINISHED_IMPORT = ("done", "failed", "cancelled")
CAMPAIGNS_CONSUMER = next(s for s in SERVICES if s.name == "campaigns").port("consumer")


def national(phone: str) -> str:
    """+33612345678 → 06 12 34 56 78, the way a French spreadsheet holds it."""
    digits = "0" + phone.removeprefix("+33")
    return " ".join(digits[i : i + 2] for i in range(0, 10, 2))


async def consent_changes_applied_by_campaigns() -> float:
    """How many consent.changed events the campaigns consumer applied (its own metric)."""
    async with httpx.AsyncClient() as http:
        response = await http.get(f"http://{HOST}:{CAMPAIGNS_CONSUMER}/metrics")
    response.raise_for_status()
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = sample.labels
            if (
                sample.name == "herald_events_consumed_total"
                and labels.get("group") == "campaigns.consent"
                and labels.get("topic") == "consent.changed"
                and labels.get("outcome") == "applied"
            ):
                return sample.value
    return 0.0


async def import_csv(client: HeraldClient, content: str, **params: str) -> dict[str, Any]:
    """Upload the file as the request body, then follow the job until it ends."""
    job = await client.expect(
        202,
        "POST",
        "contacts",
        "/v1/imports",
        params=params,
        content=content.encode("utf-8"),
        headers={"Content-Type": "text/csv"},
    )

    async def finished() -> dict[str, Any] | None:
        current: dict[str, Any] = await client.expect(
            200, "GET", "contacts", f"/v1/imports/{job['id']}"
        )
        return current if current["status"] in FINISHED_IMPORT else None

    return await eventually(finished, seconds=WAIT, what="the import to finish")


async def snapshot_phones(client: HeraldClient, segment_id: str) -> set[str]:
    """The segment's members as campaigns reads them: the contacts snapshot (NDJSON)."""
    response = await client.call(
        "GET", "contacts", "/v1/snapshots/contacts", params={"segment_id": segment_id}
    )
    if response.status_code != 200:
        raise PlatformError(f"snapshot: {response.status_code} {response.text[:300]}")
    return {json.loads(line)["phone"] for line in response.text.splitlines() if line.strip()}


async def has_marketing_consent(client: HeraldClient, phone: str) -> bool:
    states = await client.consent_states(phone)
    return any(
        s["purpose"] == "marketing" and s["brand"] in ("default", "*") and s["status"] == "opted_in"
        for s in states
    )


async def final_stats(
    client: HeraldClient, campaign_id: str, expected: int
) -> dict[str, Any] | None:
    stats = await client.campaign_stats(campaign_id)
    if stats is None or stats["requested"] < expected:
        return None
    done = sum(
        stats[k]
        for k in ("delivered", "undelivered", "expired", "rejected", "failed", "suppressed")
    )
    return stats if done >= stats["requested"] else None


class TestImportSegmentCampaign:
    async def test_a_segment_campaign_reaches_exactly_the_segments_consenting_members(
        self, workspace_client: HeraldClient, simulator: Simulator
    ) -> None:
        client = workspace_client
        elodie, marc, lucie, staff, paul = (random_mobile() for _ in range(5))
        consenting = {elodie, marc, staff, paul}  # marc through the API, the rest by the file
        before = await consent_changes_applied_by_campaigns()

        # The file: `;`-separated, French headers and number formats, one unusable row.
        await client.expect(201, "PUT", "contacts", "/v1/attributes/ville", json={"type": "string"})
        rows = [
            "Portable;Prénom;Ville;Étiquettes;Date opt-in;Origine",
            f"{national(elodie)};Élodie;Lyon;;2026-11-20;salon",
            f"{marc.replace('+33', '+33 (0)')};Marc;Lyon;;;",
            f"{lucie.replace('+33', '0033')};Lucie;Lyon;;;",
            f"{national(staff)};Sam;Lyon;staff;2026-11-20;intranet",
            f"{national(paul)};Paul;Paris;;2026-11-20;salon",
            "12;Personne;Lyon;;2026-11-20;salon",
        ]
        job = await import_csv(
            client,
            "\r\n".join(rows) + "\r\n",
            default_region="FR",
            mapping=json.dumps({"Ville": "attributes.ville"}),
            consent_columns=json.dumps({"opted_in_at": "Date opt-in", "source": "Origine"}),
        )
        assert job["status"] == "done", job
        assert (job["rows_read"], job["imported"], job["rejected"]) == (6, 5, 1)
        await client.record_marketing_consent(marc, "J'accepte les SMS promo de la boutique.")

        # Consent reaches the ledger, then campaigns' projection (what expansion filters on).
        async def ledger_has_all() -> bool:
            return all([await has_marketing_consent(client, p) for p in consenting])

        await eventually(ledger_has_all, seconds=WAIT, what="consent for the four opt-ins")

        async def campaigns_caught_up() -> bool:
            return await consent_changes_applied_by_campaigns() >= before + len(consenting)

        await eventually(campaigns_caught_up, seconds=WAIT, what="campaigns to apply the consent")

        # The segment: Lyon, staff excepted.
        segment = await client.expect(
            201,
            "POST",
            "contacts",
            "/v1/segments",
            json={
                "name": "Lyon (clients)",
                "filter": {
                    "all": [
                        {"field": "attributes.ville", "op": "eq", "value": "Lyon"},
                        {"not": {"field": "tags", "op": "has", "value": "staff"}},
                    ]
                },
            },
        )
        count = await client.expect(200, "GET", "contacts", f"/v1/segments/{segment['id']}/count")
        members = await snapshot_phones(client, segment["id"])
        assert members == {elodie, marc, lucie}
        assert count["count"] == len(members)
        expected = {p for p in members if await has_marketing_consent(client, p)}
        assert expected == {elodie, marc}

        campaign = await client.create_campaign(
            "Lyon", TEMPLATE, "HERALD", audience={"type": "segment", "segment_id": segment["id"]}
        )
        assert campaign["audience"]["segment_id"] == segment["id"]
        await client.launch(campaign["id"])

        async def expanded() -> dict[str, Any] | None:
            current: dict[str, Any] = await client.expect(
                200, "GET", "campaigns", f"/v1/campaigns/{campaign['id']}"
            )
            if current["expansion"] and current["expansion"]["state"] == "failed":
                raise PlatformError(f"expansion failed: {current['expansion']}")
            return current if current["status"] in ("running", "completed") else None

        expanded_campaign = await eventually(
            expanded, seconds=WAIT, what="the campaign to be expanded"
        )
        assert expanded_campaign["audience_size"] == len(expected)
        stats = await eventually(
            lambda: final_stats(client, campaign["id"], len(expected)),
            seconds=WAIT,
            what="the campaign's messages to be final in analytics",
        )
        assert (stats["requested"], stats["submitted"]) == (len(expected), len(expected))

        reached = {p for p in (elodie, marc, lucie, staff, paul) if await simulator.submits_to(p)}
        assert reached == expected
        [to_elodie] = await simulator.submits_to(elodie)
        assert to_elodie["text"] == "Bonjour Élodie, -15% à Lyon ce week-end ! STOP au 36111"

    async def test_a_campaign_on_a_segment_that_does_not_exist_is_refused(
        self, workspace_client: HeraldClient
    ) -> None:
        missing = str(uuid.uuid4())
        response = await workspace_client.call(
            "POST",
            "campaigns",
            "/v1/campaigns",
            json={
                "name": "nowhere",
                "template": "Promo",
                "category": "marketing",
                "sender": "HERALD",
                "audience": {"type": "segment", "segment_id": missing},
            },
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "audience.segment_id"
        assert missing in response.json()["detail"]
