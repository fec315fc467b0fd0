"""One run of a claimed import, whole or nothing: the code the worker runs (and the benchmark).

Everything that changes data happens in ONE transaction: the staging tables are created,
the file's records are read, checked in a process pool and merged batch by batch (merge.py),
then the job is marked done and the transaction commits. Progress and heartbeats are
committed by other, short transactions; a heartbeat that finds the job cancelled or claimed
by another worker stops the run, and the transaction rolls back: staging tables, report,
contacts and events alike.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_contacts import attribute_repository
from herald_contacts.domain.csv_decoding import Dialect
from herald_contacts.domain.csv_headers import ColumnPlan, HeaderProblem, plan_columns
from herald_contacts.domain.import_rows import RowRules, region_zone
from herald_contacts.imports import repository, staging
from herald_contacts.imports.jobs import ClaimedImport
from herald_contacts.imports.merge import Merged, Merger, MergeRequest
from herald_contacts.imports.reader import UploadRecords
from herald_contacts.imports.schemas import ImportStatus
from herald_contacts.imports.settings import ImportSettings
from herald_contacts.imports.validation import CheckedBatch, as_tuples, check_tuples
from herald_kit.db import transaction


class ImportStopped(Exception):
    """The run ended without applying anything: `reason` is cancelled, lost or stopping."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ImportFailed(Exception):
    """The file cannot be imported; the message is for the person who sent it."""


@dataclass(frozen=True)
class ImportFigures:
    rows_read: int
    imported: int
    updated: int
    unchanged: int
    rejected: int
    duplicates: int
    consents: int
    seconds: float  # from the claim to the commit


@dataclass
class _Progress:
    rows: int = 0
    rejected: int = 0
    bytes_read: int = 0
    beat_at: float = 0.0


async def run_import(
    sessions: async_sessionmaker[AsyncSession],
    job: ClaimedImport,
    settings: ImportSettings,
    *,
    pool: Executor | None = None,
    stopping: asyncio.Event | None = None,
) -> ImportFigures:
    """Apply the job's file, or raise ImportStopped / ImportFailed (nothing applied)."""
    started = time.monotonic()
    async with sessions() as session:
        declared = await attribute_repository.schema(session, job.workspace_id)
    progress = _Progress(beat_at=started)
    dialect = Dialect(job.delimiter, job.skip_lines)
    async with sessions() as work, work.begin():
        async with UploadRecords(sessions, job.id, job.encoding, dialect) as records:
            plan, header_line = await _read_header(records, job)
            merger = Merger(work, staging.table_name(job.id, job.attempt), _request(job, plan))
            while not await merger.try_lock():  # another import of the workspace is running
                await _beat(sessions, job, progress)
                await asyncio.sleep(settings.heartbeat_seconds or 0.1)
            await merger.start()
            rules = RowRules(
                plan=plan,
                default_region=job.default_region,
                mobile_only=job.mobile_only,
                attribute_types={name: kind.value for name, kind in declared.items()},
                consent_zone=region_zone(job.default_region),
                now=datetime.now(UTC),
            )
            await _merge_batches(
                sessions, merger, records, rules, job, settings, pool, stopping, progress
            )
        if progress.rows == 0:
            raise ImportFailed(f"file: a header (line {header_line}) but no data rows")
        await _beat(sessions, job, progress, status=ImportStatus.APPLYING)
        merged = await merger.finish()
        return await _finish(work, job, merged, progress, started)


async def _read_header(records: UploadRecords, job: ClaimedImport) -> tuple[ColumnPlan, int]:
    first = await records.take(1)
    if not first:
        raise ImportFailed("file: only blank lines, no header")
    header = first[0]
    if header.error is not None:
        raise ImportFailed(f"file: the header (line {header.line}) cannot be read")
    try:
        plan = plan_columns(header.fields, job.mapping, job.country_column, job.consent_columns)
    except HeaderProblem as error:
        raise ImportFailed(str(error)) from None
    return plan, header.line


