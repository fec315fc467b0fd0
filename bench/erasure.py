"""GDPR erasure on big ledgers: p50 and p95 of one `contact.erased` in the dispatcher and in
the consent service.

    uv run python bench/erasure.py [--messages 1000000] [--entries 200000] [--erasures 40]

Starts its own PostgreSQL (a temporary folder, a free port), runs the dispatcher and consent
migrations, loads with COPY a dispatcher message ledger (`--messages` over numbers that
received 10 messages each, two workspaces, a consent view where one number in ten opted out)
and a consent ledger (`--entries`, two entries per number, half of the numbers opted out
afterwards), VACUUM ANALYZEs, then times what each service's `contact.erased` handler runs
(`herald_dispatcher.erasure.forget_number`, `herald_consent.erasure.forget_number`), each
erasure in its own transaction, on numbers picked at random. Prints `figure: value unit`.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import random
import shutil
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
from pydantic import SecretStr

from herald_consent import erasure as consent_erasure
from herald_consent.domain import chain
from herald_consent.settings import get_erasure_settings
from herald_dispatcher import erasure as dispatcher_erasure
from herald_events.models.contacts import ContactErasedV1
from herald_kit.db import make_engine, make_sessionmaker, transaction
from herald_kit.logs import configure_logging
from herald_kit.migrations import upgrade_head
from herald_kit.outbox import Outbox
from herald_kit.settings import DbSettings
from herald_stack.ports import free_port
from herald_stack.postgres import PostgresCluster

ROOT = Path(__file__).resolve().parents[1]
WORKSPACES = ("ws-bench", "ws-bench-other")
MESSAGES_PER_NUMBER = 10
KEY = b"bench-erasure-key-0123456789abcdef"
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def phone(n: int) -> str:
    return f"+336{n:08d}"


def _copy_text(rows: list[tuple[object, ...]]) -> bytes:
    out = io.StringIO()
    for row in rows:
        out.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
    return out.getvalue().encode()


async def load_dispatcher(dsn: str, messages: int) -> int:
    numbers = messages // MESSAGES_PER_NUMBER
    connection = await asyncpg.connect(dsn)
    try:
        columns = [
            "message_id", "workspace_id", "campaign_id", "contact_id", "phone", "text",
            "category", "brand", "sender", "priority", "expires_at", "status",
            "provider_message_ids", "segments", "encoding", "attempts", "next_attempt_at",
            "created_at", "updated_at",
        ]  # fmt: skip
        campaigns = [uuid.uuid4() for _ in range(MESSAGES_PER_NUMBER)]
        chunk: list[tuple[object, ...]] = []
        for n in range(numbers):
            workspace = WORKSPACES[n % 10 == 9]
            contact = uuid.uuid4()
            for campaign in campaigns:
                chunk.append(
                    (
                        uuid.uuid4(), workspace, campaign, contact, phone(n),
                        "Soldes d'hiver : -20% sur tout le site ce week-end. STOP au 36111",
                        "marketing", "default", "HERALD", 1, T0 + timedelta(hours=1),
                        "submitted", "{AB12}", 1, "GSM7", 1, T0, T0, T0,
                    )
                )  # fmt: skip
            if len(chunk) >= 100_000:
                await _copy(connection, "message", columns, chunk)
                chunk = []
        await _copy(connection, "message", columns, chunk)
        view = [
            (WORKSPACES[n % 10 == 9], phone(n), purpose, "*", "opted_out", T0)
            for n in range(0, numbers, 10)
            for purpose in ("marketing", "transactional")
        ]
        view += [
            (WORKSPACES[n % 10 == 9], phone(n), "marketing", "default", "opted_in", T0)
            for n in range(numbers)
            if n % 10
        ]
        await _copy(
            connection,
            "consent_view",
            ["workspace_id", "phone", "purpose", "brand", "status", "updated_at"],
            view,
        )
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return numbers


async def load_consent(dsn: str, entries: int) -> int:
    numbers = entries // 2
    connection = await asyncpg.connect(dsn)
    try:
        ledger: list[tuple[object, ...]] = []
        states: list[tuple[object, ...]] = []
        evidence = json.dumps(
            {
                "wording": "J'accepte de recevoir les offres par SMS.",
                "wording_version": "v3",
                "ip": "203.0.113.7",
                "user_agent": "Mozilla/5.0",
            }
        )
        heads = {ws: chain.Head(0, chain.GENESIS) for ws in WORKSPACES}

        def chained(entry_id: uuid.UUID, ws: str, n: int, action: str, source: str,
                    at: datetime) -> tuple[object, ...]:  # fmt: skip
            """The row with its place in the workspace's hash chain (as the service writes)."""
            fields = json.loads(evidence)
            kept, identifying = chain.split_evidence(fields)
            link = chain.Link(entry_id, ws, heads[ws].seq + 1,
                              chain.subject_of(KEY, ws, phone(n)), "sms", "marketing",
                              "default", action, source, "system:bench", at, kept,
                              chain.identifying_digest(KEY, ws, entry_id, identifying),
                              heads[ws].hash)  # fmt: skip
            heads[ws] = chain.Head(link.seq, chain.entry_hash(link))
            return (entry_id, ws, phone(n), "marketing", "default", action, source, evidence,
                    at, link.recorded_by, link.seq, link.identifying_digest,
                    link.previous_hash, heads[ws].hash)  # fmt: skip

        for n in range(numbers):
            workspace = WORKSPACES[n % 10 == 9]
            opt_in, opt_out = uuid.uuid4(), uuid.uuid4()
            action = "opt_out" if n % 2 else "opt_in"
            ledger.append(chained(opt_in, workspace, n, "opt_in", "web_form", T0))
            source = "keyword" if n % 2 else "web_form"
            ledger.append(chained(opt_out, workspace, n, action, source, T0 + timedelta(days=1)))
            status = "opted_out" if n % 2 else "opted_in"
            states.append((workspace, phone(n), "marketing", "default", status, opt_out, T0))
        columns = ["id", "workspace_id", "phone", "purpose", "brand", "action", "source",
                   "evidence", "created_at", "recorded_by", "seq", "identifying_digest",
                   "previous_hash", "hash"]  # fmt: skip
        await _copy(connection, "consent_entry", columns, ledger)
        await _copy(
            connection,
            "consent_chain_head",
            ["workspace_id", "seq", "hash", "updated_at"],
            [(ws, head.seq, head.hash, T0) for ws, head in heads.items()],
        )
        await _copy(
            connection,
            "consent_state",
            ["workspace_id", "phone", "purpose", "brand", "status", "ledger_entry_id",
             "updated_at"],
            states,
        )  # fmt: skip
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return numbers


