"""The hash-chained ledger on the real database: appends (one by one, concurrent, batched),
`herald-consent ledger verify` and `GET /v1/ledger/verify` against changes made behind the
service's back, and erasure, which must leave the chain valid."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from click.testing import Result
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from herald_consent import chain, service
from herald_consent.cli import cli
from herald_consent.domain import chain as maths
from herald_consent.events.subscriptions import groups
from herald_consent.models import ConsentChainHead, ConsentEntry
from herald_events import Envelope
from herald_events.models.contacts import ConsentDeclaredV1, ContactErasedV1
from herald_events.models.receipts import OptoutReceivedV1
from herald_kit.consumer import apply_once
from herald_kit.db import make_engine, make_sessionmaker, transaction
from herald_kit.outbox import Outbox
from herald_kit.settings import DbSettings
from herald_testing.api import KeyFactory, bearer


def opt_in(phone: str, **evidence: Any) -> dict[str, Any]:
    return {
        "phone": phone,
        "purpose": "marketing",
        "source": "web_form",
        "evidence": {
            "wording": "J'accepte de recevoir les offres de Acme par SMS.",
            "wording_version": "form-v3",
            "collected_at": "2026-11-24T09:00:00+01:00",
            "ip": "203.0.113.7",
            "user_agent": "Mozilla/5.0",
            "collected_by": "signup-form",
            **evidence,
        },
    }


def envelope(workspace: str, topic: str, payload: Any, producer: str) -> Envelope[Any]:
    return Envelope[Any](
        type=topic, version=1, workspace_id=workspace, producer=producer, payload=payload
    )


def stop(workspace: str, phone: str) -> Envelope[Any]:
    payload = OptoutReceivedV1(
        phone=phone, source="keyword", keyword="STOP", received_at=datetime.now(UTC)
    )
    return envelope(workspace, "optout.received", payload, "receipts")


def erased(workspace: str, phone: str) -> Envelope[Any]:
    payload = ContactErasedV1(contact_id=uuid.uuid4(), phone=phone, erased_at=datetime.now(UTC))
    return envelope(workspace, "contact.erased", payload, "contacts")


def declared(workspace: str, phone: str, row: int) -> Envelope[Any]:
    payload = ConsentDeclaredV1(
        phone=phone,
        opted_in_at=datetime(2025, 3, 15, 13, 30, tzinfo=UTC),
        source="jeu concours",
        import_id=uuid.uuid4(),
        file_sha256="c" * 64,
        row=row,
        wording="J'accepte les SMS",
    )
    return envelope(workspace, "consent.declared", payload, "contacts")


async def apply(session: AsyncSession, group: str, event: Envelope[Any]) -> bool:
    (subscription,) = groups()[group]
    return await apply_once(session, Outbox("consent"), group, subscription, event)


async def entries_of(
    sessions: async_sessionmaker[AsyncSession], workspace: str
) -> list[ConsentEntry]:
    async with sessions() as session:
        query = (
            sa.select(ConsentEntry)
            .where(ConsentEntry.workspace_id == workspace)
            .order_by(ConsentEntry.seq)
        )
        return list(await session.scalars(query))


async def behind_the_back(
    sessions: async_sessionmaker[AsyncSession], statement: sa.Executable
) -> None:
    """What someone with database access could do: triggers off, then any change."""
    async with transaction(sessions) as session:
        await session.execute(sa.text("SET LOCAL session_replication_role = replica"))
        await session.execute(statement)


async def verify_command(dsn: str, *args: str) -> Result:
    """`herald-consent ledger verify ARGS` on the database (in a thread: it runs its own
    event loop)."""
    runner = CliRunner()
    env = {"HERALD_CONSENT_DB__URL": dsn}
    return await asyncio.to_thread(runner.invoke, cli, ["ledger", "verify", *args], env=env)


async def three_entries(client: httpx.AsyncClient, key: str, phone: str) -> None:
    """opt-in, opt-out for both purposes (2 entries), opt-in again: seq 1..4."""
    first = await client.post("/v1/consents", headers=bearer(key), json=opt_in(phone))
    assert first.status_code == 201, first.text
    await client.post("/v1/optouts", headers=bearer(key), json={"phone": phone})
    again = opt_in(phone, wording_version="form-v4")
    assert (await client.post("/v1/consents", headers=bearer(key), json=again)).status_code == 201


class TestAppend:
    async def test_entries_chain_in_order_and_verify(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
        service_dsn: str,
    ) -> None:
        ws = "ws-chain-append"
        key = await key_for(ws)
        await three_entries(client, key, "+33612980001")

        entries = await entries_of(sessions, ws)
        assert [e.seq for e in entries] == [1, 2, 3, 4]
        assert entries[0].previous_hash == maths.GENESIS
        assert [e.previous_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
        assert {e.channel for e in entries} == {"sms"}
        assert all(e.recorded_by.startswith("api_key:") for e in entries)
        assert entries[0].identifying_digest is not None
        assert all(e.created_at <= n.created_at for e, n in itertools.pairwise(entries))
        async with sessions() as session:
            head = await session.get(ConsentChainHead, ws)
        assert head is not None
        assert (head.seq, head.hash) == (4, entries[-1].hash)

        result = await verify_command(service_dsn, "--workspace", ws)
        assert result.exit_code == 0, result.output
        assert f"{ws}: ok, 4 entries, head seq 4 hash {entries[-1].hash}" in result.output
        api = await client.get("/v1/ledger/verify", headers=bearer(key))
        assert api.status_code == 200
        assert api.json() == {
            "workspace_id": ws,
            "valid": True,
            "entries_checked": 4,
            "chain_head": {"seq": 4, "hash": entries[-1].hash},
            "broken": None,
        }

    async def test_events_record_the_producing_service(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        ws = "ws-chain-events"
        async with transaction(sessions) as session:
            assert await apply(session, "consent.imports", declared(ws, "+33612980101", 2))
            assert await apply(session, "consent.optouts", stop(ws, "+33612980101"))
        entries = await entries_of(sessions, ws)
        assert [(e.source, e.recorded_by) for e in entries] == [
            ("import", "system:contacts"),
            ("keyword", "system:receipts"),
            ("keyword", "system:receipts"),
        ]

    async def test_concurrent_appends_make_one_valid_chain(
        self, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        ws, count = "ws-chain-concurrent", 30

        async def record(number: int) -> None:
            async with transaction(sessions) as session:
                await service.apply_entry(
                    session,
                    Outbox("consent"),
                    workspace_id=ws,
                    phone=f"+336129802{number:02d}",
                    purpose="marketing",
                    brand="default",
                    action="opt_in",
                    source="api",
                    evidence={"wording": "oui", "wording_version": "1"},
                    recorded_by="api_key:test",
                )

        async def import_batch() -> None:
            """A consumer batch: many appends in one transaction stay consecutive."""
            async with transaction(sessions) as session:
                for row in range(2, 12):
                    await apply(session, "consent.imports", declared(ws, "+33612980399", row))

        await asyncio.gather(import_batch(), *(record(n) for n in range(count)))

        entries = await entries_of(sessions, ws)
        assert [e.seq for e in entries] == list(range(1, count + 11))
        rows = [e.evidence["row"] for e in entries if e.source == "import"]
        assert rows == list(range(2, 12))
        seqs = [e.seq for e in entries if e.source == "import"]
        assert seqs == list(range(seqs[0], seqs[0] + 10))
        async with sessions() as session:
            (checked,) = await chain.verify_ledger(session, ws)
        assert checked.valid, checked.describe()
        assert checked.entries_checked == count + 10


class TestTamperingIsDetected:
    async def test_an_update_behind_the_service_s_back(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
        service_dsn: str,
    ) -> None:
        ws, phone = "ws-chain-update", "+33612980401"
        key = await key_for(ws)
        await three_entries(client, key, phone)
        target = (await entries_of(sessions, ws))[1]

        await behind_the_back(
            sessions,
            sa.update(ConsentEntry).where(ConsentEntry.id == target.id).values(action="opt_in"),
        )

        result = await verify_command(service_dsn, "--workspace", ws)
        assert result.exit_code == 1, result.output
        assert f"{ws}: BROKEN at entry {target.id} (seq 2): hash expected " in result.output
        assert f"found {target.hash}" in result.output
        assert phone not in result.output
        api = (await client.get("/v1/ledger/verify", headers=bearer(key))).json()
        assert api["valid"] is False
        assert api["entries_checked"] == 2
        assert api["broken"]["entry_id"] == str(target.id)
        assert (api["broken"]["field"], api["broken"]["found"]) == ("hash", target.hash)
        evidence = await client.get(f"/v1/consents/{phone}/evidence", headers=bearer(key))
        check = evidence.json()["verification"]
        assert check["valid"] is False
        assert [(p["seq"], p["field"]) for p in check["problems"]] == [(2, "hash")]

    async def test_an_update_that_recomputes_the_hash_breaks_the_next_link(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
        erasure_key: bytes,
    ) -> None:
        ws = "ws-chain-rehash"
        key = await key_for(ws)
        await three_entries(client, key, "+33612980402")
        target = (await entries_of(sessions, ws))[0]
        forged = {**target.evidence, "wording": "J'accepte tout."}
        target.evidence = forged
        rehashed = maths.entry_hash(chain.link_of(target, erasure_key))

        await behind_the_back(
            sessions,
            sa.update(ConsentEntry)
            .where(ConsentEntry.id == target.id)
            .values(evidence=forged, hash=rehashed),
        )

        async with sessions() as session:
            (checked,) = await chain.verify_ledger(session, ws)
        assert checked.broken is not None
        assert (checked.broken.seq, checked.broken.field) == (2, "previous_hash")
        assert (checked.broken.expected, checked.broken.found) == (rehashed, target.hash)

    async def test_a_changed_ip_address(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws = "ws-chain-ip"
        key = await key_for(ws)
        await three_entries(client, key, "+33612980403")
        target = (await entries_of(sessions, ws))[0]

        await behind_the_back(
            sessions,
            sa.update(ConsentEntry)
            .where(ConsentEntry.id == target.id)
            .values(evidence={**target.evidence, "ip": "198.51.100.1"}),
        )

        async with sessions() as session:
            (checked,) = await chain.verify_ledger(session, ws)
        assert checked.broken is not None
        assert (checked.broken.entry_id, checked.broken.field) == (
            target.id,
            "identifying_digest",
        )

    async def test_a_deleted_entry(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
        service_dsn: str,
    ) -> None:
        ws, phone = "ws-chain-delete", "+33612980404"
        key = await key_for(ws)
        await three_entries(client, key, phone)
        entries = await entries_of(sessions, ws)

        await behind_the_back(
            sessions, sa.delete(ConsentEntry).where(ConsentEntry.id == entries[1].id)
        )

        result = await verify_command(service_dsn, "--workspace", ws)
        assert result.exit_code == 1
        assert f"BROKEN at entry {entries[2].id} (seq 2): seq expected 2, found 3" in result.output
        evidence = await client.get(f"/v1/consents/{phone}/evidence", headers=bearer(key))
        problems = evidence.json()["verification"]["problems"]
        assert problems == [
            {
                "seq": 2,
                "entry_id": None,
                "field": "seq",
                "expected": "an entry at seq 2",
                "found": "none",
            }
        ]

    async def test_the_last_entry_deleted(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        ws = "ws-chain-truncate"
        key = await key_for(ws)
        await three_entries(client, key, "+33612980405")
        entries = await entries_of(sessions, ws)

        await behind_the_back(
            sessions, sa.delete(ConsentEntry).where(ConsentEntry.id == entries[-1].id)
        )

        async with sessions() as session:
            (checked,) = await chain.verify_ledger(session, ws)
        assert checked.broken is not None
        assert checked.broken.field == "head"
        assert checked.broken.expected == f"seq 3 hash {entries[2].hash}"


class TestErasureKeepsTheChain:
    async def test_a_pseudonymised_ledger_still_verifies(
        self,
        client: httpx.AsyncClient,
        key_for: KeyFactory,
        sessions: async_sessionmaker[AsyncSession],
        service_dsn: str,
    ) -> None:
        ws, phone, other = "ws-chain-erasure", "+33612980501", "+33612980502"
        key = await key_for(ws)
        await three_entries(client, key, phone)
        await client.post("/v1/consents", headers=bearer(key), json=opt_in(other))
        async with transaction(sessions) as session:
            assert await apply(session, "consent.optouts", stop(ws, phone))
        before = await entries_of(sessions, ws)

        async with transaction(sessions) as session:
            assert await apply(session, "consent.erasure", erased(ws, phone))

        after = await entries_of(sessions, ws)
        assert [(e.id, e.hash) for e in after] == [(e.id, e.hash) for e in before]
        gone = [e for e in after if e.phone != other]
        assert all(e.phone.startswith("hmac-sha256:") for e in gone)
        assert all("ip" not in e.evidence and "user_agent" not in e.evidence for e in gone)
        result = await verify_command(service_dsn, "--workspace", ws)
        assert result.exit_code == 0, result.output
        assert f"{ws}: ok, 7 entries" in result.output
        evidence = await client.get(f"/v1/consents/{phone}/evidence", headers=bearer(key))
        assert evidence.status_code == 200
        assert evidence.json()["verification"]["valid"] is True
        assert [e["seq"] for e in evidence.json()["entries"]] == [1, 2, 3, 4, 6, 7]

        # The number comes back: new entries chain after the pseudonymised ones.
        await client.post("/v1/consents", headers=bearer(key), json=opt_in(phone))
        assert (await verify_command(service_dsn, "--workspace", ws)).exit_code == 0


@pytest.fixture
def fresh_database(pg_server: Any, service_under_test: Any) -> str:
    """A database of its own at revision c1a2 (before the chain), for the migration and
    for `ledger verify` over every workspace."""
    from herald_testing.migrations import run_alembic

    name = f"consent_chain_{uuid.uuid4().hex[:8]}"
    pg_server.create_database(name)
    dsn: str = pg_server.dsn(name)
    run_alembic(service_under_test.service_dir, dsn, "upgrade", "c1a2")
    return dsn


LEGACY_INSERT = sa.text(
    "INSERT INTO consent_entry "
    "(id, workspace_id, phone, purpose, brand, action, source, evidence, created_at) "
    "VALUES (:id, :ws, :phone, 'marketing', 'default', :action, 'web_form', "
    "CAST(:evidence AS jsonb), :at)"
)


class TestMigration:
    async def test_entries_written_before_the_chain_are_chained_by_the_migration(
        self, fresh_database: str, service_under_test: Any, erasure_key: bytes
    ) -> None:
        from herald_compliance.pseudonyms import phone_pseudonym
        from herald_testing.migrations import run_alembic

        engine = make_engine(DbSettings(url=SecretStr(fresh_database)))
        sessions = make_sessionmaker(engine)
        erased_phone = phone_pseudonym(erasure_key, "ws-b", "+33612980602")
        legacy = [
            ("ws-a", "+33612980601", "opt_in", '{"wording": "oui", "ip": "203.0.113.7"}', 3),
            ("ws-b", erased_phone, "opt_in", '{"wording": "oui"}', 1),
            ("ws-a", "+33612980601", "opt_out", '{"keyword": "STOP"}', 2),
            ("ws-b", "+33612980603", "opt_in", '{"wording": "yes", "row": 4}', 2),
        ]
        try:
            async with transaction(sessions) as session:
                for ws, phone, action, evidence, day in legacy:
                    await session.execute(
                        LEGACY_INSERT,
                        {
                            "id": uuid.uuid4(),
                            "ws": ws,
                            "phone": phone,
                            "action": action,
                            "evidence": evidence,
                            "at": datetime(2026, 11, day, 9, tzinfo=UTC),
                        },
                    )

            run_alembic(service_under_test.service_dir, fresh_database, "upgrade", "head")

            async with sessions() as session:
                rows = (
                    await session.execute(
                        sa.select(
                            ConsentEntry.workspace_id,
                            ConsentEntry.seq,
                            ConsentEntry.action,
                            ConsentEntry.recorded_by,
                        ).order_by(ConsentEntry.workspace_id, ConsentEntry.seq)
                    )
                ).all()
                assert [tuple(r) for r in rows] == [
                    ("ws-a", 1, "opt_out", "unrecorded"),
                    ("ws-a", 2, "opt_in", "unrecorded"),
                    ("ws-b", 1, "opt_in", "unrecorded"),
                    ("ws-b", 2, "opt_in", "unrecorded"),
                ]
            result = await verify_command(fresh_database)
            assert result.exit_code == 0, result.output
            assert "ws-a: ok, 2 entries" in result.output
            assert "ws-b: ok, 2 entries" in result.output

            # Appends go on from the migrated head; a tampered workspace fails the run.
            async with transaction(sessions) as session:
                await service.apply_entry(
                    session,
                    Outbox("consent"),
                    workspace_id="ws-a",
                    phone="+33612980601",
                    purpose="marketing",
                    brand="default",
                    action="opt_in",
                    source="api",
                    evidence={"wording": "oui", "wording_version": "2"},
                    recorded_by="api_key:test",
                )
            await behind_the_back(
                sessions,
                sa.update(ConsentEntry)
                .where(ConsentEntry.workspace_id == "ws-b", ConsentEntry.seq == 2)
                .values(brand="other"),
            )
            result = await verify_command(fresh_database)
            assert result.exit_code == 1
            assert "ws-a: ok, 3 entries" in result.output
            assert "ws-b: BROKEN at entry" in result.output

            run_alembic(service_under_test.service_dir, fresh_database, "downgrade", "c1a2")
        finally:
            await engine.dispose()
