"""GDPR through the contacts API, on the real database: export everything about a contact;
erase it in one transaction (tombstone and `contact.erased` in the outbox)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_contacts.models import Contact, ImportJob, ImportRejection
from herald_kit.tables import OUTBOX
from herald_testing.api import KeyFactory, bearer


async def create(client: httpx.AsyncClient, key: str, **fields: Any) -> dict[str, Any]:
    response = await client.post("/v1/contacts", headers=bearer(key), json=fields)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def outbox_of(
    sessions: async_sessionmaker[AsyncSession], key: str
) -> list[tuple[str, dict[str, Any] | None]]:
    async with sessions() as session:
        rows = await session.execute(
            sa.select(OUTBOX.c.topic, OUTBOX.c.value)
            .where(OUTBOX.c.key == key)
            .order_by(OUTBOX.c.id)
        )
        return [(row.topic, row.value) for row in rows]


async def rejections(
    sessions: async_sessionmaker[AsyncSession], workspace: str, *lines: tuple[str, str]
) -> uuid.UUID:
    """An applied import of `workspace` whose report refused `(column, value)` lines."""
    import_id = uuid.uuid4()
    now = sa.func.now()
    async with sessions() as session, session.begin():
        await session.execute(
            sa.insert(ImportJob).values(
                id=import_id,
                workspace_id=workspace,
                status="done",
                mode="create_only",
                default_region="FR",
                mobile_only=True,
                mapping={},
                consent_columns={},
                columns={},
                file_sha256="0" * 64,
                file_bytes=1,
                encoding="utf-8",
                delimiter=",",
                skip_lines=0,
                created_at=now,
                updated_at=now,
            )
        )
        await session.execute(
            sa.insert(ImportRejection),
            [
                {
                    "import_id": import_id,
                    "line": line,
                    "column_name": column,
                    "value": value,
                    "reason": "duplicate",
                }
                for line, (column, value) in enumerate(lines, start=2)
            ],
        )
    return import_id


async def report(sessions: async_sessionmaker[AsyncSession], import_id: uuid.UUID) -> list[str]:
    async with sessions() as session:
        values = await session.scalars(
            sa.select(ImportRejection.value)
            .where(ImportRejection.import_id == import_id)
            .order_by(ImportRejection.line)
        )
        return list(values)


class TestExport:
    async def test_every_column_and_the_ids_to_ask_the_other_services(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-gdpr-export")
        await client.put("/v1/attributes/loyalty", headers=bearer(key), json={"type": "string"})
        created = await create(
            client,
            key,
            phone="06 12 77 00 01",
            first_name="Élodie",
            last_name="Martin",
            email="elodie@example.fr",
            attributes={"loyalty": "gold"},
            tags=["vip"],
        )
        response = await client.get(f"/v1/contacts/{created['id']}/export", headers=bearer(key))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["contact_id"] == created["id"]
        assert body["workspace_id"] == "ws-gdpr-export"
        assert body["phone"] == "+33612770001"
        contact = body["contact"]
        assert set(sa.inspect(Contact).column_attrs.keys()) <= set(contact)
        assert (contact["first_name"], contact["last_name"]) == ("Élodie", "Martin")
        assert (contact["email"], contact["attributes"], contact["tags"]) == (
            "elodie@example.fr",
            {"loyalty": "gold"},
            ["vip"],
        )
        assert contact["workspace_id"] == "ws-gdpr-export"
        assert isinstance(body["related"], dict)
        elsewhere = {item["service"]: item for item in body["held_elsewhere"]}
        assert set(elsewhere) == {"consent", "receipts", "dispatcher", "campaigns", "analytics"}
        assert elsewhere["consent"]["request"] == "GET /v1/consents/+33612770001/evidence"
        assert created["id"] in elsewhere["dispatcher"]["holds"]

    async def test_import_report_lines_naming_the_person_are_exported(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await key_for("ws-gdpr-report")
        created = await create(client, key, phone="0612770007", email="ana@example.fr")
        await rejections(
            sessions,
            "ws-gdpr-report",
            ("phone", "06 12 77 00 07"),
            ("email", "ANA@example.fr"),
            ("phone", "06 12 77 00 08"),
        )
        body = (
            await client.get(f"/v1/contacts/{created['id']}/export", headers=bearer(key))
        ).json()
        assert [(r["line"], r["value"]) for r in body["import_rejections"]] == [
            (2, "06 12 77 00 07"),
            (3, "ANA@example.fr"),
        ]

    async def test_an_unknown_or_foreign_contact_is_404(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        owner = await key_for("ws-gdpr-owner")
        other = await key_for("ws-gdpr-other")
        created = await create(client, owner, phone="0612770002")
        foreign = await client.get(f"/v1/contacts/{created['id']}/export", headers=bearer(other))
        unknown = await client.get(f"/v1/contacts/{uuid.uuid4()}/export", headers=bearer(owner))
        assert (foreign.status_code, unknown.status_code) == (404, 404)
        assert foreign.headers["content-type"] == "application/problem+json"
        assert "+33612770002" not in foreign.text

    async def test_a_malformed_id_is_422_naming_it(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-gdpr-export")
        response = await client.get("/v1/contacts/not-an-id/export", headers=bearer(key))
        assert response.status_code == 422
        assert "contact_id" in response.text


class TestErase:
    async def test_one_transaction_deletes_tombstones_and_announces_the_erasure(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await key_for("ws-gdpr-erase")
        created = await create(client, key, phone="0612770003", first_name="Jean")
        contact_id = created["id"]

        erased = await client.delete(f"/v1/contacts/{contact_id}", headers=bearer(key))

        assert erased.status_code == 204
        gone = await client.get(f"/v1/contacts/{contact_id}/export", headers=bearer(key))
        assert gone.status_code == 404
        async with sessions() as session:
            left = await session.scalar(
                sa.select(sa.func.count())
                .select_from(Contact)
                .where(Contact.phone == "+33612770003")
            )
        assert left == 0
        events = await outbox_of(sessions, contact_id)
        assert [topic for topic, _ in events] == [
            "contact.updated",  # the creation
            "contact.updated",  # the tombstone
            "contact.erased",
        ]
        assert events[1][1] is None
        announced = events[2][1]
        assert announced is not None
        assert announced["workspace_id"] == "ws-gdpr-erase"
        assert announced["producer"] == "contacts"
        assert announced["payload"]["contact_id"] == contact_id
        assert announced["payload"]["phone"] == "+33612770003"
        assert announced["payload"]["erased_at"]

    async def test_import_report_cells_naming_the_person_are_blanked(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await key_for("ws-gdpr-blank")
        created = await create(client, key, phone="0612770009", email="leo@example.fr")
        mine = await rejections(
            sessions,
            "ws-gdpr-blank",
            ("phone", "+33 (0)6 12 77 00 09"),
            ("phone", "0033612770009"),
            ("email", "leo@example.fr"),
            ("phone", "06 12 77 00 10"),
        )
        elsewhere = await rejections(sessions, "ws-gdpr-elsewhere", ("phone", "0612770009"))

        await client.delete(f"/v1/contacts/{created['id']}", headers=bearer(key))

        assert await report(sessions, mine) == ["", "", "", "06 12 77 00 10"]
        assert await report(sessions, elsewhere) == ["0612770009"]

    async def test_a_second_erase_is_404_and_announces_nothing_more(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        key = await key_for("ws-gdpr-erase")
        contact_id = (await create(client, key, phone="0612770004"))["id"]
        assert (
            await client.delete(f"/v1/contacts/{contact_id}", headers=bearer(key))
        ).status_code == 204
        again = await client.delete(f"/v1/contacts/{contact_id}", headers=bearer(key))
        assert again.status_code == 404
        topics = [topic for topic, _ in await outbox_of(sessions, contact_id)]
        assert topics.count("contact.erased") == 1

    async def test_neither_a_read_only_key_nor_another_workspace_can_erase(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        owner = await key_for("ws-gdpr-keep")
        reader = await key_for("ws-gdpr-keep", ("contacts:read",))
        stranger = await key_for("ws-gdpr-stranger")
        contact_id = (await create(client, owner, phone="0612770005"))["id"]
        refused = await client.delete(f"/v1/contacts/{contact_id}", headers=bearer(reader))
        foreign = await client.delete(f"/v1/contacts/{contact_id}", headers=bearer(stranger))
        assert (refused.status_code, foreign.status_code) == (403, 404)
        still = await client.get(f"/v1/contacts/{contact_id}", headers=bearer(owner))
        assert still.status_code == 200
        topics = [topic for topic, _ in await outbox_of(sessions, contact_id)]
        assert topics == ["contact.updated"]

    async def test_the_number_can_be_added_again_after_an_erase(
        self, client: httpx.AsyncClient, key_for: KeyFactory
    ) -> None:
        key = await key_for("ws-gdpr-again")
        first = await create(client, key, phone="0612770006")
        await client.delete(f"/v1/contacts/{first['id']}", headers=bearer(key))
        second = await create(client, key, phone="06 12 77 00 06")
        assert second["id"] != first["id"]
