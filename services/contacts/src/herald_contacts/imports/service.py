"""Use cases of CSV imports behind the API. They never commit: the request owns the
transaction, so a refused upload leaves nothing stored."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from herald_contacts import attribute_repository
from herald_contacts.domain.csv_decoding import (
    NotCsv,
    UnreadableEncoding,
    UnsupportedFile,
    encoding_label,
    head_text,
    read_records,
    sniff_dialect,
)
from herald_contacts.domain.csv_headers import ColumnPlan, HeaderProblem, plan_columns
from herald_contacts.imports import repository
from herald_contacts.imports.errors import ImportFinished, ImportNotFound, UnsupportedMediaType
from herald_contacts.imports.schemas import FINISHED, ImportMode, ImportRead, ImportStatus
from herald_contacts.imports.settings import ImportSettings
from herald_contacts.imports.upload import StoredUpload, store_upload
from herald_contacts.models import ImportJob
from herald_kit.errors import Unprocessable


@dataclass(frozen=True)
class ImportOptions:
    mode: ImportMode = ImportMode.UPDATE
    default_region: str = "FR"
    mobile_only: bool = True
    mapping: Mapping[str, str | None] = field(default_factory=dict)
    country_column: str | None = None
    consent_columns: Mapping[str, str] = field(default_factory=dict)


def _now() -> datetime:
    return datetime.now(UTC)


async def create_import(
    session: AsyncSession,
    workspace_id: str,
    options: ImportOptions,
    body: AsyncIterator[bytes],
    settings: ImportSettings,
) -> ImportJob:
    """Store the file and a pending job, or refuse the file with the reason (415/422)."""
    now = _now()
    job = ImportJob(
        id=uuid.uuid4(),
        workspace_id=workspace_id,
        status=ImportStatus.PENDING.value,
        mode=options.mode.value,
        default_region=options.default_region,
        mobile_only=options.mobile_only,
        mapping=dict(options.mapping),
        country_column=options.country_column,
        consent_columns=dict(options.consent_columns),
        columns={},
        file_sha256="",
        file_bytes=0,
        encoding="",
        delimiter="",
        skip_lines=0,
        **dict.fromkeys(
            ("rows_read", "imported", "updated", "unchanged", "rejected", "bytes_read", "attempt"),
            0,
        ),
        created_at=now,
        updated_at=now,
    )
    await repository.add_job(session, job)
    try:
        upload = await store_upload(
            session,
            job.id,
            body,
            chunk_bytes=settings.chunk_bytes,
            max_bytes=settings.max_file_bytes,
        )
    except UnsupportedFile as error:
        raise UnsupportedMediaType(f"file: {error}") from None
    except UnreadableEncoding as error:
        raise Unprocessable(f"file: {error}") from None
    plan, delimiter, skip_lines = await _read_head(session, workspace_id, upload, options)
    job.file_sha256 = upload.sha256
    job.file_bytes = upload.size
    job.encoding = upload.encoding
    job.delimiter = delimiter
    job.skip_lines = skip_lines
    job.columns = {**dict.fromkeys(plan.ignored()), **plan.describe()}
    await session.flush()
    return job


async def _read_head(
    session: AsyncSession, workspace_id: str, upload: StoredUpload, options: ImportOptions
) -> tuple[ColumnPlan, str, int]:
    """What the first lines say: separator, header, columns. Refuses (422) an empty file, a
    file with no phone column, a mapping naming absent columns or undeclared attributes, and
    (when the whole file is in the first lines) a header with no rows under it."""
    if upload.size == 0:
        raise Unprocessable("file: empty")
    try:
        text = head_text(upload.head, upload.encoding, upload.complete_head)
    except NotCsv as error:
        raise Unprocessable(f"file: {error}") from None
    dialect = sniff_dialect(text)
    records = read_records(io.StringIO(text, newline=""), dialect)
    header = next(records, None)
    if header is None:
        raise Unprocessable("file: only blank lines, no header")
    if header.error is not None:
        raise Unprocessable(f"file: the header (line {header.line}) cannot be read: {header.error}")
    try:
        plan = plan_columns(
            header.fields, options.mapping, options.country_column, options.consent_columns
        )
    except HeaderProblem as error:
        raise Unprocessable(str(error)) from None
    declared = await attribute_repository.schema(session, workspace_id)
    for name in plan.attributes:
        if name not in declared:
            raise Unprocessable(
                f"mapping: attributes.{name}: unknown attribute {name!r} "
                f"(declare it with PUT /v1/attributes/{name})"
            )
    if upload.complete_head and next(records, None) is None:
        raise Unprocessable(f"file: a header (line {header.line}) but no data rows")
    return plan, dialect.delimiter, dialect.skip_lines


async def get_import(session: AsyncSession, workspace_id: str, import_id: uuid.UUID) -> ImportJob:
    job = await repository.get_job(session, workspace_id, import_id)
    if job is None:
        raise ImportNotFound()
    return job


async def cancel_import(
    session: AsyncSession, workspace_id: str, import_id: uuid.UUID
) -> ImportJob:
    """Cancel unless finished. A merge in progress holds the job's row: the cancel waits for
    it, then finds the import done (409). Otherwise the reader notices at its next heartbeat
    and rolls its transaction back: nothing of the file is applied."""
    job = await repository.get_job(session, workspace_id, import_id, for_update=True)
    if job is None:
        raise ImportNotFound()
    if ImportStatus(job.status) in FINISHED:
        raise ImportFinished(job.status)
    now = _now()
    job.status = ImportStatus.CANCELLED.value
    job.finished_at = now
    job.updated_at = now
    await repository.delete_upload(session, job.id)
    await session.flush()
    return job


def progress_pct(job: ImportJob) -> int:
    if job.status == ImportStatus.DONE:
        return 100
    if job.status == ImportStatus.APPLYING:
        return 99
    if job.file_bytes <= 0:
        return 0
    return min(99, job.bytes_read * 100 // job.file_bytes)


def to_read(job: ImportJob) -> ImportRead:
    return ImportRead(
        id=job.id,
        status=ImportStatus(job.status),
        mode=ImportMode(job.mode),
        default_region=job.default_region,
        mobile_only=job.mobile_only,
        rows_read=job.rows_read,
        imported=job.imported,
        updated=job.updated,
        unchanged=job.unchanged,
        rejected=job.rejected,
        progress_pct=progress_pct(job),
        file_sha256=job.file_sha256,
        file_bytes=job.file_bytes,
        encoding=encoding_label(job.encoding),
        delimiter="tab" if job.delimiter == "\t" else job.delimiter,
        columns=job.columns,
        error=job.error,
        errors_url=f"/v1/imports/{job.id}/errors.csv",
        created_at=job.created_at,
        updated_at=job.updated_at,
        finished_at=job.finished_at,
    )
