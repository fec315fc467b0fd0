"""The contacts API on the real database and the real Kafka (keys arrive through Kafka)."""

from __future__ import annotations

import json
import uuid

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_kit.tables import OUTBOX
from herald_testing.api import KeyFactory, bearer


class TestCreateContact:
    async def test_a_french_number_is_stored_as_e164_and_announced(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await key_for("ws-create")
        response = await client.post(
            "/v1/contacts",
            headers=bearer(key),
            json={"phone": "06 11 22 33 44", "first_name": "Élodie", "tags": ["vip", "vip"]},
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["phone"] == "+33611223344"
        assert body["country"] == "FR"
        assert body["tags"] == ["vip"]
        async with sessions() as session:
            row = (
                await session.execute(
                    sa.select(OUTBOX.c.topic, OUTBOX.c.key, OUTBOX.c.value).where(
                        OUTBOX.c.key == body["id"]
                    )
                )
            ).one()
        assert row.topic == "contact.updated"
        assert row.value["workspace_id"] == "ws-create"
        assert row.value["payload"]["phone"] == "+33611223344"

    async def test_the_same_number_twice_is_a_conflict(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-dup")
        first = await client.post("/v1/contacts", headers=bearer(key), json={"phone": "0611223355"})
        again = await client.post(
            "/v1/contacts", headers=bearer(key), json={"phone": "+33 6 11 22 33 55"}
        )
        assert first.status_code == 201
        assert again.status_code == 409
        assert again.headers["content-type"] == "application/problem+json"
        assert "+33611223355" not in again.text  # the number is masked

    async def test_an_invalid_number_names_the_field(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-bad")
        response = await client.post("/v1/contacts", headers=bearer(key), json={"phone": "06 12"})
        assert response.status_code == 422
        assert response.json()["detail"].startswith("phone:")

    async def test_unknown_fields_are_refused(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-bad")
        response = await client.post(
            "/v1/contacts", headers=bearer(key), json={"phone": "0611223366", "shoe": 42}
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["field"] == "shoe"


class TestAuthentication:
    async def test_no_key_is_401(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/v1/contacts")
        assert response.status_code == 401

    async def test_a_wrong_secret_is_401(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-auth")
        forged = key[: key.rindex("_") + 1] + "x" * 43
        response = await client.get("/v1/contacts", headers=bearer(forged))
        assert response.status_code == 401

    async def test_a_read_only_key_cannot_write(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-auth", ("contacts:read",))
        response = await client.post(
            "/v1/contacts", headers=bearer(key), json={"phone": "0611223377"}
        )
        assert response.status_code == 403

    async def test_another_workspace_sees_404(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        owner = await key_for("ws-owner")
        other = await key_for("ws-other")
        created = await client.post(
            "/v1/contacts", headers=bearer(owner), json={"phone": "0611223388"}
        )
        contact_id = created.json()["id"]
        assert (
            await client.get(f"/v1/contacts/{contact_id}", headers=bearer(other))
        ).status_code == 404
        patched = await client.patch(
            f"/v1/contacts/{contact_id}", headers=bearer(other), json={"first_name": "X"}
        )
        assert patched.status_code == 404
        listed = await client.get("/v1/contacts", headers=bearer(other))
        assert contact_id not in listed.text

    async def test_a_service_key_acts_for_the_workspace_it_names(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        owner = await key_for("ws-svc")
        await client.post("/v1/contacts", headers=bearer(owner), json={"phone": "0611224400"})
        system = await key_for("*", ("contacts:read",))
        without = await client.get("/v1/contacts", headers=bearer(system))
        assert without.status_code == 401
        listed = await client.get(
            "/v1/contacts", headers={**bearer(system), "X-Herald-Workspace": "ws-svc"}
        )
        assert [c["phone"] for c in listed.json()["items"]] == ["+33611224400"]


class TestListAndSnapshot:
    async def test_pages_follow_the_cursor_without_gaps(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-pages")
        phones = {f"+3361234{n:04d}" for n in range(7)}
        for phone in phones:
            assert (
                await client.post("/v1/contacts", headers=bearer(key), json={"phone": phone})
            ).status_code == 201
        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/v1/contacts", headers=bearer(key), params=params)).json()
            seen += [c["phone"] for c in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert sorted(seen) == sorted(phones)

    async def test_a_forged_cursor_is_422(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-pages")
        response = await client.get("/v1/contacts", headers=bearer(key), params={"cursor": "!!"})
        assert response.status_code == 422

    async def test_the_snapshot_streams_every_contact_once_and_resumes_after_an_id(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-snap")
        for n in range(5):
            await client.post(
                "/v1/contacts", headers=bearer(key), json={"phone": f"+336999{n:05d}"}
            )
        response = await client.get("/v1/snapshots/contacts", headers=bearer(key))
        lines = [json.loads(line) for line in response.text.splitlines()]
        assert len(lines) == 5
        ids = [line["id"] for line in lines]
        assert ids == sorted(ids, key=uuid.UUID)
        rest = await client.get(
            "/v1/snapshots/contacts", headers=bearer(key), params={"after": ids[1]}
        )
        assert [json.loads(line)["id"] for line in rest.text.splitlines()] == ids[2:]


class TestErase:
    async def test_erase_deletes_and_leaves_a_tombstone(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await key_for("ws-erase")
        contact_id = (
            await client.post("/v1/contacts", headers=bearer(key), json={"phone": "0611225566"})
        ).json()["id"]
        assert (
            await client.delete(f"/v1/contacts/{contact_id}", headers=bearer(key))
        ).status_code == 204
        assert (
            await client.get(f"/v1/contacts/{contact_id}", headers=bearer(key))
        ).status_code == 404
        async with sessions() as session:
            values = (
                (
                    await session.execute(
                        sa.select(OUTBOX.c.value)
                        .where(OUTBOX.c.key == contact_id)
                        .order_by(OUTBOX.c.id)
                    )
                )
                .scalars()
                .all()
            )
        assert values[-2] is None  # the tombstone, then contact.erased (test_gdpr_api.py)
