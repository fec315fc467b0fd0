"""A campaign on a saved segment, through the API: the segment must exist in the workspace's
contacts when the campaign is created and when it is launched (a REAL contacts API on a
loopback port answers, asked with the campaigns service key)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_campaigns import service
from herald_campaigns.contacts_client import ContactsClient
from herald_campaigns.errors import ContactsUnavailable
from herald_campaigns.main import create_app
from herald_campaigns.schemas import CampaignCreate
from herald_campaigns.settings import ContactsApiSettings, get_settings
from herald_kit.tables import OUTBOX
from herald_stack.kafka import KafkaBroker
from herald_stack.ports import HOST, free_port
from herald_testing.api import KeyFactory, bearer, running_app, service_env

from .test_expansion import ContactsApi, contacts_api, workspace

__all__ = ["contacts_api"]  # the module's real contacts API, shared by these tests

VIP = {"field": "tags", "op": "has", "value": "vip"}


@pytest.fixture
async def client(
    service_dsn: str,
    kafka_broker: KafkaBroker,
    contacts_api: ContactsApi,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[httpx.AsyncClient]:
    """The campaigns app, configured to ask the real contacts API (as in production)."""
    env = {
        **service_env("campaigns", service_dsn, kafka_broker.bootstrap),
        "HERALD_CAMPAIGNS_CONTACTS__URL": contacts_api.url,
        "HERALD_CAMPAIGNS_CONTACTS__API_KEY": contacts_api.system_key,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        async with running_app(create_app()) as api:
            yield api
    finally:
        get_settings.cache_clear()


def body(audience: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "Soldes VIP",
        "template": "Bonjour {{first_name|client}}, -20% pour nos VIP ! STOP au 36111",
        "category": "marketing",
        "sender": "HERALD",
        "audience": audience,
    }


async def outbox_count(sessions: async_sessionmaker[AsyncSession], campaign_id: str) -> int:
    async with sessions() as session:
        rows = await session.execute(OUTBOX.select().where(OUTBOX.c.key == campaign_id))
        return len(rows.all())


class TestCreate:
    async def test_a_campaign_on_an_existing_segment_is_a_draft(
        self, client: httpx.AsyncClient, key_for: KeyFactory, contacts_api: ContactsApi
    ) -> None:
        ws = workspace("ws-seg-api")
        key = await key_for(ws)
        segment_id = await contacts_api.create_segment(ws, VIP)
        response = await client.post(
            "/v1/campaigns",
            headers=bearer(key),
            json=body({"type": "segment", "segment_id": segment_id}),
        )
        assert response.status_code == 201, response.text
        created = response.json()
        assert created["status"] == "draft"
        assert created["audience"] == {
            "type": "segment",
            "segment_id": segment_id,
            "include_unreachable": False,
        }
        fetched = await client.get(f"/v1/campaigns/{created['id']}", headers=bearer(key))
        assert fetched.json() == created

    async def test_an_unknown_segment_is_422_naming_it(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for(workspace("ws-seg-api"))
        missing = uuid.uuid4()
        response = await client.post(
            "/v1/campaigns",
            headers=bearer(key),
            json=body({"type": "segment", "segment_id": str(missing)}),
        )
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["errors"][0]["field"] == "audience.segment_id"
        assert problem["detail"] == (
            f"audience.segment_id: no segment {missing} in this workspace's contacts"
        )

    async def test_another_workspaces_segment_is_unknown_here(
        self, client: httpx.AsyncClient, key_for: KeyFactory, contacts_api: ContactsApi
    ) -> None:
        theirs = await contacts_api.create_segment(workspace("ws-seg-theirs"), VIP)
        key = await key_for(workspace("ws-seg-mine"))
        response = await client.post(
            "/v1/campaigns",
            headers=bearer(key),
            json=body({"type": "segment", "segment_id": theirs, "include_unreachable": True}),
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == "audience.segment_id"

    async def test_an_unreachable_contacts_service_is_503_and_nothing_is_created(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        ws = workspace("ws-seg-down")
        contacts = ContactsClient(
            ContactsApiSettings(url=f"http://{HOST}:{free_port()}", api_key="hrl_k_realsecret")
        )
        data = CampaignCreate.model_validate(
            body({"type": "segment", "segment_id": str(uuid.uuid4())})
        )
        try:
            async with sessions() as session:
                with pytest.raises(ContactsUnavailable) as caught:
                    await service.create_campaign(session, ws, data, contacts)
                assert await service.list_campaigns(session, ws, None, 10) == []
        finally:
            await contacts.aclose()
        assert caught.value.status_code == 503
        assert "ConnectError" in caught.value.detail


class TestLaunch:
    async def _draft(self, client: httpx.AsyncClient, key: str, segment_id: str) -> dict[str, Any]:
        response = await client.post(
            "/v1/campaigns",
            headers=bearer(key),
            json=body({"type": "segment", "segment_id": segment_id}),
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def test_a_campaign_on_an_existing_segment_launches(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        contacts_api: ContactsApi,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws = workspace("ws-seg-launch")
        key = await key_for(ws)
        campaign = await self._draft(client, key, await contacts_api.create_segment(ws, VIP))
        launched = await client.post(f"/v1/campaigns/{campaign['id']}/launch", headers=bearer(key))
        assert launched.status_code == 202, launched.text
        assert launched.json()["status"] == "launching"
        assert await outbox_count(sessions, campaign["id"]) == 1  # campaign.scheduled
        again = await client.post(f"/v1/campaigns/{campaign['id']}/launch", headers=bearer(key))
        assert again.status_code == 409

    async def test_a_segment_deleted_before_the_launch_is_422_and_the_draft_stays(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        contacts_api: ContactsApi,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws = workspace("ws-seg-deleted")
        key = await key_for(ws)
        segment_id = await contacts_api.create_segment(ws, VIP)
        campaign = await self._draft(client, key, segment_id)
        await contacts_api.delete_segment(ws, segment_id)
        launched = await client.post(f"/v1/campaigns/{campaign['id']}/launch", headers=bearer(key))
        assert launched.status_code == 422, launched.text
        assert launched.json()["errors"][0]["field"] == "audience.segment_id"
        assert segment_id in launched.json()["detail"]
        fetched = await client.get(f"/v1/campaigns/{campaign['id']}", headers=bearer(key))
        assert (fetched.json()["status"], fetched.json()["expansion"]) == ("draft", None)
        assert await outbox_count(sessions, campaign["id"]) == 0