def _request(job: ClaimedImport, plan: ColumnPlan) -> MergeRequest:
    return MergeRequest(
        import_id=job.id,
        workspace_id=job.workspace_id,
        mode=job.mode,
        provided=frozenset(plan.targets.values()),
        phone_header=plan.headers[plan.phone],
        file_sha256=job.file_sha256,
    )


async def _merge_batches(
    sessions: async_sessionmaker[AsyncSession],
    merger: Merger,
    records: UploadRecords,
    rules: RowRules,
    job: ClaimedImport,
    settings: ImportSettings,
    pool: Executor | None,
    stopping: asyncio.Event | None,
    progress: _Progress,
) -> None:
    """Read, check (in the pool, several batches at once) and merge every record, in order:
    while PostgreSQL merges one batch the pool checks the next ones."""
    loop = asyncio.get_running_loop()
    in_flight: deque[asyncio.Future[CheckedBatch]] = deque()
    most = 2 * max(1, getattr(pool, "_max_workers", 1))  # batches the pool holds at once
    try:
        while True:
            batch = await records.take(settings.batch_rows)
            if batch:
                in_flight.append(loop.run_in_executor(pool, check_tuples, rules, as_tuples(batch)))
            while in_flight and (len(in_flight) >= most or not batch):
                checked = await in_flight.popleft()
                await merger.add(checked.data)
                progress.rows += checked.rows
                progress.rejected += checked.rejected
                progress.bytes_read = records.bytes_read
                if stopping is not None and stopping.is_set():
                    raise ImportStopped("stopping")
                if time.monotonic() - progress.beat_at >= settings.heartbeat_seconds:
                    await _beat(sessions, job, progress)
            if not batch:
                return
    finally:
        for future in in_flight:
            future.cancel()


async def _beat(
    sessions: async_sessionmaker[AsyncSession],
    job: ClaimedImport,
    progress: _Progress,
    status: ImportStatus = ImportStatus.RUNNING,
) -> None:
    """Commit the progress; ImportStopped when the job is no longer this run's."""
    async with transaction(sessions) as session:
        ours = await repository.record_progress(
            session,
            job.id,
            job.attempt,
            rows_read=progress.rows,
            rejected=progress.rejected,
            bytes_read=progress.bytes_read,
            status=status.value,
        )
        current = None if ours else await repository.lock_attempt(session, job.id)
    progress.beat_at = time.monotonic()
    if not ours:
        cancelled = current is not None and current.status == ImportStatus.CANCELLED
        raise ImportStopped("cancelled" if cancelled else "lost")


async def _finish(
    work: AsyncSession, job: ClaimedImport, merged: Merged, progress: _Progress, started: float
) -> ImportFigures:
    """Mark the job done in the run's transaction, if it is still this run's: a cancel that
    comes now waits for the commit and finds the import done."""
    row = await repository.lock_attempt(work, job.id)
    if row is None or row.attempt != job.attempt or row.status != ImportStatus.APPLYING:
        cancelled = row is not None and row.status == ImportStatus.CANCELLED
        raise ImportStopped("cancelled" if cancelled else "lost")
    figures = ImportFigures(
        rows_read=progress.rows,
        imported=merged.created,
        updated=merged.updated,
        unchanged=progress.rows - merged.refused - merged.created - merged.updated,
        rejected=merged.refused,
        duplicates=merged.duplicates,
        consents=merged.consents,
        seconds=time.monotonic() - started,
    )
    now = datetime.now(UTC)
    row.status = ImportStatus.DONE.value
    row.rows_read = figures.rows_read
    row.imported = figures.imported
    row.updated = figures.updated
    row.unchanged = figures.unchanged
    row.rejected = figures.rejected
    row.bytes_read = job.file_bytes
    row.updated_at = row.finished_at = now
    await repository.delete_upload(work, job.id)
    await work.flush()
    return figures
