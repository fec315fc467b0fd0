"""The receipts API on the real database and the real Kafka (keys arrive through Kafka)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_events import Envelope
from herald_events.models.dispatcher import GatewayInboundV1, InboundKind, SmsSubmittedV1
from herald_kit.consumer import apply_once
from herald_kit.db import transaction
from herald_kit.outbox import Outbox
from herald_receipts.events.subscriptions import groups
from herald_testing.api import KeyFactory, bearer

T0 = datetime(2026, 11, 24, 10, 15, tzinfo=UTC)


async def apply(
    sessions: async_sessionmaker[AsyncSession], topic: str, workspace: str, payload: Any
) -> None:
    event = Envelope[Any](
        type=topic, version=1, workspace_id=workspace, producer="dispatcher", payload=payload
    )
    for group, subscriptions in groups().items():
        for subscription in subscriptions:
            if subscription.topic == topic:
                async with transaction(sessions) as session:
                    await apply_once(session, Outbox("receipts"), group, subscription, event)


async def delivered_message(
    sessions: async_sessionmaker[AsyncSession], workspace: str, parts: int = 2
) -> uuid.UUID:
    message_id = uuid.uuid4()
    ids = [uuid.uuid4().hex[:12] for _ in range(parts)]
    await apply(
        sessions,
        "sms.submitted",
        workspace,
        SmsSubmittedV1(
            message_id=message_id,
            phone="+33612345678",
            category="marketing",
            route="smpp-api",
            provider_message_ids=ids,
            segments=parts,
            encoding="GSM7",
            submitted_at=T0,
        ),
    )
    await apply(
        sessions,
        "gateway.inbound",
        workspace,
        GatewayInboundV1(
            kind=InboundKind.DELIVERY_RECEIPT,
            route="smpp-api",
            provider_message_id=ids[0],
            source="+33612345678",
            destination="HERALD",
            receipt_status="DELIVRD",
            error_code="000",
            received_at=T0 + timedelta(seconds=3),
        ),
    )
    return message_id


async def handset_says(
    sessions: async_sessionmaker[AsyncSession], workspace: str, phone: str, text: str, minute: int
) -> None:
    await apply(
        sessions,
        "gateway.inbound",
        workspace,
        GatewayInboundV1(
            kind=InboundKind.MOBILE_ORIGINATED,
            route="smpp-api",
            source=phone,
            destination="36111",
            text=text,
            received_at=T0 + timedelta(minutes=minute),
        ),
    )


class TestDeliveries:
    async def test_a_delivery_state_part_by_part(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await key_for("ws-api-dlr", ("receipts:read",))
        message_id = await delivered_message(sessions, "ws-api-dlr")
        response = await client.get(f"/v1/deliveries/{message_id}", headers=bearer(key))
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["status"], body["final"], body["parts_total"], body["parts_delivered"]) == (
            "unknown",
            False,
            2,
            1,
        )
        assert [(p["part_index"], p["status"], p["final"]) for p in body["parts"]] == [
            (0, "delivered", True),
            (1, "unknown", False),
        ]

    async def test_an_unknown_message_is_404(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-api-dlr")
        response = await client.get(f"/v1/deliveries/{uuid.uuid4()}", headers=bearer(key))
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"

    async def test_a_message_id_that_is_no_uuid_is_422(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-api-dlr")
        response = await client.get("/v1/deliveries/abc", headers=bearer(key))
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "message_id"


class TestInbound:
    async def test_newest_first_across_pages(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await key_for("ws-api-mo")
        for minute in range(5):
            await handset_says(sessions, "ws-api-mo", "+33612340101", f"message {minute}", minute)
        await handset_says(sessions, "ws-api-mo", "+33612340102", "STOP", 9)
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/v1/inbound", headers=bearer(key), params=params)).json()
            seen += [item["text"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == ["STOP", "message 4", "message 3", "message 2", "message 1", "message 0"]

    async def test_filtered_by_phone_in_any_format(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await key_for("ws-api-mo-phone")
        await handset_says(sessions, "ws-api-mo-phone", "+33612340201", "Bonjour", 1)
        await handset_says(sessions, "ws-api-mo-phone", "+33612340202", "Stop", 2)
        response = await client.get(
            "/v1/inbound", headers=bearer(key), params={"phone": "06 12 34 02 02"}
        )
        assert response.status_code == 200
        items = response.json()["items"]
        assert [(i["phone"], i["keyword_kind"], i["keyword"]) for i in items] == [
            ("+33612340202", "opt_out", "STOP")
        ]

    async def test_bad_filters_are_422(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-api-mo")
        for params, field in (
            ({"phone": "not-a-phone"}, None),
            ({"limit": 0}, "limit"),
            ({"cursor": "!!"}, None),
        ):
            response = await client.get("/v1/inbound", headers=bearer(key), params=params)
            assert response.status_code == 422
            if field:
                assert response.json()["errors"][0]["field"] == field


class TestAuthentication:
    async def test_no_key_is_401(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/v1/inbound")).status_code == 401
        assert (await client.get(f"/v1/deliveries/{uuid.uuid4()}")).status_code == 401

    async def test_a_wrong_secret_is_401(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-api-auth")
        forged = key[: key.rindex("_") + 1] + "x" * 43
        assert (await client.get("/v1/inbound", headers=bearer(forged))).status_code == 401

    async def test_a_key_without_the_scope_is_403(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-api-auth", ("consent:read",))
        assert (await client.get("/v1/inbound", headers=bearer(key))).status_code == 403
        response = await client.get(f"/v1/deliveries/{uuid.uuid4()}", headers=bearer(key))
        assert response.status_code == 403

    async def test_another_workspace_sees_nothing(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        owner = await key_for("ws-api-owner")
        other = await key_for("ws-api-other")
        message_id = await delivered_message(sessions, "ws-api-owner", parts=1)
        await handset_says(sessions, "ws-api-owner", "+33612340301", "secret reply", 1)
        path = f"/v1/deliveries/{message_id}"
        assert (await client.get(path, headers=bearer(owner))).status_code == 200
        assert (await client.get(path, headers=bearer(other))).status_code == 404
        listed = await client.get("/v1/inbound", headers=bearer(other))
        assert listed.json()["items"] == []