async def _copy(
    connection: asyncpg.Connection, table: str, columns: list[str], rows: list[tuple[object, ...]]
) -> None:
    if rows:
        await connection.copy_to_table(
            table, source=io.BytesIO(_copy_text(rows)), columns=columns, format="text"
        )


def _percentiles(name: str, seconds: list[float]) -> None:
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    print(f"{name}_erase_p50: {statistics.median(ms):.1f} ms")
    print(f"{name}_erase_p95: {p95:.1f} ms", flush=True)


async def time_dispatcher(dsn: str, numbers: int, erasures: int) -> None:
    engine = make_engine(DbSettings(url=SecretStr(dsn)))
    sessions = make_sessionmaker(engine)
    outbox = Outbox("dispatcher")
    picked = random.Random(7).sample(range(numbers), erasures)
    timings: list[float] = []
    try:
        for n in picked:
            event = ContactErasedV1(contact_id=uuid.uuid4(), phone=phone(n), erased_at=T0)
            started = time.perf_counter()
            async with transaction(sessions) as session:
                forgotten = await dispatcher_erasure.forget_number(
                    session, outbox, WORKSPACES[n % 10 == 9], event, KEY, datetime.now(UTC)
                )
            timings.append(time.perf_counter() - started)
            assert forgotten.messages_scrubbed == MESSAGES_PER_NUMBER
    finally:
        await engine.dispose()
    _percentiles("dispatcher", timings)


async def time_consent(dsn: str, numbers: int, erasures: int) -> None:
    engine = make_engine(DbSettings(url=SecretStr(dsn)))
    sessions = make_sessionmaker(engine)
    picked = random.Random(11).sample(range(numbers), erasures)
    timings: list[float] = []
    try:
        for n in picked:
            started = time.perf_counter()
            async with transaction(sessions) as session:
                forgotten = await consent_erasure.forget_number(
                    session, WORKSPACES[n % 10 == 9], phone(n)
                )
            timings.append(time.perf_counter() - started)
            assert forgotten.entries_pseudonymised == 2
    finally:
        await engine.dispose()
    _percentiles("consent", timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--erasures", type=int, default=40)
    args = parser.parse_args()
    configure_logging("bench", "WARNING")
    os.environ["HERALD_CONSENT_ERASURE__KEY"] = KEY.decode()
    get_erasure_settings.cache_clear()

    folder = Path(tempfile.mkdtemp(prefix="herald-bench-pg-"))
    folder.chmod(0o755)
    cluster = PostgresCluster(folder, free_port())
    try:
        cluster.start(die_with_parent=True)
        for service in ("dispatcher", "consent"):
            cluster.create_database(f"{service}_bench")
            upgrade_head(
                ROOT / "services" / service / "alembic.ini", cluster.dsn(f"{service}_bench")
            )
        plain = {
            s: cluster.dsn(f"{s}_bench").replace("+asyncpg", "") for s in ("dispatcher", "consent")
        }
        started = time.perf_counter()
        numbers = asyncio.run(load_dispatcher(plain["dispatcher"], args.messages))
        print(f"dispatcher_ledger: {args.messages} messages")
        print(f"dispatcher_load_seconds: {time.perf_counter() - started:.1f} s", flush=True)
        asyncio.run(time_dispatcher(cluster.dsn("dispatcher_bench"), numbers, args.erasures))
        started = time.perf_counter()
        people = asyncio.run(load_consent(plain["consent"], args.entries))
        print(f"consent_ledger: {args.entries} entries")
        print(f"consent_load_seconds: {time.perf_counter() - started:.1f} s", flush=True)
        asyncio.run(time_consent(cluster.dsn("consent_bench"), people, args.erasures))
    finally:
        cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
