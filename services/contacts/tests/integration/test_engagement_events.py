"""Clicks (`link.clicked`), undeliverable receipts (`sms.delivered`) and orders
(`commerce.events`) through the real consumer groups and the real database; each change
is announced in full on `contact.updated`."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_contacts.events.subscriptions import groups
from herald_contacts.models import Contact
from herald_contacts.service import to_event
from herald_events.models.contacts import ContactUpdatedV1
from herald_kit.tables import OUTBOX
from herald_testing.api import KeyFactory, bearer
from herald_testing.contracts import apply_example


def envelope(topic: str, workspace: str, payload: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "event_id": str(uuid.uuid4()),
            "type": topic,
            "version": 1,
            "occurred_at": datetime.now(UTC).isoformat(),
            "workspace_id": workspace,
            "producer": "test",
            "correlation_id": None,
            "causation_id": None,
            "payload": payload,
        }
    ).encode()


def clicked(contact_id: str | None, at: str, bot: bool = False) -> dict[str, Any]:
    return {
        "message_id": str(uuid.uuid4()),
        "campaign_id": str(uuid.uuid4()),
        "contact_id": contact_id,
        "link_token": "aZ3kP9",
        "bot": bot,
        "clicked_at": at,
    }


def delivered(
    phone: str | None,
    contact_id: str | None,
    status: str,
    final: bool = True,
    error_code: str | None = "001",
) -> dict[str, Any]:
    return {
        "message_id": str(uuid.uuid4()),
        "campaign_id": None,
        "phone": phone,
        "contact_id": contact_id,
        "status": status,
        "final": final,
        "error_code": error_code,
        "reported_at": "2026-11-24T10:15:04+00:00",
    }


async def apply(
    sessions: async_sessionmaker[AsyncSession], topic: str, workspace: str, payload: Any
) -> None:
    assert await apply_example(sessions, groups(), topic, envelope(topic, workspace, payload))


async def published(sessions: async_sessionmaker[AsyncSession], contact_id: str) -> list[Any]:
    async with sessions() as session:
        values = await session.scalars(
            sa.select(OUTBOX.c.value)
            .where(OUTBOX.c.topic == "contact.updated", OUTBOX.c.key == contact_id)
            .order_by(OUTBOX.c.id)
        )
        return [value["payload"] for value in values]


async def create(client: httpx.AsyncClient, key: str, phone: str) -> str:
    response = await client.post("/v1/contacts", headers=bearer(key), json={"phone": phone})
    assert response.status_code == 201, response.text
    contact_id: str = response.json()["id"]
    return contact_id


async def read(client: httpx.AsyncClient, key: str, contact_id: str) -> Any:
    return (await client.get(f"/v1/contacts/{contact_id}", headers=bearer(key))).json()


class TestClicks:
    async def test_a_click_moves_last_click_forward_only(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await key_for("ws-click")
        contact_id = await create(client, key, "0611000060")
        for at in ("2026-11-20T10:00:00+00:00", "2026-11-10T10:00:00+00:00"):
            await apply(sessions, "link.clicked", "ws-click", clicked(contact_id, at))
        assert (await read(client, key, contact_id))["last_click_at"] == "2026-11-20T10:00:00Z"
        states = await published(sessions, contact_id)
        assert len(states) == 2  # the create, then the newer click (the older changed nothing)
        assert states[-1]["last_click_at"].startswith("2026-11-20T10:00:00")

        recent = {"field": "last_click_at", "op": "within_last_days", "value": 36500}
        segment = {"filter": {"all": [recent]}}
        count = await client.post("/v1/segments/count", headers=bearer(key), json=segment)
        assert count.json()["count"] == 1, count.text

    async def test_bots_strangers_and_other_workspaces_change_nothing(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await key_for("ws-click-none")
        contact_id = await create(client, key, "0611000061")
        at = "2026-11-21T10:00:00+00:00"
        await apply(sessions, "link.clicked", "ws-click-none", clicked(contact_id, at, bot=True))
        await apply(sessions, "link.clicked", "ws-click-none", clicked(None, at))
        await apply(sessions, "link.clicked", "ws-click-none", clicked(str(uuid.uuid4()), at))
        await apply(sessions, "link.clicked", "ws-click-other", clicked(contact_id, at))
        assert (await read(client, key, contact_id))["last_click_at"] is None
        assert len(await published(sessions, contact_id)) == 1  # the create only


class TestUndeliverableReceipts:
    async def test_a_final_undelivered_receipt_marks_the_number_unreachable(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws = "ws-dlr-reach"
        key = await key_for(ws)
        contact_id = await create(client, key, "0611000070")
        phone = "+33611000070"
        for status, final in (("delivered", True), ("expired", True), ("undelivered", False)):
            await apply(sessions, "sms.delivered", ws, delivered(phone, contact_id, status, final))
        assert (await read(client, key, contact_id))["reachable"] is True

        await apply(sessions, "sms.delivered", ws, delivered(phone, contact_id, "undelivered"))
        contact = await read(client, key, contact_id)
        assert (contact["reachable"], contact["unreachable_reason"], contact["unreachable_at"]) == (
            False,
            "sms.delivered undelivered: error 001",
            "2026-11-24T10:15:04Z",
        )
        states = await published(sessions, contact_id)
        assert len(states) == 2
        assert (states[-1]["reachable"], states[-1]["unreachable_reason"]) == (
            False,
            "sms.delivered undelivered: error 001",
        )
        snapshot = await client.get("/v1/snapshots/contacts", headers=bearer(key))
        assert snapshot.text == ""

        # already unreachable: a second failure changes nothing, announces nothing
        await apply(sessions, "sms.delivered", ws, delivered(phone, None, "rejected"))
        assert len(await published(sessions, contact_id)) == 2

    async def test_without_a_phone_the_contact_id_finds_the_contact(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws = "ws-dlr-id"
        key = await key_for(ws)
        contact_id = await create(client, key, "0611000071")
        await apply(
            sessions, "sms.delivered", "ws-dlr-id-other", delivered(None, contact_id, "rejected")
        )
        assert (await read(client, key, contact_id))["reachable"] is True
        await apply(
            sessions, "sms.delivered", ws, delivered(None, contact_id, "rejected", error_code=None)
        )
        contact = await read(client, key, contact_id)
        assert (contact["reachable"], contact["unreachable_reason"]) == (
            False,
            "sms.delivered rejected",
        )

    async def test_a_receipt_for_another_number_spares_the_contact(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        """The message went to the contact's earlier number: the current one is not condemned."""
        ws = "ws-dlr-moved"
        key = await key_for(ws)
        contact_id = await create(client, key, "0611000072")
        receipt = delivered("+33611000073", contact_id, "undelivered")
        await apply(sessions, "sms.delivered", ws, receipt)
        await apply(
            sessions,
            "sms.delivered",
            "ws-dlr-moved-other",
            delivered("+33611000072", None, "undelivered"),
        )
        assert (await read(client, key, contact_id))["reachable"] is True


