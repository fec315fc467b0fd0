"""API models of CSV imports."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel


class ImportMode(StrEnum):
    """What a row does to a contact that already has its number.

    create_only: nothing (only new numbers become contacts).
    update: the file's non-empty cells overwrite, custom attributes are merged key by key,
        tags and lists are added to.
    replace_attributes: as update, but custom attributes, tags and lists become exactly the
        file's (an empty cell clears them).
    """

    CREATE_ONLY = "create_only"
    UPDATE = "update"
    REPLACE_ATTRIBUTES = "replace_attributes"


class ImportStatus(StrEnum):
    PENDING = "pending"  # uploaded, waiting for a worker
    RUNNING = "running"  # reading and checking the rows
    APPLYING = "applying"  # merging them into the contacts, in one transaction
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED = frozenset({ImportStatus.DONE, ImportStatus.FAILED, ImportStatus.CANCELLED})


class ImportRead(BaseModel):
    id: uuid.UUID
    status: ImportStatus
    mode: ImportMode
    default_region: str
    mobile_only: bool
    rows_read: int
    imported: int
    updated: int
    unchanged: int  # rows of numbers that already had a contact the import left as it was
    rejected: int
    progress_pct: int
    file_sha256: str
    file_bytes: int
    encoding: str
    delimiter: str
    columns: dict[str, Any]  # header → the field it feeds (null: ignored)
    error: str | None
    errors_url: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
