"""The analytics API on the real database and the real Kafka (keys arrive through Kafka)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import httpx
from analytics_support import (
    apply,
    at,
    delivered,
    inbound,
    new_workspace,
    optout,
    requested,
    scheduled,
    submitted,
    suppressed,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_events.models.dispatcher import SuppressionReason
from herald_testing.api import KeyFactory, bearer

Sessions = async_sessionmaker[AsyncSession]


class TestAccess:
    async def test_no_key_or_a_wrong_key_is_401(self, client: httpx.AsyncClient) -> None:
        missing = await client.get("/v1/campaigns")
        wrong = await client.get("/v1/campaigns", headers=bearer("hrl_nope_not-a-real-secret"))
        malformed = await client.get("/v1/engagement/daily", headers=bearer("garbage"))
        assert [r.status_code for r in (missing, wrong, malformed)] == [401, 401, 401]
        assert missing.headers["content-type"] == "application/problem+json"

    async def test_a_key_without_the_scope_is_403(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for(new_workspace(), ("contacts:read", "campaigns:write"))
        for path in (
            "/v1/campaigns",
            f"/v1/campaigns/{uuid.uuid4()}/stats",
            "/v1/engagement/daily",
        ):
            response = await client.get(path, headers=bearer(key))
            assert response.status_code == 403, path
            assert "analytics:read" in response.json()["detail"]

    async def test_another_workspaces_campaign_is_404(
        self, client: httpx.AsyncClient, key_for: KeyFactory, sessions: Sessions
    ) -> None:
        owner, other = new_workspace(), new_workspace()
        campaign_id = uuid.uuid4()
        await apply(sessions, scheduled(owner, campaign_id))
        owner_key, other_key = await key_for(owner), await key_for(other)
        path = f"/v1/campaigns/{campaign_id}/stats"
        assert (await client.get(path, headers=bearer(owner_key))).status_code == 200
        response = await client.get(path, headers=bearer(other_key))
        assert response.status_code == 404
        assert response.json()["detail"] == "no campaign with this id in this workspace"
        listed = (await client.get("/v1/campaigns", headers=bearer(other_key))).json()
        assert listed["items"] == []


class TestCampaignStats:
    async def test_figures_of_a_campaign(
        self, client: httpx.AsyncClient, key_for: KeyFactory, sessions: Sessions
    ) -> None:
        workspace, campaign_id = new_workspace(), uuid.uuid4()
        m1, m2, m3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        await apply(
            sessions,
            scheduled(workspace, campaign_id, audience_size=3),
            *[requested(workspace, m, campaign_id) for m in (m1, m2, m3)],
            submitted(workspace, m1, campaign_id, segments=2),
            submitted(workspace, m2, campaign_id),
            delivered(workspace, m1, campaign_id),
            suppressed(workspace, m3, campaign_id, SuppressionReason.FREQUENCY_CAP),
        )
        key = await key_for(workspace)
        response = await client.get(f"/v1/campaigns/{campaign_id}/stats", headers=bearer(key))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["campaign_id"] == str(campaign_id)
        assert (body["name"], body["state"], body["audience_size"]) == (
            "Soldes d'hiver",
            "scheduled",
            3,
        )
        assert body["requested"] == 3
        assert body["submitted"] == 2
        assert body["suppressed"] == 1
        assert body["suppressed_by_reason"]["frequency_cap"] == 1
        assert body["suppressed_by_reason"]["no_consent"] == 0
        assert (body["delivered"], body["undelivered"], body["pending"]) == (1, 0, 1)
        assert (body["failed"], body["expired"], body["rejected"]) == (0, 0, 0)
        assert body["segments"] == 3
        assert body["delivery_rate"] == 0.5
        assert body["updated_at"] is not None

    async def test_nothing_submitted_gives_a_null_rate(
        self, client: httpx.AsyncClient, key_for: KeyFactory, sessions: Sessions
    ) -> None:
        workspace, campaign_id = new_workspace(), uuid.uuid4()
        await apply(sessions, requested(workspace, uuid.uuid4(), campaign_id))
        key = await key_for(workspace)
        body = (await client.get(f"/v1/campaigns/{campaign_id}/stats", headers=bearer(key))).json()
        assert (body["name"], body["requested"], body["delivery_rate"]) == (None, 1, None)

    async def test_an_unknown_campaign_is_404_and_a_bad_id_422(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for(new_workspace())
        unknown = await client.get(f"/v1/campaigns/{uuid.uuid4()}/stats", headers=bearer(key))
        bad = await client.get("/v1/campaigns/not-a-uuid/stats", headers=bearer(key))
        assert unknown.status_code == 404
        assert bad.status_code == 422
        assert bad.json()["errors"][0]["field"] == "campaign_id"


class TestCampaignList:
    async def test_pages_are_stable_and_newest_first(
        self, client: httpx.AsyncClient, key_for: KeyFactory, sessions: Sessions
    ) -> None:
        workspace = new_workspace()
        ids = [uuid.uuid4() for _ in range(5)]
        for campaign_id in ids:  # one transaction each: distinct first-seen times
            await apply(sessions, scheduled(workspace, campaign_id, name=f"c-{campaign_id}"))
        key = await key_for(workspace)
        seen: list[str] = []
        cursor = None
        for _ in range(4):
            params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
            response = await client.get("/v1/campaigns", headers=bearer(key), params=params)
            assert response.status_code == 200, response.text
            body = response.json()
            seen += [item["campaign_id"] for item in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert seen == [str(c) for c in reversed(ids)]
        first = (await client.get("/v1/campaigns", headers=bearer(key))).json()["items"][0]
        assert set(first) == {
            "campaign_id",
            "name",
            "category",
            "state",
            "audience_size",
            "launched_at",
            "updated_at",
        }

    async def test_bad_paging_input_is_422_with_the_field(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for(new_workspace())
        zero = await client.get("/v1/campaigns?limit=0", headers=bearer(key))
        cursor = await client.get("/v1/campaigns?cursor=%%%", headers=bearer(key))
        assert zero.status_code == 422
        assert zero.json()["errors"][0]["field"] == "limit"
        assert cursor.status_code == 422
        assert cursor.json()["detail"].startswith("cursor:")


class TestDailyEngagement:
    async def test_counts_per_day_with_zero_days(
        self, client: httpx.AsyncClient, key_for: KeyFactory, sessions: Sessions
    ) -> None:
        workspace = new_workspace()
        await apply(
            sessions,
            inbound(workspace, at(0)),
            inbound(workspace, at(10)),
            optout(workspace, at(10)),
            inbound(workspace, at(2 * 86_400)),
        )
        key = await key_for(workspace)
        first = at(0).date()
        response = await client.get(
            "/v1/engagement/daily",
            headers=bearer(key),
            params={"from": first.isoformat(), "to": (first + timedelta(days=2)).isoformat()},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["from"], body["to"]) == (
            first.isoformat(),
            (first + timedelta(days=2)).isoformat(),
        )
        assert body["days"] == [
            {"day": first.isoformat(), "inbound": 2, "optout": 1},
            {"day": (first + timedelta(days=1)).isoformat(), "inbound": 0, "optout": 0},
            {"day": (first + timedelta(days=2)).isoformat(), "inbound": 1, "optout": 0},
        ]

    async def test_default_range_ends_today(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for(new_workspace())
        body = (await client.get("/v1/engagement/daily", headers=bearer(key))).json()
        assert len(body["days"]) == 30
        assert date.fromisoformat(body["to"]) >= date.fromisoformat(body["from"])
        assert all(day["inbound"] == 0 for day in body["days"])

    async def test_bad_dates_are_422_with_the_field(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for(new_workspace())
        not_a_date = await client.get("/v1/engagement/daily?from=yesterday", headers=bearer(key))
        reversed_range = await client.get(
            "/v1/engagement/daily?from=2026-02-01&to=2026-01-01", headers=bearer(key)
        )
        too_long = await client.get(
            "/v1/engagement/daily?from=2024-01-01&to=2026-01-01", headers=bearer(key)
        )
        assert not_a_date.status_code == 422
        assert not_a_date.json()["errors"][0]["field"] == "from"
        assert reversed_range.status_code == 422
        assert reversed_range.json()["detail"].startswith("to:")
        assert too_long.status_code == 422
        assert too_long.json()["detail"].startswith("to:")
