"""A worker's hold on an import job: claim it, hand it back, fail it. Each call runs in the
caller's transaction; `attempt` identifies one claim, so a worker whose lease ran out can
never apply or fail the job its successor now runs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from herald_contacts.imports import repository
from herald_contacts.imports.schemas import ImportMode, ImportStatus
from herald_contacts.models import ImportJob

ERROR_MAX = 2000


@dataclass(frozen=True)
class ClaimedImport:
    id: uuid.UUID
    workspace_id: str
    attempt: int
    mode: ImportMode
    default_region: str
    mobile_only: bool
    mapping: dict[str, Any]
    country_column: str | None
    consent_columns: dict[str, Any]
    encoding: str
    delimiter: str
    skip_lines: int
    file_sha256: str
    file_bytes: int

    @classmethod
    def of(cls, job: ImportJob) -> ClaimedImport:
        return cls(
            id=job.id,
            workspace_id=job.workspace_id,
            attempt=job.attempt,
            mode=ImportMode(job.mode),
            default_region=job.default_region,
            mobile_only=job.mobile_only,
            mapping=dict(job.mapping),
            country_column=job.country_column,
            consent_columns=dict(job.consent_columns),
            encoding=job.encoding,
            delimiter=job.delimiter,
            skip_lines=job.skip_lines,
            file_sha256=job.file_sha256,
            file_bytes=job.file_bytes,
        )


def _now() -> datetime:
    return datetime.now(UTC)


async def claim(session: AsyncSession, lease: timedelta, max_attempts: int) -> ClaimedImport | None:
    """The next job to run, now `running` under a new attempt. A job claimed `max_attempts`
    times already (its workers kept dying) fails instead, and the next one is looked at."""
    while True:
        job = await repository.claim_job(session, lease)
        if job is None:
            return None
        now = _now()
        if job.attempt >= max_attempts:
            _end(job, ImportStatus.FAILED, now)
            last = f" (last: {job.error})" if job.error else ""
            job.error = f"the import was interrupted {job.attempt} times{last}; giving up"
            await repository.delete_upload(session, job.id)
            await session.flush()
            continue
        job.status = ImportStatus.RUNNING.value
        job.attempt += 1
        job.rows_read = job.rejected = job.bytes_read = 0
        job.error = None
        job.updated_at = now
        await session.flush()
        return ClaimedImport.of(job)


async def release(session: AsyncSession, claimed: ClaimedImport, error: str | None = None) -> None:
    """Hand the job back (the worker is stopping, or hit `error`): the next claim starts it
    over."""
    job = await repository.lock_attempt(session, claimed.id)
    if job is not None and job.attempt == claimed.attempt and job.status in ("running", "applying"):
        job.status = ImportStatus.PENDING.value
        job.error = error
        job.updated_at = _now()
        await session.flush()


async def fail(session: AsyncSession, claimed: ClaimedImport, reason: str) -> bool:
    """The file cannot be imported: the job fails for good with `reason`. False when the job
    is no longer this attempt's (cancelled meanwhile, or claimed again)."""
    job = await repository.lock_attempt(session, claimed.id)
    if job is None or job.attempt != claimed.attempt or job.status not in ("running", "applying"):
        return False
    _end(job, ImportStatus.FAILED, _now())
    job.error = reason[:ERROR_MAX]
    await repository.delete_upload(session, job.id)
    await session.flush()
    return True


def _end(job: ImportJob, status: ImportStatus, now: datetime) -> None:
    job.status = status.value
    job.updated_at = now
    job.finished_at = now
