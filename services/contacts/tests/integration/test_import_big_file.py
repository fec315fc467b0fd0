"""A 50 MB file, generated while it is sent: the API stores it chunk by chunk and the worker
reads it back batch by batch, so the memory they allocate stays a fraction of the file's
size (tracemalloc counts every Python allocation of the process)."""

from __future__ import annotations

import tracemalloc
import uuid
from collections.abc import AsyncIterator

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_contacts.imports.runner import ImportRunner
from herald_contacts.imports.settings import ImportSettings
from herald_testing.api import KeyFactory, bearer

FILE_BYTES = 50 * 1024 * 1024
NOTE = "x" * 8000  # a wide column nobody maps: big rows, few of them, a quick test
ROW_BYTES = len(f"0613000000;Prénom;{NOTE}\n".encode())
ROWS = FILE_BYTES // ROW_BYTES + 1
PEAK_LIMIT = 16 * 1024 * 1024


async def generated_file() -> AsyncIterator[bytes]:
    yield b"telephone;prenom;notes\n"
    batch: list[str] = []
    for n in range(ROWS):
        batch.append(f"06{14000000 + n:08d};Prénom;{NOTE}\n")
        if len(batch) == 256:
            yield "".join(batch).encode()
            batch = []
    yield "".join(batch).encode()


async def test_a_50_mb_file_is_imported_with_flat_memory(
    client: httpx.AsyncClient,
    key_for: KeyFactory,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    key = await key_for(f"imp-big-{uuid.uuid4().hex[:8]}")
    settings = ImportSettings(validation_processes=0, batch_rows=200)
    tracemalloc.start()
    try:
        response = await client.post(
            "/v1/imports",
            headers={**bearer(key), "Content-Type": "text/csv"},
            content=generated_file(),
        )
        assert response.status_code == 202, response.text
        runner = ImportRunner(sessions, settings)
        while await runner.run_once():
            pass
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    job = (await client.get(f"/v1/imports/{response.json()['id']}", headers=bearer(key))).json()
    assert job["file_bytes"] > FILE_BYTES
    assert (job["status"], job["imported"], job["rejected"]) == ("done", ROWS, 0)
    assert peak < PEAK_LIMIT, f"peak {peak / 2**20:.1f} MiB for a {FILE_BYTES / 2**20:.0f} MiB file"
