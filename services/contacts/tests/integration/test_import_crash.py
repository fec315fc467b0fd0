"""A worker killed (SIGKILL) in the middle of an import: nothing of the file is applied, its
staging table vanishes with its transaction, and once the lease runs out another worker
runs the job again from the start and applies it exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_contacts.imports.runner import ImportRunner
from herald_contacts.imports.settings import ImportSettings
from herald_contacts.models import Contact, ImportJob
from herald_kit.tables import OUTBOX
from herald_testing.api import KeyFactory, bearer

ROWS = 6000
WORKER = """
import asyncio, sys
from pydantic import SecretStr
from herald_contacts.imports.runner import ImportRunner
from herald_contacts.imports.settings import ImportSettings
from herald_kit.db import make_engine, make_sessionmaker
from herald_kit.settings import DbSettings

async def main() -> None:
    engine = make_engine(DbSettings(url=SecretStr(sys.argv[1])))
    settings = ImportSettings(validation_processes=0, batch_rows=20, heartbeat_seconds=0)
    await ImportRunner(make_sessionmaker(engine), settings).run_once()

asyncio.run(main())
"""


async def drain(sessions: async_sessionmaker[AsyncSession], settings: ImportSettings) -> None:
    runner = ImportRunner(sessions, settings)
    try:
        while await runner.run_once():
            pass
    finally:
        runner.close()


async def state(sessions: async_sessionmaker[AsyncSession], job_id: uuid.UUID) -> ImportJob:
    async with sessions() as session:
        job = await session.get(ImportJob, job_id)
        assert job is not None
        return job


async def count(sessions: async_sessionmaker[AsyncSession], query: sa.Select[tuple[int]]) -> int:
    async with sessions() as session:
        return int(await session.scalar(query) or 0)


async def test_a_killed_worker_applies_nothing_and_the_job_runs_again_once(
    client: httpx.AsyncClient,
    key_for: KeyFactory,
    sessions: async_sessionmaker[AsyncSession],
    service_dsn: str,
) -> None:
    quick = ImportSettings(validation_processes=0, heartbeat_seconds=0, lease_seconds=0.2)
    await drain(sessions, quick)  # no other test's job for the killed worker to take
    ws = f"imp-crash-{uuid.uuid4().hex[:8]}"
    key = await key_for(ws)
    body = "tel;nom\n" + "".join(f"06{13000000 + n:08d};N{n}\n" for n in range(ROWS))
    response = await client.post(
        "/v1/imports", headers={**bearer(key), "Content-Type": "text/csv"}, content=body.encode()
    )
    job_id = uuid.UUID(response.json()["id"])

    # A real second process, killed with SIGKILL below: nothing may be left half applied.
    worker = subprocess.Popen([sys.executable, "-c", WORKER, service_dsn])  # noqa: ASYNC220
    try:
        deadline = time.monotonic() + 60
        while (await state(sessions, job_id)).rows_read < 200:
            assert worker.poll() is None, "the worker ended before it could be killed"
            assert time.monotonic() < deadline, "the worker never reported progress"
            await asyncio.sleep(0.02)
        os.kill(worker.pid, signal.SIGKILL)
    finally:
        worker.kill()
        worker.wait()

    killed = await state(sessions, job_id)
    assert (killed.status, killed.attempt) == ("running", 1)
    assert 0 < killed.rows_read < ROWS
    contacts = sa.select(sa.func.count()).select_from(Contact).where(Contact.workspace_id == ws)
    events = (
        sa.select(sa.func.count())
        .select_from(OUTBOX)
        .where(OUTBOX.c.value["workspace_id"].astext == ws)
    )
    staging = (
        sa.select(sa.func.count())
        .select_from(sa.text("pg_tables"))
        .where(sa.text(f"tablename LIKE 'import_staging_{job_id.hex}%'"))
    )
    assert await count(sessions, contacts) == 0
    assert await count(sessions, events) == 0
    deadline = time.monotonic() + 10  # the server notices the lost connection and rolls back
    while await count(sessions, staging) > 0:
        assert time.monotonic() < deadline, "the killed worker's staging table is still there"
        await asyncio.sleep(0.05)

    await asyncio.sleep(quick.lease_seconds)
    await drain(sessions, quick)
    resumed = await state(sessions, job_id)
    assert (resumed.status, resumed.attempt) == ("done", 2)
    assert (resumed.rows_read, resumed.imported, resumed.rejected) == (ROWS, ROWS, 0)
    assert await count(sessions, contacts) == ROWS
    assert await count(sessions, events) == ROWS
