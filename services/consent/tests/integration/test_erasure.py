"""`contact.erased` through the real handler on the migrated database: the number leaves the
ledger and the states, its opt-outs stay under a keyed pseudonym, and they are found again
when the number comes back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_compliance.pseudonyms import phone_pseudonym
from herald_consent.events.subscriptions import groups
from herald_consent.models import ConsentEntry, ConsentState
from herald_events import Envelope
from herald_events.models.contacts import ContactErasedV1
from herald_events.models.receipts import OptoutReceivedV1
from herald_kit.consumer import apply_once
from herald_kit.db import transaction
from herald_kit.outbox import Outbox
from herald_kit.tables import IDEMPOTENT_REQUEST, OUTBOX
from herald_testing.api import KeyFactory, bearer


def envelope(workspace: str, topic: str, payload: Any) -> Envelope[Any]:
    return Envelope[Any](
        type=topic, version=1, workspace_id=workspace, producer="test", payload=payload
    )


def erased(workspace: str, phone: str) -> Envelope[Any]:
    payload = ContactErasedV1(contact_id=uuid.uuid4(), phone=phone, erased_at=datetime.now(UTC))
    return envelope(workspace, "contact.erased", payload)


def stop(workspace: str, phone: str) -> Envelope[Any]:
    payload = OptoutReceivedV1(
        phone=phone, source="keyword", keyword="STOP", received_at=datetime.now(UTC)
    )
    return envelope(workspace, "optout.received", payload)


async def apply(
    sessions: async_sessionmaker[AsyncSession], group: str, event: Envelope[Any]
) -> bool:
    (subscription,) = groups()[group]
    async with transaction(sessions) as session:
        return await apply_once(session, Outbox("consent"), group, subscription, event)


def opt_in(phone: str, brand: str = "default") -> dict[str, Any]:
    return {
        "phone": phone,
        "purpose": "marketing",
        "brand": brand,
        "source": "web_form",
        "evidence": {
            "wording": "J'accepte de recevoir les offres de Acme par SMS.",
            "wording_version": "form-v3",
            "collected_at": "2026-11-24T09:00:00+01:00",
            "ip": "203.0.113.7",
            "user_agent": "Mozilla/5.0",
            "collected_by": "signup-form",
        },
    }


async def rows_of(
    sessions: async_sessionmaker[AsyncSession], workspace: str, phone: str
) -> tuple[list[ConsentEntry], list[ConsentState]]:
    async with sessions() as session:
        entries = await session.scalars(
            sa.select(ConsentEntry)
            .where(ConsentEntry.workspace_id == workspace, ConsentEntry.phone == phone)
            .order_by(ConsentEntry.created_at)
        )
        states = await session.scalars(
            sa.select(ConsentState).where(
                ConsentState.workspace_id == workspace, ConsentState.phone == phone
            )
        )
        return list(entries), list(states)


@pytest.fixture
def pseudonym(erasure_key: bytes) -> Any:
    return lambda workspace, phone: phone_pseudonym(erasure_key, workspace, phone)


class TestForget:
    async def test_the_number_leaves_and_only_its_opt_outs_stay_under_a_pseudonym(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
        pseudonym: Any,
    ) -> None:
        ws, phone = "ws-erase-optout", "+33612990001"
        key = await key_for(ws)
        for brand in ("default", "acme"):
            response = await client.post(
                "/v1/consents", headers=bearer(key), json=opt_in(phone, brand)
            )
            assert response.status_code == 201, response.text
        await client.post(
            "/v1/optouts",
            headers=bearer(key),
            json={"phone": phone, "purpose": "marketing", "brand": "acme"},
        )
        changes_before = await consent_changes(sessions, phone)

        assert await apply(sessions, "consent.erasure", erased(ws, phone))

        assert await rows_of(sessions, ws, phone) == ([], [])
        entries, states = await rows_of(sessions, ws, pseudonym(ws, phone))
        assert [(e.action, e.brand) for e in entries] == [
            ("opt_in", "default"),
            ("opt_in", "acme"),
            ("opt_out", "acme"),
        ]
        kept = entries[0].evidence
        assert "ip" not in kept
        assert "user_agent" not in kept
        assert kept["wording"].startswith("J'accepte")
        assert kept["wording_version"] == "form-v3"
        assert [(s.purpose, s.brand, s.status) for s in states] == [
            ("marketing", "acme", "opted_out")
        ]
        assert await consent_changes(sessions, phone) == changes_before

    async def test_look_ups_still_find_the_opt_out_and_its_proof(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
        pseudonym: Any,
    ) -> None:
        ws, phone = "ws-erase-lookup", "+33612990002"
        key = await key_for(ws)
        assert await apply(sessions, "consent.optouts", stop(ws, phone))
        assert await apply(sessions, "consent.erasure", erased(ws, phone))

        states = await client.get(f"/v1/consents/{phone}", headers=bearer(key))
        evidence = await client.get("/v1/consents/0612990002/evidence", headers=bearer(key))

        assert states.status_code == 200, states.text
        assert states.json()["phone"] == phone
        assert {(s["purpose"], s["brand"], s["status"]) for s in states.json()["states"]} == {
            ("marketing", "*", "opted_out"),
            ("transactional", "*", "opted_out"),
        }
        assert {s["phone"] for s in states.json()["states"]} == {pseudonym(ws, phone)}
        assert [e["evidence"]["keyword"] for e in evidence.json()["entries"]] == ["STOP", "STOP"]
        assert phone[3:] not in str(evidence.json()["entries"])

    async def test_an_opt_in_attempt_finds_the_opt_out_first(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
        pseudonym: Any,
    ) -> None:
        ws, phone = "ws-erase-back", "+33612990003"
        key = await key_for(ws)
        assert await apply(sessions, "consent.optouts", stop(ws, phone))
        assert await apply(sessions, "consent.erasure", erased(ws, phone))

        # A STOP again: the number is known to be opted out already, nothing moves.
        assert await apply(sessions, "consent.optouts", stop(ws, phone))
        _, states = await rows_of(sessions, ws, phone)
        assert {(s.purpose, s.status) for s in states} == {
            ("marketing", "opted_out"),
            ("transactional", "opted_out"),
        }
        assert await rows_of(sessions, ws, pseudonym(ws, phone)) != ([], [])  # the proof
        _, erased_states = await rows_of(sessions, ws, pseudonym(ws, phone))
        assert erased_states == []  # the states came back to the number

        # An explicit opt-in with evidence is what moves it, as for any opted-out number.
        response = await client.post("/v1/consents", headers=bearer(key), json=opt_in(phone))
        assert response.status_code == 201, response.text
        assert response.json()["state"]["status"] == "opted_in"

    async def test_opt_ins_are_not_kept_and_a_new_one_is_needed(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
        pseudonym: Any,
    ) -> None:
        ws, phone = "ws-erase-optin", "+33612990004"
        key = await key_for(ws)
        await client.post("/v1/consents", headers=bearer(key), json=opt_in(phone))
        assert await apply(sessions, "consent.erasure", erased(ws, phone))

        entries, states = await rows_of(sessions, ws, pseudonym(ws, phone))
        assert ([e.action for e in entries], states) == (["opt_in"], [])
        looked_up = await client.get(f"/v1/consents/{phone}", headers=bearer(key))
        assert looked_up.status_code == 404

    async def test_idempotency_answers_quoting_the_number_are_deleted(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws, phone = "ws-erase-idem", "+33612990005"
        key = await key_for(ws)
        headers = {**bearer(key), "Idempotency-Key": "erase-me"}
        other = {**bearer(key), "Idempotency-Key": "keep-me"}
        await client.post("/v1/consents", headers=headers, json=opt_in(phone))
        await client.post("/v1/consents", headers=other, json=opt_in("+33612990015"))
        await client.post(
            "/v1/optouts",
            headers={**bearer(key), "Idempotency-Key": "stop-me"},
            json={"phone": phone},
        )

        assert await apply(sessions, "consent.erasure", erased(ws, phone))

        async with sessions() as session:
            keys = await session.scalars(
                sa.select(IDEMPOTENT_REQUEST.c.key).where(IDEMPOTENT_REQUEST.c.workspace_id == ws)
            )
            assert set(keys) == {"keep-me"}

    async def test_other_workspaces_and_numbers_are_untouched(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        phone = "+33612990006"
        assert await apply(sessions, "consent.optouts", stop("ws-erase-a", phone))
        assert await apply(sessions, "consent.optouts", stop("ws-erase-b", phone))
        assert await apply(sessions, "consent.optouts", stop("ws-erase-a", "+33612990016"))

        assert await apply(sessions, "consent.erasure", erased("ws-erase-a", phone))

        assert await rows_of(sessions, "ws-erase-a", phone) == ([], [])
        for workspace, number in (("ws-erase-b", phone), ("ws-erase-a", "+33612990016")):
            entries, states = await rows_of(sessions, workspace, number)
            assert (len(entries), len(states)) == (2, 2)

    async def test_a_second_erasure_of_the_number_changes_nothing_more(
        self, sessions: async_sessionmaker[AsyncSession], pseudonym: Any
    ) -> None:
        ws, phone = "ws-erase-twice", "+33612990007"
        assert await apply(sessions, "consent.optouts", stop(ws, phone))
        assert await apply(sessions, "consent.erasure", erased(ws, phone))
        first = await rows_of(sessions, ws, pseudonym(ws, phone))
        assert await apply(sessions, "consent.erasure", erased(ws, phone))
        second = await rows_of(sessions, ws, pseudonym(ws, phone))
        assert [e.id for e in second[0]] == [e.id for e in first[0]]
        assert [(s.purpose, s.status) for s in second[1]] == [
            (s.purpose, s.status) for s in first[1]
        ]


class TestTheLedgerStaysAppendOnly:
    async def test_updates_and_deletes_are_still_refused(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        ws, phone = "ws-erase-guard", "+33612990008"
        assert await apply(sessions, "consent.optouts", stop(ws, phone))
        forbidden = [
            sa.update(ConsentEntry).where(ConsentEntry.phone == phone).values(source="forged"),
            sa.delete(ConsentEntry).where(ConsentEntry.phone == phone),
        ]
        for statement in forbidden:
            with pytest.raises(DBAPIError, match="append-only"):
                async with transaction(sessions) as session:
                    await session.execute(statement)

    async def test_the_pseudonymisation_flag_allows_nothing_but_pseudonymising(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        ws, phone = "ws-erase-guard", "+33612990009"
        assert await apply(sessions, "consent.optouts", stop(ws, phone))
        forbidden = [
            {"phone": "+33600000000"},  # not a pseudonym
            {"phone": "hmac-sha256:00", "action": "opt_in"},  # rewrites what happened
            {"phone": "hmac-sha256:00", "evidence": {"keyword": "START"}},  # adds evidence
        ]
        for values in forbidden:
            async with sessions() as session, session.begin():
                await session.execute(
                    sa.text("SELECT set_config('herald.consent_pseudonymising', 'on', true)")
                )
                update = sa.update(ConsentEntry).where(ConsentEntry.phone == phone)
                with pytest.raises(DBAPIError, match="append-only"):
                    await session.execute(update.values(values))

    async def test_the_function_refuses_anything_but_a_pseudonym(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        with pytest.raises(DBAPIError, match="not a pseudonym"):
            async with transaction(sessions) as session:
                await session.execute(
                    sa.text(
                        "SELECT consent_entry_pseudonymise('ws', '+33612990010', "
                        "'+33600000000', ARRAY[]::text[])"
                    )
                )


async def consent_changes(sessions: async_sessionmaker[AsyncSession], phone: str) -> int:
    async with sessions() as session:
        count = await session.scalar(
            sa.select(sa.func.count())
            .select_from(OUTBOX)
            .where(OUTBOX.c.topic == "consent.changed", OUTBOX.c.key == phone)
        )
    return int(count or 0)
