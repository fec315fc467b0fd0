"""The contact model through the API and the consumer: declared attribute types, lifecycle,
lists, time zone sources, last replies and reachability, each change announced in full."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_contacts.events.subscriptions import groups
from herald_kit.tables import OUTBOX
from herald_testing.api import KeyFactory, bearer
from herald_testing.contracts import apply_example


async def last_state(sessions: async_sessionmaker[AsyncSession], contact_id: str) -> Any:
    async with sessions() as session:
        values = (
            await session.scalars(
                sa.select(OUTBOX.c.value)
                .where(OUTBOX.c.topic == "contact.updated", OUTBOX.c.key == contact_id)
                .order_by(OUTBOX.c.id)
            )
        ).all()
    return values[-1]["payload"], len(values)


class TestAttributeTypes:
    async def test_declare_confirm_list(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-attr")
        first = await client.put(
            "/v1/attributes/points", headers=bearer(key), json={"type": "number"}
        )
        again = await client.put(
            "/v1/attributes/points", headers=bearer(key), json={"type": "number"}
        )
        other = await client.put(
            "/v1/attributes/birthday", headers=bearer(key), json={"type": "date"}
        )
        assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
        listed = await client.get("/v1/attributes", headers=bearer(key))
        assert [(a["name"], a["type"]) for a in listed.json()["items"]] == [
            ("birthday", "date"),
            ("points", "number"),
        ]
        stranger = await key_for("ws-attr-stranger")
        assert (await client.get("/v1/attributes", headers=bearer(stranger))).json()["items"] == []

    async def test_bad_names_and_types_are_422(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-attr")
        bad_name = await client.put(
            "/v1/attributes/Loyalty-Tier", headers=bearer(key), json={"type": "string"}
        )
        assert bad_name.status_code == 422
        assert "is not an attribute name" in bad_name.json()["detail"]
        bad_type = await client.put(
            "/v1/attributes/tier", headers=bearer(key), json={"type": "colour"}
        )
        assert bad_type.status_code == 422
        assert bad_type.json()["errors"][0]["field"] == "type"

    async def test_a_type_held_by_contacts_cannot_change(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-attr-lock")
        await client.put("/v1/attributes/points", headers=bearer(key), json={"type": "number"})
        await client.put("/v1/attributes/spare", headers=bearer(key), json={"type": "number"})
        created = await client.post(
            "/v1/contacts",
            headers=bearer(key),
            json={"phone": "0611000001", "attributes": {"points": 3}},
        )
        assert created.status_code == 201, created.text
        locked = await client.put(
            "/v1/attributes/points", headers=bearer(key), json={"type": "string"}
        )
        assert locked.status_code == 409
        assert locked.json()["detail"].startswith("type: attribute 'points' is a number")
        free = await client.put(
            "/v1/attributes/spare", headers=bearer(key), json={"type": "string"}
        )
        assert (free.status_code, free.json()["type"]) == (200, "string")


class TestContactFields:
    async def test_create_with_the_whole_model(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await key_for("ws-model")
        await client.put("/v1/attributes/points", headers=bearer(key), json={"type": "number"})
        await client.put("/v1/attributes/renewal", headers=bearer(key), json={"type": "date"})
        response = await client.post(
            "/v1/contacts",
            headers=bearer(key),
            json={
                "phone": "+262 692 12 34 56",
                "lifecycle": "customer",
                "lists": ["summer", "black-friday", "summer"],
                "attributes": {"points": 12.5, "renewal": "2027-01-31"},
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["lifecycle"] == "customer"
        assert body["lists"] == ["black-friday", "summer"]
        assert (body["timezone"], body["timezone_source"], body["timezone_ambiguous"]) == (
            "Indian/Reunion",
            "phone_prefix",
            False,
        )
        assert (body["reachable"], body["unreachable_reason"]) == (True, None)
        event, _ = await last_state(sessions, body["id"])
        assert (event["lifecycle"], event["lists"], event["reachable"]) == (
            "customer",
            ["black-friday", "summer"],
            True,
        )

    async def test_time_zones_explicit_prefix_or_ambiguous(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-model-tz")
        explicit = await client.post(
            "/v1/contacts",
            headers=bearer(key),
            json={"phone": "0611000010", "timezone": "America/Cayenne"},
        )
        spanish = await client.post(
            "/v1/contacts", headers=bearer(key), json={"phone": "+34 612 34 56 78"}
        )
        assert (explicit.json()["timezone"], explicit.json()["timezone_source"]) == (
            "America/Cayenne",
            "explicit",
        )
        assert (
            spanish.json()["timezone"],
            spanish.json()["timezone_source"],
            spanish.json()["timezone_ambiguous"],
        ) == (None, "unknown", True)
        back_to_prefix = await client.patch(
            f"/v1/contacts/{explicit.json()['id']}", headers=bearer(key), json={"timezone": None}
        )
        assert (back_to_prefix.json()["timezone"], back_to_prefix.json()["timezone_source"]) == (
            "Europe/Paris",
            "phone_prefix",
        )
        unknown = await client.post(
            "/v1/contacts",
            headers=bearer(key),
            json={"phone": "0611000011", "timezone": "Mars/Olympus"},
        )
        assert unknown.status_code == 422
        assert unknown.json()["detail"].startswith("timezone: unknown time zone 'Mars/Olympus'")

    async def test_attributes_obey_the_declared_types(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-model-attr")
        await client.put("/v1/attributes/points", headers=bearer(key), json={"type": "number"})
        undeclared = await client.post(
            "/v1/contacts",
            headers=bearer(key),
            json={"phone": "0611000020", "attributes": {"shoe": 42}},
        )
        mistyped = await client.post(
            "/v1/contacts",
            headers=bearer(key),
            json={"phone": "0611000020", "attributes": {"points": "many"}},
        )
        assert undeclared.status_code == mistyped.status_code == 422
        assert undeclared.json()["detail"].startswith("attributes.shoe: unknown attribute 'shoe'")
        assert mistyped.json()["detail"] == (
            "attributes.points: expected a number, got a string for attribute 'points'"
        )
        listed = await client.get("/v1/contacts", headers=bearer(key))
        assert listed.json()["items"] == []  # nothing half-created

        created = await client.post(
            "/v1/contacts",
            headers=bearer(key),
            json={"phone": "0611000020", "attributes": {"points": 1}},
        )
        contact_id = created.json()["id"]
        patched = await client.patch(
            f"/v1/contacts/{contact_id}", headers=bearer(key), json={"attributes": {"points": True}}
        )
        assert patched.status_code == 422
        kept = await client.get(f"/v1/contacts/{contact_id}", headers=bearer(key))
        assert kept.json()["attributes"] == {"points": 1}

    async def test_update_lifecycle_lists_and_nulls(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-model-update")
        contact_id = (
            await client.post(
                "/v1/contacts",
                headers=bearer(key),
                json={"phone": "0611000030", "lists": ["a"], "tags": ["t"]},
            )
        ).json()["id"]
        patched = await client.patch(
            f"/v1/contacts/{contact_id}",
            headers=bearer(key),
            json={"lifecycle": "member", "lists": ["b", "a"], "tags": None},
        )
        assert patched.status_code == 200, patched.text
        assert (patched.json()["lifecycle"], patched.json()["lists"], patched.json()["tags"]) == (
            "member",
            ["a", "b"],
            [],
        )
        for field, value in (("lifecycle", None), ("lifecycle", "vip"), ("locale", None)):
            refused = await client.patch(
                f"/v1/contacts/{contact_id}", headers=bearer(key), json={field: value}
            )
            assert refused.status_code == 422, (field, value, refused.text)
            assert field in refused.json()["detail"]


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


def inbound(phone: str, at: str) -> dict[str, Any]:
    return {
        "inbound_id": str(uuid.uuid4()),
        "phone": phone,
        "destination": "36111",
        "text": "Oui !",
        "keyword": "none",
        "received_at": at,
    }


def failed(phone: str, code: str, reason: str) -> dict[str, Any]:
    return {
        "message_id": str(uuid.uuid4()),
        "phone": phone,
        "route": "smpp-default",
        "error_code": code,
        "reason": reason,
        "failed_at": "2026-11-24T10:00:00+00:00",
    }


class TestEngagementAndReachability:
    async def test_a_reply_moves_last_reply_forward_only(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await key_for("ws-engage")
        contact_id = (
            await client.post("/v1/contacts", headers=bearer(key), json={"phone": "0611000040"})
        ).json()["id"]
        phone = "+33611000040"
        for at in ("2026-11-20T10:00:00+00:00", "2026-11-10T10:00:00+00:00"):
            assert await apply_example(
                sessions,
                groups(),
                "sms.inbound",
                envelope("sms.inbound", "ws-engage", inbound(phone, at)),
            )
        contact = (await client.get(f"/v1/contacts/{contact_id}", headers=bearer(key))).json()
        assert contact["last_reply_at"] == "2026-11-20T10:00:00Z"
        _, published = await last_state(sessions, contact_id)
        assert published == 2  # the create, then the newer reply (the older one changed nothing)
        # another workspace's number is not this contact
        other = envelope(
            "sms.inbound", "ws-engage-other", inbound(phone, "2026-11-23T10:00:00+00:00")
        )
        assert await apply_example(sessions, groups(), "sms.inbound", other)
        contact = (await client.get(f"/v1/contacts/{contact_id}", headers=bearer(key))).json()
        assert contact["last_reply_at"] == "2026-11-20T10:00:00Z"

    async def test_a_rejected_destination_leaves_audiences_until_marked_reachable(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await key_for("ws-reach")
        contact_id = (
            await client.post("/v1/contacts", headers=bearer(key), json={"phone": "0611000050"})
        ).json()["id"]
        phone = "+33611000050"
        too_long = envelope(
            "sms.failed", "ws-reach", failed(phone, "0x00000001", "invalid message length")
        )
        assert await apply_example(sessions, groups(), "sms.failed", too_long)
        assert (await client.get(f"/v1/contacts/{contact_id}", headers=bearer(key))).json()[
            "reachable"
        ]

        bad_number = envelope(
            "sms.failed", "ws-reach", failed(phone, "0x0000000B", "invalid destination address")
        )
        assert await apply_example(sessions, groups(), "sms.failed", bad_number)
        contact = (await client.get(f"/v1/contacts/{contact_id}", headers=bearer(key))).json()
        assert (contact["reachable"], contact["unreachable_reason"]) == (
            False,
            "sms.failed 0x0000000B: invalid destination address",
        )
        event, _ = await last_state(sessions, contact_id)
        assert event["reachable"] is False
        snapshot = await client.get("/v1/snapshots/contacts", headers=bearer(key))
        assert snapshot.text == ""
        count = await client.post(
            "/v1/segments/count", headers=bearer(key), json={"filter": {"all": []}}
        )
        assert count.json()["count"] == 0

        restored = await client.patch(
            f"/v1/contacts/{contact_id}", headers=bearer(key), json={"reachable": True}
        )
        assert (restored.json()["reachable"], restored.json()["unreachable_reason"]) == (True, None)
        snapshot = await client.get("/v1/snapshots/contacts", headers=bearer(key))
        assert len(snapshot.text.splitlines()) == 1
