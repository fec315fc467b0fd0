"""Settings of CSV imports (`HERALD_CONTACTS_IMPORTS__...`)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ImportSettings(BaseModel):
    chunk_bytes: int = Field(default=1 << 20, ge=4096, le=16 << 20)  # upload chunks in the DB
    max_file_bytes: int = Field(default=2 << 30, ge=1)
    batch_rows: int = Field(default=5000, ge=1, le=100_000)  # records per validation task
    # Processes that check rows; None: one per CPU; 0: threads of the worker process itself.
    validation_processes: int | None = Field(default=None, ge=0, le=64)
    poll_seconds: float = Field(default=1.0, gt=0)
    heartbeat_seconds: float = Field(default=2.0, ge=0)
    # A running job whose worker stayed silent this long is claimed again (from the start).
    lease_seconds: float = Field(default=60.0, gt=0)
    max_attempts: int = Field(default=5, ge=1)  # claims of one job (crashes, restarts)
    backoff_start: float = Field(default=0.5, gt=0)
    backoff_max: float = Field(default=30.0, gt=0)
