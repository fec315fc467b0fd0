"""Double opt-in on the real database and the real Kafka (keys arrive through Kafka): the
request and its SMS in the outbox, confirmation by reply through the real `sms.inbound`
handler or by the public link, expiry, single use, erasure."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_consent.events.subscriptions import groups
from herald_consent.models import ConsentEntry, DoubleOptInRequest
from herald_events import Envelope
from herald_events.models.contacts import ContactErasedV1
from herald_events.models.receipts import KeywordKind, SmsInboundV1
from herald_kit.consumer import apply_once
from herald_kit.db import transaction
from herald_kit.outbox import Outbox
from herald_kit.tables import OUTBOX
from herald_testing.api import KeyFactory, bearer

LINK = re.compile(r"https://consent\.example\.test(/v1/consents/double-opt-in/([\w-]+)/confirm)")


def request_body(phone: str, **overrides: Any) -> dict[str, Any]:
    evidence = {
        "wording": "Je souhaite recevoir les offres de Acme par SMS.",
        "wording_version": "doi-v1",
        "collected_at": "2026-12-07T09:00:00+01:00",
        "ip": "203.0.113.9",
        "user_agent": "Mozilla/5.0 (form)",
        "collected_by": "newsletter-form",
        "page_url": "https://acme.example/sms",
        **overrides.pop("evidence", {}),
    }
    return {"phone": phone, "purpose": "marketing", "brand": "acme", "evidence": evidence} | (
        overrides
    )


def inbound(workspace: str, phone: str, text: str, **fields: Any) -> Envelope[Any]:
    payload = SmsInboundV1(
        inbound_id=uuid.uuid4(),
        phone=phone,
        destination="36111",
        text=text,
        keyword=fields.pop("keyword", KeywordKind.NONE),
        received_at=fields.pop("received_at", datetime.now(UTC)),
        **fields,
    )
    return Envelope[Any](
        type="sms.inbound", version=1, workspace_id=workspace, producer="receipts", payload=payload
    )


async def apply(
    sessions: async_sessionmaker[AsyncSession], group: str, event: Envelope[Any]
) -> bool:
    (subscription,) = groups()[group]
    async with transaction(sessions) as session:
        return await apply_once(session, Outbox("consent"), group, subscription, event)


async def outbox_values(
    sessions: async_sessionmaker[AsyncSession], topic: str, workspace: str, phone: str
) -> list[dict[str, Any]]:
    async with sessions() as session:
        values = await session.scalars(
            sa.select(OUTBOX.c.value)
            .where(OUTBOX.c.topic == topic, OUTBOX.c.key == phone)
            .order_by(OUTBOX.c.id)
        )
        return [v for v in values if v["workspace_id"] == workspace]


async def entries(
    sessions: async_sessionmaker[AsyncSession], workspace: str, phone: str
) -> list[ConsentEntry]:
    async with sessions() as session:
        rows = await session.scalars(
            sa.select(ConsentEntry)
            .where(ConsentEntry.workspace_id == workspace, ConsentEntry.phone == phone)
            .order_by(ConsentEntry.seq)
        )
        return list(rows)


async def requested(
    client: httpx.AsyncClient, key: str, phone: str, **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        "/v1/consents/double-opt-in", headers=bearer(key), json=request_body(phone, **overrides)
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def sms_of(
    sessions: async_sessionmaker[AsyncSession], workspace: str, phone: str
) -> list[dict[str, Any]]:
    return [v["payload"] for v in await outbox_values(sessions, "sms.requested", workspace, phone)]


async def age(sessions: async_sessionmaker[AsyncSession], request_id: str, by: timedelta) -> None:
    """Move a request into the past (its expiry with it)."""
    async with transaction(sessions) as session:
        await session.execute(
            sa.update(DoubleOptInRequest)
            .where(DoubleOptInRequest.id == uuid.UUID(request_id))
            .values(
                created_at=DoubleOptInRequest.created_at - by,
                expires_at=DoubleOptInRequest.expires_at - by,
            )
        )


async def verified(client: httpx.AsyncClient, key: str) -> bool:
    response = await client.get("/v1/ledger/verify", headers=bearer(key))
    assert response.status_code == 200, response.text
    return bool(response.json()["valid"])


class TestRequest:
    async def test_a_request_sends_a_transactional_confirmation_and_records_nothing_yet(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws, phone = "ws-doi-request", "+33612880001"
        key = await key_for(ws)
        body = await requested(client, key, "06 12 88 00 01")
        assert body["status"] == "pending"
        assert body["phone"] == phone
        assert body["confirmed_at"] is None
        assert datetime.fromisoformat(body["expires_at"]) - datetime.fromisoformat(
            body["requested_at"]
        ) == timedelta(hours=48)
        (sms,) = await sms_of(sessions, ws, phone)
        assert sms["category"] == "transactional"
        assert sms["reply_kind"] == "double_opt_in"
        assert sms["priority"] == "high"
        assert sms["brand"] == "acme"
        assert sms["message_id"] == body["message_id"]
        assert sms["expires_at"] == body["expires_at"]
        assert sms["text"].startswith("Répondez OUI ou ouvrez https://consent.example.test/")
        assert sms["text"].endswith("pour confirmer votre inscription aux SMS de acme.")
        assert await entries(sessions, ws, phone) == []
        status = await client.get(f"/v1/consents/double-opt-in/{body['id']}", headers=bearer(key))
        assert status.status_code == 200
        assert status.json() == body

    async def test_english_by_language(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws, phone = "ws-doi-en", "+447911123456"
        key = await key_for(ws)
        body = await requested(client, key, phone, language="en-GB")
        assert body["language"] == "en"
        (sms,) = await sms_of(sessions, ws, phone)
        assert sms["text"].startswith("Reply YES or open https://consent.example.test/")

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"purpose": "newsletter"}, "purpose"),
            ({"evidence": {"wording": None}}, "evidence.wording"),
            ({"evidence": {"wording": " "}}, "evidence.wording"),
            ({"evidence": {"wording_version": None}}, "evidence.wording_version"),
            ({"evidence": {"pre_ticked": True}}, "evidence.pre_ticked"),
            ({"channel": "email"}, "channel"),
            ({"source": "telepathy"}, "source"),
        ],
    )
    async def test_bad_input_is_422_naming_the_field(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
        change: dict[str, Any],
        field: str,
    ) -> None:
        key = await key_for("ws-doi-bad")
        response = await client.post(
            "/v1/consents/double-opt-in",
            headers=bearer(key),
            json=request_body("+33612880002", **change),
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] == field
        assert await sms_of(sessions, "ws-doi-bad", "+33612880002") == []

    async def test_a_bad_phone_and_missing_evidence_are_422(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-doi-bad")
        bad_phone = await client.post(
            "/v1/consents/double-opt-in", headers=bearer(key), json=request_body("06 12")
        )
        assert bad_phone.status_code == 422
        assert bad_phone.json()["detail"].startswith("phone:")
        body = request_body("+33612880003")
        del body["evidence"]
        missing = await client.post("/v1/consents/double-opt-in", headers=bearer(key), json=body)
        assert missing.status_code == 422
        assert missing.json()["errors"][0]["field"] == "evidence"

    async def test_requests_are_private_to_their_workspace(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        body = await requested(client, await key_for("ws-doi-mine"), "+33612880004")
        other = await key_for("ws-doi-other")
        response = await client.get(
            f"/v1/consents/double-opt-in/{body['id']}", headers=bearer(other)
        )
        assert response.status_code == 404
        unauthenticated = await client.get(f"/v1/consents/double-opt-in/{body['id']}")
        assert unauthenticated.status_code == 401


class TestConfirmByReply:
    async def test_oui_confirms_writes_the_ledger_and_announces_it(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws, phone = "ws-doi-reply", "+33612880010"
        key = await key_for(ws)
        body = await requested(client, key, phone)
        reply = inbound(ws, phone, "Oui !")

        assert await apply(sessions, "consent.inbound", reply)

        (entry,) = await entries(sessions, ws, phone)
        assert (entry.action, entry.source, entry.purpose, entry.brand) == (
            "opt_in",
            "double_opt_in",
            "marketing",
            "acme",
        )
        evidence = entry.evidence
        assert evidence["wording"] == "Je souhaite recevoir les offres de Acme par SMS."
        assert evidence["wording_version"] == "doi-v1"
        assert evidence["ip"] == "203.0.113.9"
        assert evidence["page_url"] == "https://acme.example/sms"
        assert evidence["double_opt_in_request_id"] == body["id"]
        assert evidence["confirmation_message_id"] == body["message_id"]
        assert evidence["confirmed_by"] == "reply"
        assert evidence["reply"] == "OUI"
        assert evidence["inbound_id"] == str(reply.payload.inbound_id)
        assert "{token}" in evidence["confirmation_text"]  # the credential is not kept
        assert entry.recorded_by.startswith("api_key:")
        (change,) = await outbox_values(sessions, "consent.changed", ws, phone)
        assert change["payload"]["status"] == "opted_in"
        assert change["payload"]["source"] == "double_opt_in"
        assert change["payload"]["ledger_entry_id"] == str(entry.id)
        assert change["causation_id"] == str(reply.event_id)
        assert await verified(client, key)

        status = await client.get(f"/v1/consents/double-opt-in/{body['id']}", headers=bearer(key))
        assert status.json()["status"] == "confirmed"
        assert status.json()["confirmed_by"] == "reply"
        assert status.json()["ledger_entry_id"] == str(entry.id)
        states = await client.get(f"/v1/consents/{phone}", headers=bearer(key))
        assert [(s["brand"], s["status"]) for s in states.json()["states"]] == [
            ("acme", "opted_in")
        ]

    async def test_a_second_reply_is_ignored(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws, phone = "ws-doi-twice", "+33612880011"
        key = await key_for(ws)
        await requested(client, key, phone)
        assert await apply(sessions, "consent.inbound", inbound(ws, phone, "YES"))
        assert await apply(sessions, "consent.inbound", inbound(ws, phone, "oui"))
        assert len(await entries(sessions, ws, phone)) == 1
        assert len(await outbox_values(sessions, "consent.changed", ws, phone)) == 1

    async def test_a_reply_from_another_phone_confirms_nothing(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws, phone, stranger = "ws-doi-wrong", "+33612880012", "+33612880013"
        key = await key_for(ws)
        body = await requested(client, key, phone)
        assert await apply(sessions, "consent.inbound", inbound(ws, stranger, "OUI"))
        assert await apply(sessions, "consent.inbound", inbound("ws-doi-elsewhere", phone, "OUI"))
        assert await entries(sessions, ws, phone) == []
        assert await entries(sessions, ws, stranger) == []
        status = await client.get(f"/v1/consents/double-opt-in/{body['id']}", headers=bearer(key))
        assert status.json()["status"] == "pending"

    @pytest.mark.parametrize("text", ["non", "O", "STOP les sms", "oui mais non"])
    async def test_a_reply_that_is_not_a_yes_confirms_nothing(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
        text: str,
    ) -> None:
        ws = "ws-doi-not-yes"
        phone = f"+336128801{len(text):02d}"
        await requested(client, await key_for(ws), phone)
        assert await apply(sessions, "consent.inbound", inbound(ws, phone, text))
        assert await entries(sessions, ws, phone) == []

    async def test_an_expired_request_ignores_the_reply(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws, phone = "ws-doi-expired", "+33612880014"
        key = await key_for(ws)
        body = await requested(client, key, phone)
        await age(sessions, body["id"], timedelta(hours=49))
        assert await apply(sessions, "consent.inbound", inbound(ws, phone, "OUI"))
        assert await entries(sessions, ws, phone) == []
        status = await client.get(f"/v1/consents/double-opt-in/{body['id']}", headers=bearer(key))
        assert status.json()["status"] == "expired"

    async def test_a_reply_sent_before_the_request_confirms_nothing(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws, phone = "ws-doi-early", "+33612880015"
        await requested(client, await key_for(ws), phone)
        early = inbound(ws, phone, "OUI", received_at=datetime.now(UTC) - timedelta(hours=1))
        assert await apply(sessions, "consent.inbound", early)
        assert await entries(sessions, ws, phone) == []


class TestConfirmByLink:
    async def test_the_public_link_confirms_once_with_the_browser_as_evidence(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws, phone = "ws-doi-link", "+33612880020"
        key = await key_for(ws)
        body = await requested(client, key, phone)
        (sms,) = await sms_of(sessions, ws, phone)
        match = LINK.search(sms["text"])
        assert match is not None
        path = match.group(1)

        response = await client.get(path, headers={"user-agent": "HandsetBrowser/1.0"})

        assert response.status_code == 200, response.text
        assert response.json()["status"] == "confirmed"
        assert response.json()["confirmed_by"] == "link"
        (entry,) = await entries(sessions, ws, phone)
        assert entry.source == "double_opt_in"
        assert entry.evidence["confirmed_by"] == "link"
        assert entry.evidence["confirmation_user_agent"] == "HandsetBrowser/1.0"
        assert entry.evidence["confirmation_ip"]
        assert entry.evidence["ip"] == "203.0.113.9"
        assert match.group(2) not in str(entry.evidence)
        (change,) = await outbox_values(sessions, "consent.changed", ws, phone)
        assert change["payload"]["source"] == "double_opt_in"
        assert await verified(client, key)

        again = await client.get(path)
        assert again.status_code == 409
        assert "already used" in again.json()["detail"]
        late_reply = inbound(ws, phone, "OUI")
        assert await apply(sessions, "consent.inbound", late_reply)
        assert len(await entries(sessions, ws, phone)) == 1
        status = await client.get(f"/v1/consents/double-opt-in/{body['id']}", headers=bearer(key))
        assert status.json()["confirmed_by"] == "link"

    async def test_a_browser_gets_a_page_in_the_request_language(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws, phone = "ws-doi-page", "+33612880021"
        await requested(client, await key_for(ws), phone)
        (sms,) = await sms_of(sessions, ws, phone)
        match = LINK.search(sms["text"])
        assert match is not None
        response = await client.get(match.group(1), headers={"accept": "text/html"})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert "votre inscription aux SMS de acme est confirmée" in response.text

    async def test_an_expired_link_is_gone(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws, phone = "ws-doi-link-expired", "+33612880022"
        body = await requested(client, await key_for(ws), phone)
        await age(sessions, body["id"], timedelta(hours=48))
        (sms,) = await sms_of(sessions, ws, phone)
        match = LINK.search(sms["text"])
        assert match is not None
        response = await client.get(match.group(1))
        assert response.status_code == 410
        assert response.headers["content-type"] == "application/problem+json"
        assert "expired" in response.json()["detail"]
        assert await entries(sessions, ws, phone) == []

    async def test_a_replaced_request_is_gone_and_a_reply_confirms_the_newest(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws, phone = "ws-doi-replaced", "+33612880023"
        key = await key_for(ws)
        first = await requested(client, key, phone)
        second = await requested(client, key, phone)
        old_sms, _ = await sms_of(sessions, ws, phone)
        match = LINK.search(old_sms["text"])
        assert match is not None
        response = await client.get(match.group(1))
        assert response.status_code == 410
        assert "newer request" in response.json()["detail"]
        assert await apply(sessions, "consent.inbound", inbound(ws, phone, "oui"))
        (entry,) = await entries(sessions, ws, phone)
        assert entry.evidence["double_opt_in_request_id"] == second["id"]
        status = await client.get(f"/v1/consents/double-opt-in/{first['id']}", headers=bearer(key))
        assert status.json()["status"] == "superseded"

    async def test_an_unknown_or_malformed_token_is_refused(
        self, client: httpx.AsyncClient
    ) -> None:
        unknown = await client.get("/v1/consents/double-opt-in/AAAAAAAAAAAAAAAAAAAAAAAA/confirm")
        assert unknown.status_code == 404
        malformed = await client.get("/v1/consents/double-opt-in/short/confirm")
        assert malformed.status_code == 422


async def test_erasure_deletes_the_number_s_requests(
    client: httpx.AsyncClient,
    key_for: KeyFactory,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    ws, phone = "ws-doi-erase", "+33612880030"
    key = await key_for(ws)
    confirmed = await requested(client, key, phone)
    assert await apply(sessions, "consent.inbound", inbound(ws, phone, "OUI"))
    pending = await requested(client, key, phone, brand="other")
    kept = await requested(client, key, "+33612880031")
    erased = ContactErasedV1(contact_id=uuid.uuid4(), phone=phone, erased_at=datetime.now(UTC))
    event = Envelope[Any](
        type="contact.erased", version=1, workspace_id=ws, producer="contacts", payload=erased
    )

    assert await apply(sessions, "consent.erasure", event)

    for gone in (confirmed, pending):
        response = await client.get(f"/v1/consents/double-opt-in/{gone['id']}", headers=bearer(key))
        assert response.status_code == 404
    still = await client.get(f"/v1/consents/double-opt-in/{kept['id']}", headers=bearer(key))
    assert still.json()["status"] == "pending"
    assert await entries(sessions, ws, phone) == []  # the ledger entry is pseudonymised
    assert await verified(client, key)