class TestFullState:
    async def test_contact_updated_carries_purchases_and_engagement(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws = "ws-full-state"
        key = await key_for(ws)
        contact_id = await create(client, key, "0611000080")
        order = {
            "kind": "order.placed",
            "external_customer_ref": "shop-80",
            "phone": "+33611000080",
            "occurred_at": "2026-11-22T18:30:00+00:00",
            "data": {"total": "59.90"},
        }
        await apply(sessions, "commerce.events", ws, order)
        await apply(sessions, "commerce.events", ws, {**order, "data": {"total": "90.05"}})
        at = "2026-11-23T12:01:00+00:00"
        await apply(sessions, "link.clicked", ws, clicked(contact_id, at))

        state = (await published(sessions, contact_id))[-1]
        assert (state["orders_count"], state["total_spent"]) == (2, 149.95)
        assert state["last_order_at"].startswith("2026-11-22T18:30:00")
        assert state["last_click_at"].startswith("2026-11-23T12:01:00")
        assert state["timezone_source"] == "phone_prefix"
        async with sessions() as session:
            row = await session.get(Contact, uuid.UUID(contact_id))
        assert row is not None
        assert ContactUpdatedV1.model_validate(state) == to_event(row)
        assert to_event(row).total_spent == Decimal("149.95")
