"""`/v1/imports`: upload a CSV file (the raw body), follow the job, get the refused rows,
cancel it."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import phonenumbers
from fastapi import APIRouter, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import ClientDisconnect

from herald_contacts.api.deps import ContactsReader, ContactsWriter
from herald_contacts.imports import repository, service
from herald_contacts.imports.errors import ReportNotReady, UnsupportedMediaType
from herald_contacts.imports.schemas import ImportMode, ImportRead, ImportStatus
from herald_contacts.settings import get_settings
from herald_kit.app import SessionDep
from herald_kit.errors import DomainError, Unprocessable

router = APIRouter(prefix="/v1/imports", tags=["imports"])

# What browsers, curl and spreadsheet tools send a CSV file as.
CSV_TYPES = frozenset(
    {
        "text/csv",
        "application/csv",
        "text/comma-separated-values",
        "application/x-csv",
        "text/x-csv",
        "text/tab-separated-values",
        "text/plain",
        "application/octet-stream",
        "application/vnd.ms-excel",  # Windows names .csv files so
    }
)
REPORT_PAGE = 5000


@router.post("", status_code=status.HTTP_202_ACCEPTED)
async def create_import(
    request: Request,
    response: Response,
    principal: ContactsWriter,
    session: SessionDep,
    mode: ImportMode = ImportMode.UPDATE,
    default_region: Annotated[
        str | None, Query(description="region of numbers written without +, e.g. FR")
    ] = None,
    mobile_only: Annotated[bool, Query(description="refuse numbers that are not mobiles")] = True,
    mapping: Annotated[
        str | None,
        Query(description='JSON object column → field, e.g. {"Tel": "phone", "Ville": "ignore"}'),
    ] = None,
    country_column: Annotated[
        str | None, Query(description="column of each row's country (ISO code or +33)")
    ] = None,
    consent_columns: Annotated[
        str | None,
        Query(
            description='JSON object of the consent evidence columns, e.g. {"opted_in_at": '
            '"Date opt-in", "source": "Origine", "wording": "Texte"}; consent is never implied'
        ),
    ] = None,
) -> ImportRead:
    """The CSV file is the request body (text/csv), streamed to storage. 202: the job runs in
    the background; follow it at `GET /v1/imports/{id}`."""
    _check_content_type(request.headers.get("content-type"))
    settings = get_settings()
    options = service.ImportOptions(
        mode=mode,
        default_region=_region(default_region or settings.default_region),
        mobile_only=mobile_only,
        mapping=_json_object("mapping", mapping),
        country_column=country_column,
        consent_columns=_json_object("consent_columns", consent_columns),
    )
    try:
        job = await service.create_import(
            session, principal.workspace_id, options, request.stream(), settings.imports
        )
    except ClientDisconnect:
        raise DomainError("file: the upload was interrupted; nothing was stored") from None
    response.headers["Location"] = f"/v1/imports/{job.id}"
    return service.to_read(job)


def _check_content_type(header: str | None) -> None:
    if header is None:
        return
    media_type = header.split(";", 1)[0].strip().lower()
    if media_type not in CSV_TYPES:
        hint = " (send the file itself as the body, not a form)" if "multipart" in header else ""
        raise UnsupportedMediaType(
            f"Content-Type: {media_type} is not a CSV file; send text/csv{hint}"
        )


def _region(value: str) -> str:
    region = value.strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise Unprocessable(f"default_region: {value!r} is not a region code such as FR")
    return region


def _json_object(name: str, value: str | None) -> dict[str, Any]:
    if not value:
        return {}
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = None
    valid = isinstance(parsed, dict) and all(
        isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in parsed.items()
    )
    if not valid:
        raise Unprocessable(f"{name}: not a JSON object of column names to names")
    return dict(parsed)


@router.get("/{import_id}")
async def get_import(
    import_id: uuid.UUID, principal: ContactsReader, session: SessionDep
) -> ImportRead:
    job = await service.get_import(session, principal.workspace_id, import_id)
    return service.to_read(job)


@router.post("/{import_id}/cancel")
async def cancel_import(
    import_id: uuid.UUID, principal: ContactsWriter, session: SessionDep
) -> ImportRead:
    """Nothing of a cancelled import is applied; a finished one answers 409."""
    job = await service.cancel_import(session, principal.workspace_id, import_id)
    return service.to_read(job)


@router.get("/{import_id}/errors.csv", response_class=StreamingResponse)
async def refused_rows(
    import_id: uuid.UUID, principal: ContactsReader, request: Request, session: SessionDep
) -> StreamingResponse:
    """The refused rows (line, column, value, reason), with the file's separator; phone
    numbers are masked."""
    job = await service.get_import(session, principal.workspace_id, import_id)
    if job.status != ImportStatus.DONE:
        raise ReportNotReady(job.status)
    sessions: async_sessionmaker[AsyncSession] = request.state.sessions
    delimiter = job.delimiter or ","

    async def lines() -> AsyncIterator[bytes]:
        yield "\ufeff".encode() + _csv_line(delimiter, ("line", "column", "value", "reason"))
        after = 0
        async with sessions() as reader:
            while True:
                rows = await repository.rejections_after(reader, import_id, after, REPORT_PAGE)
                if not rows:
                    return
                yield b"".join(
                    _csv_line(delimiter, (r.line, r.column_name, r.value, r.reason)) for r in rows
                )
                after = rows[-1].line

    headers = {"Content-Disposition": f'attachment; filename="import-{import_id}-errors.csv"'}
    return StreamingResponse(lines(), media_type="text/csv; charset=utf-8", headers=headers)


def _csv_line(delimiter: str, values: tuple[object, ...]) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerow(values)
    return out.getvalue().encode()
