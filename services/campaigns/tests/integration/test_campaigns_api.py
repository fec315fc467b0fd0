"""The campaigns API on the real database and the real Kafka (keys arrive through Kafka)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_campaigns.domain.messages import scheduled_event_id, updated_event_id
from herald_campaigns.models import ExpansionJob
from herald_kit.tables import OUTBOX
from herald_testing.api import KeyFactory, bearer


def workspace(prefix: str) -> str:
    """A workspace of its own for each test: the database is shared by the session."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def campaign_body(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Soldes d'hiver",
        "template": "Bonjour {{first_name|client}}, -20% ce week-end ! STOP au 36111",
        "category": "marketing",
        "sender": "HERALD",
        "audience": {"type": "all_contacts"},
        **overrides,
    }


async def outbox_rows(sessions: async_sessionmaker[AsyncSession], key: str) -> list[sa.Row[Any]]:
    async with sessions() as session:
        result = await session.execute(
            sa.select(OUTBOX.c.event_id, OUTBOX.c.topic, OUTBOX.c.key, OUTBOX.c.value)
            .where(OUTBOX.c.key == key)
            .order_by(OUTBOX.c.id)
        )
        return list(result.all())


async def create(client: httpx.AsyncClient, key: str, **overrides: Any) -> dict[str, Any]:
    response = await client.post(
        "/v1/campaigns", headers=bearer(key), json=campaign_body(**overrides)
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


class TestCreate:
    async def test_a_campaign_is_created_as_a_draft_and_announces_nothing(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await key_for(workspace("ws-create"))
        body = await create(client, key)
        assert body["status"] == "draft"
        assert body["brand"] == "default"
        assert body["expires_in_hours"] == 24
        assert (body["priority"], body["cap_policy"], body["fold_accents"]) == (
            "normal",
            "postpone",
            False,
        )
        assert body["expires_at"] is None
        assert body["audience"] == {"type": "all_contacts"}
        assert body["expanded_count"] == 0
        assert body["expansion"] is None
        assert await outbox_rows(sessions, body["id"]) == []
        fetched = await client.get(f"/v1/campaigns/{body['id']}", headers=bearer(key))
        assert fetched.json() == body

    async def test_composition_settings_are_stored_and_read_back(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for(workspace("ws-compose"))
        body = await create(client, key, priority="high", cap_policy="skip", fold_accents=True)
        assert (body["priority"], body["cap_policy"], body["fold_accents"]) == (
            "high",
            "skip",
            True,
        )
        fetched = await client.get(f"/v1/campaigns/{body['id']}", headers=bearer(key))
        assert fetched.json() == body
        listed = await client.get("/v1/campaigns", headers=bearer(key))
        assert listed.json()["items"] == [body]

    async def test_an_unknown_cap_policy_or_priority_is_422_listing_the_values(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for(workspace("ws-bad"))
        for overrides, values in (
            ({"cap_policy": "drop"}, "'postpone' or 'skip'"),
            ({"priority": "urgent"}, "'high', 'normal' or 'low'"),
        ):
            response = await client.post(
                "/v1/campaigns", headers=bearer(key), json=campaign_body(**overrides)
            )
            assert response.status_code == 422
            assert values in response.json()["detail"], response.text

    async def test_an_unknown_variable_is_422_naming_it_and_its_position(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for(workspace("ws-bad"))
        response = await client.post(
            "/v1/campaigns", headers=bearer(key), json=campaign_body(template="Salut {{prenom}} !")
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["errors"][0]["field"] == "template"
        assert "unknown variable 'prenom' at position 9" in problem["detail"]

    async def test_unclosed_braces_are_422_with_the_position(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for(workspace("ws-bad"))
        response = await client.post(
            "/v1/campaigns", headers=bearer(key), json=campaign_body(template="Salut {{first_name")
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "template"
        assert "'{{' is never closed by '}}' at position 7" in response.json()["detail"]

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"sender": "HERALDSHOP24"}, "sender"),
            ({"sender": "HERALD SHOP"}, "sender"),
            ({"category": "promo"}, "category"),
            ({"audience": {"type": "everyone"}}, "audience"),
            ({"audience": {}}, "audience"),
            ({"audience": {"type": "segment"}}, "audience.segment.segment_id"),
            ({"audience": {"type": "segment", "segment_id": "7"}}, "audience.segment.segment_id"),
            (
                {"audience": {"type": "all_contacts", "segment_id": None}},
                "audience.all_contacts.segment_id",
            ),
            ({"expires_in_hours": 0}, "expires_in_hours"),
            ({"expires_in_hours": 73}, "expires_in_hours"),
            ({"brand": "*"}, "brand"),
            ({"name": ""}, "name"),
            ({"colour": "blue"}, "colour"),
            ({"priority": "urgent"}, "priority"),
            ({"priority": 1}, "priority"),
            ({"cap_policy": "drop"}, "cap_policy"),
            ({"cap_policy": None}, "cap_policy"),
            ({"fold_accents": "maybe"}, "fold_accents"),
        ],
    )
    async def test_bad_input_is_422_naming_the_field(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        overrides: dict[str, Any],
        field: str,
    ) -> None:
        key = await key_for(workspace("ws-bad"))
        response = await client.post(
            "/v1/campaigns", headers=bearer(key), json=campaign_body(**overrides)
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == field


class TestAuthentication:
    async def test_no_key_is_401(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/v1/campaigns")).status_code == 401
        assert (await client.post("/v1/campaigns", json=campaign_body())).status_code == 401

    async def test_a_wrong_secret_is_401(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for(workspace("ws-auth"))
        forged = key[: key.rindex("_") + 1] + "x" * 43
        response = await client.get("/v1/campaigns", headers=bearer(forged))
        assert response.status_code == 401

    async def test_a_read_only_key_reads_but_cannot_write(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        ws = workspace("ws-auth")
        writer = await key_for(ws, ("campaigns:write",))
        reader = await key_for(ws, ("campaigns:read",))
        campaign = await create(client, writer)
        assert (
            await client.get(f"/v1/campaigns/{campaign['id']}", headers=bearer(reader))
        ).status_code == 200
        for path in ("", f"/{campaign['id']}/launch", f"/{campaign['id']}/cancel"):
            response = await client.post(
                f"/v1/campaigns{path}", headers=bearer(reader), json=campaign_body()
            )
            assert response.status_code == 403, path
        other_service = await key_for(ws, ("contacts:read",))
        assert (await client.get("/v1/campaigns", headers=bearer(other_service))).status_code == 403

    async def test_another_workspace_sees_404(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        owner = await key_for(workspace("ws-owner"))
        other = await key_for(workspace("ws-other"))
        campaign_id = (await create(client, owner))["id"]
        assert (
            await client.get(f"/v1/campaigns/{campaign_id}", headers=bearer(other))
        ).status_code == 404
        for action in ("launch", "cancel"):
            response = await client.post(
                f"/v1/campaigns/{campaign_id}/{action}", headers=bearer(other)
            )
            assert response.status_code == 404, action
        listed = await client.get("/v1/campaigns", headers=bearer(other))
        assert campaign_id not in listed.text
        still = await client.get(f"/v1/campaigns/{campaign_id}", headers=bearer(owner))
        assert still.json()["status"] == "draft"

    async def test_an_unknown_id_is_404_and_a_malformed_one_422(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for(workspace("ws-404"))
        assert (
            await client.get(f"/v1/campaigns/{uuid.uuid4()}", headers=bearer(key))
        ).status_code == 404
        response = await client.get("/v1/campaigns/not-a-uuid", headers=bearer(key))
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "campaign_id"


class TestList:
    async def test_pages_are_newest_first_and_follow_the_cursor(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for(workspace("ws-pages"))
        created = [(await create(client, key, name=f"c{n}"))["id"] for n in range(5)]
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/v1/campaigns", headers=bearer(key), params=params)).json()
            seen += [c["id"] for c in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == list(reversed(created))

    async def test_the_status_filters_and_a_forged_cursor_is_422(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for(workspace("ws-filter"))
        draft = await create(client, key)
        launched = await create(client, key)
        await client.post(f"/v1/campaigns/{launched['id']}/launch", headers=bearer(key))
        page = (
            await client.get("/v1/campaigns", headers=bearer(key), params={"status": "launching"})
        ).json()
        assert [c["id"] for c in page["items"]] == [launched["id"]]
        assert draft["id"] not in str(page)
        bad = await client.get("/v1/campaigns", headers=bearer(key), params={"cursor": "!!"})
        assert bad.status_code == 422
        wrong = await client.get("/v1/campaigns", headers=bearer(key), params={"status": "x"})
        assert wrong.status_code == 422
        assert wrong.json()["errors"][0]["field"] == "status"


class TestLaunch:
    async def test_launch_is_202_with_the_job_and_campaign_scheduled_in_one_go(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws = workspace("ws-launch")
        key = await key_for(ws)
        campaign = await create(client, key, expires_in_hours=6, brand="shoes")
        response = await client.post(f"/v1/campaigns/{campaign['id']}/launch", headers=bearer(key))
        assert response.status_code == 202, response.text
        body = response.json()
        assert body["status"] == "launching"
        launched_at = datetime.fromisoformat(body["launched_at"])
        assert datetime.fromisoformat(body["expires_at"]) - launched_at == timedelta(hours=6)
        assert body["expansion"]["state"] == "pending"
        async with sessions() as session:
            job = await session.get(ExpansionJob, uuid.UUID(campaign["id"]))
        assert job is not None
        assert (job.workspace_id, job.state, job.cursor) == (ws, "pending", None)
        [row] = await outbox_rows(sessions, campaign["id"])
        assert row.topic == "campaign.scheduled"
        assert row.event_id == scheduled_event_id(uuid.UUID(campaign["id"]))
        assert row.value["workspace_id"] == ws
        assert row.value["correlation_id"] == campaign["id"]
        payload = row.value["payload"]
        assert payload["audience_size"] is None
        assert payload["brand"] == "shoes"
        assert payload["category"] == "marketing"
        assert datetime.fromisoformat(payload["expires_at"]) == datetime.fromisoformat(
            body["expires_at"]
        )

    async def test_launching_twice_is_a_conflict(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for(workspace("ws-launch"))
        campaign = await create(client, key)
        path = f"/v1/campaigns/{campaign['id']}/launch"
        assert (await client.post(path, headers=bearer(key))).status_code == 202
        again = await client.post(path, headers=bearer(key))
        assert again.status_code == 409
        assert again.headers["content-type"] == "application/problem+json"
        assert "launching" in again.json()["detail"]


class TestCancel:
    async def test_cancel_announces_it_and_cannot_be_repeated(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await key_for(workspace("ws-cancel"))
        campaign = await create(client, key)
        response = await client.post(f"/v1/campaigns/{campaign['id']}/cancel", headers=bearer(key))
        assert response.status_code == 200
        assert response.json()["status"] == "cancelled"
        [row] = await outbox_rows(sessions, campaign["id"])
        assert row.topic == "campaign.updated"
        assert row.event_id == updated_event_id(uuid.UUID(campaign["id"]), "cancelled")
        assert row.value["payload"]["state"] == "cancelled"
        again = await client.post(f"/v1/campaigns/{campaign['id']}/cancel", headers=bearer(key))
        assert again.status_code == 409
        assert "cancelled" in again.json()["detail"]
        launch = await client.post(f"/v1/campaigns/{campaign['id']}/launch", headers=bearer(key))
        assert launch.status_code == 409

    async def test_cancelling_a_launch_ends_its_expansion(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await key_for(workspace("ws-cancel"))
        campaign = await create(client, key)
        await client.post(f"/v1/campaigns/{campaign['id']}/launch", headers=bearer(key))
        response = await client.post(f"/v1/campaigns/{campaign['id']}/cancel", headers=bearer(key))
        assert response.status_code == 200
        assert response.json()["expansion"]["state"] == "done"
        topics = [r.topic for r in await outbox_rows(sessions, campaign["id"])]
        assert topics == ["campaign.scheduled", "campaign.updated"]
