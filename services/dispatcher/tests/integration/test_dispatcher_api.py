"""The dispatcher API on the real database and the real Kafka (keys arrive through Kafka)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_dispatcher import service
from herald_events.models.campaigns import SmsRequestedV1
from herald_kit.db import transaction
from herald_testing.api import KeyFactory, bearer


async def queue_message(
    sessions: async_sessionmaker[AsyncSession], workspace: str, text: str = "Votre code : 4242"
) -> uuid.UUID:
    request = SmsRequestedV1(
        message_id=uuid.uuid4(),
        phone="+33612345678",
        text=text,
        category="transactional",
        sender="HERALD",
        expires_at=datetime.now(UTC) + timedelta(hours=1),
        priority="high",
    )
    async with transaction(sessions) as session:
        await service.request_sms(session, workspace, request, datetime.now(UTC))
    return request.message_id


class TestGetMessage:
    async def test_the_ledger_state_of_a_message(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await key_for("ws-api", ("dispatcher:read",))
        message_id = await queue_message(sessions, "ws-api", "Noël approche 🎄")
        response = await client.get(f"/v1/messages/{message_id}", headers=bearer(key))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["message_id"] == str(message_id)
        assert body["status"] == "queued"
        assert body["priority"] == "high"
        assert (body["segments"], body["encoding"]) == (1, "UCS2")
        assert body["provider_message_ids"] == []
        assert body["text"] == "Noël approche 🎄"

    async def test_another_workspace_sees_404(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        other = await key_for("ws-other", ("dispatcher:read",))
        message_id = await queue_message(sessions, "ws-owner")
        response = await client.get(f"/v1/messages/{message_id}", headers=bearer(other))
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"

    async def test_an_unknown_id_is_404(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-api", ("dispatcher:read",))
        response = await client.get(f"/v1/messages/{uuid.uuid4()}", headers=bearer(key))
        assert response.status_code == 404

    async def test_a_malformed_id_is_422_naming_the_field(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-api", ("dispatcher:read",))
        response = await client.get("/v1/messages/not-a-uuid", headers=bearer(key))
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "message_id"


class TestRoutes:
    async def test_routes_show_the_configuration_without_the_password(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-api", ("dispatcher:read",))
        response = await client.get("/v1/routes", headers=bearer(key))
        assert response.status_code == 200
        [route] = response.json()["items"]
        assert route["name"] == "smpp-test"
        assert route["kind"] == "smpp"
        assert route["window"] == 50
        assert "password" not in response.text
        assert "t3stpw" not in response.text


class TestAuthentication:
    async def test_no_key_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/v1/routes")
        assert response.status_code == 401

    async def test_a_wrong_secret_is_401(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-auth")
        forged = key[: key.rindex("_") + 1] + "x" * 43
        response = await client.get(f"/v1/messages/{uuid.uuid4()}", headers=bearer(forged))
        assert response.status_code == 401

    async def test_a_key_without_the_scope_is_403(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-auth", ("contacts:read",))
        for path in ("/v1/routes", f"/v1/messages/{uuid.uuid4()}"):
            response = await client.get(path, headers=bearer(key))
            assert response.status_code == 403, path


class TestSendingRules:
    async def test_saved_checked_and_reset(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-rules", ("dispatcher:*",))
        response = await client.get("/v1/sending-rules", headers=bearer(key))
        assert response.status_code == 200, response.text
        assert response.json()["source"] == "deployment"
        assert [p["name"] for p in response.json()["packs"]] == ["FR-strict", "US-TCPA", "default"]
        rules = {
            "packs": [{"name": "FR-af2m-2026", "options": {"sundays": True}}],
            "caps": [{"category": "marketing", "limit": 4, "window": "P30D"}],
        }
        response = await client.put("/v1/sending-rules", json=rules, headers=bearer(key))
        assert response.status_code == 200, response.text
        body = (await client.get("/v1/sending-rules", headers=bearer(key))).json()
        assert body["source"] == "workspace"
        assert body["packs"] == rules["packs"]
        assert body["caps"][0]["limit"] == 4
        response = await client.delete("/v1/sending-rules", headers=bearer(key))
        assert response.status_code == 204
        body = (await client.get("/v1/sending-rules", headers=bearer(key))).json()
        assert body["source"] == "deployment"

    async def test_an_unknown_pack_or_option_is_a_422_naming_it(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-rules-bad", ("dispatcher:write",))
        for packs, words in (
            ([{"name": "FR-lenient"}], "unknown rule pack 'FR-lenient'; known packs"),
            ([{"name": "default", "options": {"closes": "8pm"}}], "closes must be a time"),
        ):
            response = await client.put(
                "/v1/sending-rules", json={"packs": packs}, headers=bearer(key)
            )
            assert response.status_code == 422, response.text
            assert words in response.text

    async def test_reading_them_needs_a_key_and_writing_the_write_scope(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        reader = await key_for("ws-rules-ro", ("dispatcher:read",))
        response = await client.put(
            "/v1/sending-rules", json={"packs": [{"name": "FR-strict"}]}, headers=bearer(reader)
        )
        assert response.status_code == 403
        assert (await client.get("/v1/sending-rules")).status_code == 401
