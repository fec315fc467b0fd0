"""Every query on import jobs, their uploaded chunks and their reports."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from herald_contacts.models import ImportJob, ImportRejection, ImportUpload

ACTIVE = ("pending", "running", "applying")


async def add_job(session: AsyncSession, job: ImportJob) -> None:
    session.add(job)
    await session.flush()


async def add_chunk(session: AsyncSession, import_id: uuid.UUID, seq: int, data: bytes) -> None:
    await session.execute(sa.insert(ImportUpload).values(import_id=import_id, seq=seq, data=data))


async def read_chunk(session: AsyncSession, import_id: uuid.UUID, seq: int) -> bytes | None:
    query = sa.select(ImportUpload.data).where(
        ImportUpload.import_id == import_id, ImportUpload.seq == seq
    )
    data: bytes | None = (await session.execute(query)).scalar_one_or_none()
    return data


async def delete_upload(session: AsyncSession, import_id: uuid.UUID) -> None:
    await session.execute(sa.delete(ImportUpload).where(ImportUpload.import_id == import_id))


async def get_job(
    session: AsyncSession, workspace_id: str, import_id: uuid.UUID, *, for_update: bool = False
) -> ImportJob | None:
    query = sa.select(ImportJob).where(
        ImportJob.workspace_id == workspace_id, ImportJob.id == import_id
    )
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def claim_job(session: AsyncSession, lease: timedelta) -> ImportJob | None:
    """The job waiting longest among the pending ones and those whose worker went silent for
    `lease`; rows another transaction holds (a merge in progress) are skipped."""
    stale = sa.func.now() - lease
    query = (
        sa.select(ImportJob)
        .where(
            sa.or_(
                ImportJob.status == "pending",
                sa.and_(
                    ImportJob.status.in_(("running", "applying")), ImportJob.updated_at < stale
                ),
            )
        )
        .order_by(ImportJob.updated_at)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def record_progress(
    session: AsyncSession,
    import_id: uuid.UUID,
    attempt: int,
    *,
    rows_read: int,
    rejected: int,
    bytes_read: int,
    status: str = "running",
) -> bool:
    """Heartbeat of the attempt that reads the file; False when the job is no longer its own
    (cancelled, or claimed again after the lease ran out)."""
    statement = (
        sa.update(ImportJob)
        .where(
            ImportJob.id == import_id,
            ImportJob.attempt == attempt,
            ImportJob.status == "running",
        )
        .values(
            rows_read=rows_read,
            rejected=rejected,
            bytes_read=bytes_read,
            status=status,
            updated_at=sa.func.now(),
        )
        .returning(ImportJob.id)
    )
    return (await session.execute(statement)).first() is not None


async def lock_attempt(session: AsyncSession, import_id: uuid.UUID) -> ImportJob | None:
    """The job row, locked until the transaction ends: a cancel waits for the merge."""
    query = sa.select(ImportJob).where(ImportJob.id == import_id).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def rejections_after(
    session: AsyncSession, import_id: uuid.UUID, after_line: int, limit: int
) -> Sequence[ImportRejection]:
    query = (
        sa.select(ImportRejection)
        .where(ImportRejection.import_id == import_id, ImportRejection.line > after_line)
        .order_by(ImportRejection.line)
        .limit(limit)
    )
    return (await session.scalars(query)).all()
