"""The consent API on the real database and the real Kafka (keys arrive through Kafka)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_consent.models import ConsentEntry
from herald_kit.tables import OUTBOX
from herald_testing.api import KeyFactory, bearer


def opt_in(phone: str, **overrides: Any) -> dict[str, Any]:
    evidence = {
        "wording": "J'accepte de recevoir les offres de Acme par SMS.",
        "wording_version": "form-v3",
        "collected_at": "2026-11-24T09:00:00+01:00",
        "ip": "203.0.113.7",
        "user_agent": "Mozilla/5.0",
        "collected_by": "signup-form",
        "pre_ticked": False,
        **overrides.pop("evidence", {}),
    }
    return {
        "phone": phone,
        "purpose": "marketing",
        "source": "web_form",
        "evidence": evidence,
        **overrides,
    }


async def consent_events(
    sessions: async_sessionmaker[AsyncSession], workspace: str, phone: str
) -> list[dict[str, Any]]:
    async with sessions() as session:
        rows = (
            await session.execute(
                sa.select(OUTBOX.c.topic, OUTBOX.c.value)
                .where(OUTBOX.c.key == phone)
                .order_by(OUTBOX.c.id)
            )
        ).all()
    return [
        row.value
        for row in rows
        if row.topic == "consent.changed" and row.value["workspace_id"] == workspace
    ]


class TestRecordConsent:
    async def test_an_opt_in_is_written_stated_and_announced(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await key_for("ws-optin")
        response = await client.post(
            "/v1/consents", headers=bearer(key), json=opt_in("06 11 22 33 01")
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["changed"] is True
        assert body["entry"]["phone"] == "+33611223301"
        assert body["entry"]["action"] == "opt_in"
        assert body["entry"]["brand"] == "default"
        assert body["entry"]["evidence"]["wording_version"] == "form-v3"
        assert body["entry"]["evidence"]["ip"] == "203.0.113.7"
        assert body["state"] == {
            "phone": "+33611223301",
            "purpose": "marketing",
            "brand": "default",
            "status": "opted_in",
            "ledger_entry_id": body["entry"]["id"],
            "updated_at": body["state"]["updated_at"],
        }
        events = await consent_events(sessions, "ws-optin", "+33611223301")
        assert len(events) == 1
        assert events[0]["payload"]["status"] == "opted_in"
        assert events[0]["payload"]["ledger_entry_id"] == body["entry"]["id"]
        assert events[0]["payload"]["source"] == "web_form"

    async def test_a_second_opt_in_is_evidence_but_not_a_change(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await key_for("ws-optin-twice")
        first = await client.post("/v1/consents", headers=bearer(key), json=opt_in("0611223302"))
        again = await client.post(
            "/v1/consents",
            headers=bearer(key),
            json=opt_in("+33611223302", evidence={"wording_version": "form-v4"}),
        )
        assert again.status_code == 201
        assert again.json()["changed"] is False
        assert again.json()["state"]["ledger_entry_id"] == first.json()["entry"]["id"]
        assert len(await consent_events(sessions, "ws-optin-twice", "+33611223302")) == 1
        evidence = await client.get("/v1/consents/+33611223302/evidence", headers=bearer(key))
        versions = [e["evidence"]["wording_version"] for e in evidence.json()["entries"]]
        assert versions == ["form-v3", "form-v4"]

    async def test_a_pre_ticked_box_is_422(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-bad")
        response = await client.post(
            "/v1/consents",
            headers=bearer(key),
            json=opt_in("0611223303", evidence={"pre_ticked": True}),
        )
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert "a pre-ticked box is not consent (CNIL / GDPR recital 32)" in problem["detail"]
        assert problem["errors"][0]["field"] == "evidence.pre_ticked"

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"evidence": {"wording": ""}}, "evidence.wording"),
            ({"evidence": {"wording": None}}, "evidence.wording"),
            ({"evidence": {"wording_version": " "}}, "evidence.wording_version"),
            ({"evidence": {"collected_at": None}}, "evidence.collected_at"),
            ({"purpose": "newsletter"}, "purpose"),
            ({"purpose": None}, "purpose"),
            ({"source": "telepathy"}, "source"),
            ({"source": None}, "source"),
            ({"channel": "email"}, "channel"),
        ],
    )
    async def test_bad_input_names_the_field(
        self, client: httpx.AsyncClient, key_for: KeyFactory, change: dict[str, Any], field: str
    ) -> None:
        key = await key_for("ws-bad")
        response = await client.post(
            "/v1/consents", headers=bearer(key), json=opt_in("0611223304", **change)
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == field

    async def test_an_email_consent_says_sms_consent_is_separate(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-bad")
        response = await client.post(
            "/v1/consents", headers=bearer(key), json=opt_in("0611223309", channel="email")
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "channel"
        assert "only SMS consent is recorded here" in response.json()["detail"]
        sms = await client.post(
            "/v1/consents", headers=bearer(key), json=opt_in("0611223309", channel="sms")
        )
        assert sms.status_code == 201
        assert sms.json()["entry"]["channel"] == "sms"

    @pytest.mark.parametrize("missing", ["source", "purpose"])
    async def test_a_missing_source_or_purpose_names_the_field(
        self, client: httpx.AsyncClient, key_for: KeyFactory, missing: str
    ) -> None:
        key = await key_for("ws-bad")
        body = opt_in("0611223310")
        del body[missing]
        response = await client.post("/v1/consents", headers=bearer(key), json=body)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == missing

    async def test_missing_evidence_names_the_field(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-bad")
        body = opt_in("0611223305")
        del body["evidence"]
        response = await client.post("/v1/consents", headers=bearer(key), json=body)
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "evidence"

    async def test_an_invalid_phone_names_the_field(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-bad")
        response = await client.post("/v1/consents", headers=bearer(key), json=opt_in("06 12"))
        assert response.status_code == 422
        assert response.json()["detail"].startswith("phone:")

    async def test_the_same_idempotency_key_records_once(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await key_for("ws-idem")
        headers = {**bearer(key), "Idempotency-Key": "form-submit-1"}
        first = await client.post("/v1/consents", headers=headers, json=opt_in("0611223306"))
        retry = await client.post("/v1/consents", headers=headers, json=opt_in("0611223306"))
        assert first.status_code == retry.status_code == 201
        assert retry.json() == first.json()
        async with sessions() as session:
            count = await session.scalar(
                sa.select(sa.func.count()).where(
                    ConsentEntry.workspace_id == "ws-idem", ConsentEntry.phone == "+33611223306"
                )
            )
        assert count == 1
        other = await client.post("/v1/consents", headers=headers, json=opt_in("0611223307"))
        assert other.status_code == 409

    async def test_the_ledger_refuses_updates_and_deletes(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await key_for("ws-ledger")
        await client.post("/v1/consents", headers=bearer(key), json=opt_in("0611223308"))
        for statement in (
            sa.update(ConsentEntry)
            .where(ConsentEntry.workspace_id == "ws-ledger")
            .values(source="forged"),
            sa.delete(ConsentEntry).where(ConsentEntry.workspace_id == "ws-ledger"),
        ):
            async with sessions() as session:
                with pytest.raises(DBAPIError, match="append-only"):
                    await session.execute(statement)


class TestOptout:
    async def test_an_api_optout_covers_both_purposes_and_every_brand(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await key_for("ws-optout")
        await client.post("/v1/consents", headers=bearer(key), json=opt_in("0611223401"))
        response = await client.post(
            "/v1/optouts", headers=bearer(key), json={"phone": "06 11 22 34 01"}
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert [(s["purpose"], s["brand"], s["status"]) for s in body["states"]] == [
            ("marketing", "*", "opted_out"),
            ("transactional", "*", "opted_out"),
        ]
        assert [e["source"] for e in body["entries"]] == ["api", "api"]
        assert len(body["changed"]) == 2
        states = await client.get("/v1/consents/+33611223401", headers=bearer(key))
        assert {(s["purpose"], s["brand"], s["status"]) for s in states.json()["states"]} == {
            ("marketing", "default", "opted_in"),
            ("marketing", "*", "opted_out"),
            ("transactional", "*", "opted_out"),
        }
        events = await consent_events(sessions, "ws-optout", "+33611223401")
        assert [e["payload"]["status"] for e in events] == ["opted_in", "opted_out", "opted_out"]

    async def test_a_repeated_optout_changes_nothing(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await key_for("ws-optout-twice")
        body = {"phone": "0611223402", "purpose": "marketing", "brand": "acme"}
        await client.post("/v1/optouts", headers=bearer(key), json=body)
        again = await client.post("/v1/optouts", headers=bearer(key), json=body)
        assert again.status_code == 201
        assert again.json()["changed"] == []
        events = await consent_events(sessions, "ws-optout-twice", "+33611223402")
        assert [(e["payload"]["purpose"], e["payload"]["brand"]) for e in events] == [
            ("marketing", "acme")
        ]

    async def test_an_unknown_purpose_is_422(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-bad")
        response = await client.post(
            "/v1/optouts", headers=bearer(key), json={"phone": "0611223403", "purpose": "sms"}
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "purpose"


class TestRead:
    async def test_states_and_evidence_of_an_unknown_phone_are_404(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-read")
        assert (await client.get("/v1/consents/0611229999", headers=bearer(key))).status_code == 404
        evidence = await client.get("/v1/consents/0611229999/evidence", headers=bearer(key))
        assert evidence.status_code == 404
        assert "+33611229999" not in evidence.text  # the number is masked

    async def test_evidence_is_every_entry_oldest_first(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-read")
        await client.post("/v1/consents", headers=bearer(key), json=opt_in("0611223501"))
        await client.post("/v1/optouts", headers=bearer(key), json={"phone": "0611223501"})
        await client.post(
            "/v1/consents",
            headers=bearer(key),
            json=opt_in("0611223501", evidence={"wording_version": "form-v5"}),
        )
        response = await client.get("/v1/consents/0611223501/evidence", headers=bearer(key))
        assert response.status_code == 200
        entries = response.json()["entries"]
        assert [(e["action"], e["purpose"]) for e in entries] == [
            ("opt_in", "marketing"),
            ("opt_out", "marketing"),
            ("opt_out", "transactional"),
            ("opt_in", "marketing"),
        ]
        assert entries[0]["evidence"]["wording"].startswith("J'accepte")

    async def test_the_evidence_export_carries_the_chain_and_its_check(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-export")
        await client.post("/v1/consents", headers=bearer(key), json=opt_in("0611223502"))
        await client.post("/v1/consents", headers=bearer(key), json=opt_in("0611223503"))
        await client.post("/v1/optouts", headers=bearer(key), json={"phone": "0611223502"})

        response = await client.get("/v1/consents/0611223502/evidence", headers=bearer(key))

        assert response.status_code == 200
        body = response.json()
        assert (body["phone"], body["workspace_id"]) == ("+33611223502", "ws-export")
        entries = body["entries"]
        assert [e["seq"] for e in entries] == [1, 3, 4]
        assert entries[0]["evidence"]["wording_version"] == "form-v3"
        assert entries[0]["evidence"]["pre_ticked"] is False
        assert entries[0]["channel"] == "sms"
        assert entries[0]["recorded_by"].startswith("api_key:")
        assert entries[0]["previous_hash"] == "0" * 64
        assert entries[2]["previous_hash"] == entries[1]["hash"]
        check = body["verification"]
        assert check["valid"] is True
        assert check["problems"] == []
        assert check["canonical_form"] == "herald.consent-ledger.v1"
        assert check["chain_head"] == {"seq": 4, "hash": entries[2]["hash"]}

    @pytest.mark.parametrize(
        ("query", "headers", "lang", "title"),
        [
            ("", {}, "fr", "Preuve de consentement SMS"),
            ("", {"Accept-Language": "en-GB,en;q=0.9"}, "en", "SMS consent evidence"),
            ("&lang=en", {"Accept-Language": "fr"}, "en", "SMS consent evidence"),
            ("&lang=fr", {"Accept-Language": "en"}, "fr", "Preuve de consentement SMS"),
        ],
    )
    async def test_the_evidence_as_a_readable_document(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        query: str,
        headers: dict[str, str],
        lang: str,
        title: str,
    ) -> None:
        key = await key_for("ws-export-html")
        await client.post("/v1/consents", headers=bearer(key), json=opt_in("0611223504"))
        response = await client.get(
            f"/v1/consents/0611223504/evidence?format=html{query}",
            headers={**bearer(key), **headers},
        )
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["content-language"] == lang
        assert f'<html lang="{lang}">' in response.text
        assert title in response.text
        assert "+33611223504" in response.text
        assert "form-v3" in response.text

    @pytest.mark.parametrize(("query", "field"), [("format=pdf", "format"), ("lang=de", "lang")])
    async def test_an_unknown_format_or_language_is_422(
        self, client: httpx.AsyncClient, key_for: KeyFactory, query: str, field: str
    ) -> None:
        key = await key_for("ws-export-html")
        response = await client.get(
            f"/v1/consents/0611223504/evidence?{query}", headers=bearer(key)
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == field

    async def test_an_invalid_phone_in_the_path_is_422(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-read")
        response = await client.get("/v1/consents/not-a-phone", headers=bearer(key))
        assert response.status_code == 422


class TestAuthentication:
    async def test_no_key_is_401(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/v1/consents/0611223344")).status_code == 401
        assert (await client.post("/v1/optouts", json={"phone": "0611223344"})).status_code == 401

    async def test_a_wrong_secret_is_401(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-auth")
        forged = key[: key.rindex("_") + 1] + "x" * 43
        response = await client.get("/v1/consents/0611223344", headers=bearer(forged))
        assert response.status_code == 401

    async def test_a_read_only_key_cannot_write(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-auth", ("consent:read",))
        response = await client.post("/v1/consents", headers=bearer(key), json=opt_in("0611223601"))
        assert response.status_code == 403
        optout = await client.post("/v1/optouts", headers=bearer(key), json={"phone": "0611223601"})
        assert optout.status_code == 403

    async def test_a_write_only_key_cannot_read(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-auth", ("consent:write",))
        assert (await client.get("/v1/consents/0611223601", headers=bearer(key))).status_code == 403

    async def test_another_workspace_sees_404(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        owner = await key_for("ws-owner")
        other = await key_for("ws-other")
        created = await client.post(
            "/v1/consents", headers=bearer(owner), json=opt_in("0611223701")
        )
        assert created.status_code == 201
        for path in ("/v1/consents/+33611223701", "/v1/consents/+33611223701/evidence"):
            assert (await client.get(path, headers=bearer(other))).status_code == 404
            assert (await client.get(path, headers=bearer(owner))).status_code == 200
