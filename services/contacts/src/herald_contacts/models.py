"""ORM models of the contacts database."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from herald_kit.db import make_metadata

metadata = make_metadata()


class Base(DeclarativeBase):
    metadata = metadata


class Contact(Base):
    __tablename__ = "contact"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "phone", name="uq_contact_workspace_id_phone"),
        sa.CheckConstraint("lifecycle IN ('prospect', 'customer', 'member')", name="lifecycle"),
        sa.CheckConstraint(
            "timezone_source IN ('explicit', 'phone_prefix', 'unknown')", name="timezone_source"
        ),
        # Segment filters (migration c0a2 says which filter each index serves; c0a5 why
        # country and lifecycle have none).
        sa.Index("ix_contact_workspace_id_id", "workspace_id", "id"),
        sa.Index("ix_contact_workspace_id_created_at", "workspace_id", "created_at"),
        sa.Index("ix_contact_workspace_id_last_order_at", "workspace_id", "last_order_at"),
        sa.Index("ix_contact_workspace_id_last_click_at", "workspace_id", "last_click_at"),
        sa.Index("ix_contact_tags", "tags", postgresql_using="gin"),
        sa.Index("ix_contact_lists", "lists", postgresql_using="gin"),
        sa.Index(
            "ix_contact_attributes",
            "attributes",
            postgresql_using="gin",
            postgresql_ops={"attributes": "jsonb_path_ops"},
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(sa.Text)
    phone: Mapped[str] = mapped_column(sa.Text)
    country: Mapped[str | None] = mapped_column(sa.Text)
    timezone: Mapped[str | None] = mapped_column(sa.Text)
    locale: Mapped[str] = mapped_column(sa.Text, default="fr")
    first_name: Mapped[str | None] = mapped_column(sa.Text)
    last_name: Mapped[str | None] = mapped_column(sa.Text)
    email: Mapped[str | None] = mapped_column(sa.Text)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    tags: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), default=list)
    orders_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    total_spent: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), default=Decimal(0))
    last_order_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    lifecycle: Mapped[str] = mapped_column(sa.Text, default="prospect")
    lists: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), default=list)
    timezone_source: Mapped[str] = mapped_column(sa.Text, default="unknown")
    timezone_ambiguous: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    last_click_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_reply_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    reachable: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    unreachable_reason: Mapped[str | None] = mapped_column(sa.Text)
    unreachable_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class AttributeDefinition(Base):
    """A custom attribute's declared type in one workspace (see domain/attribute_types.py)."""

    __tablename__ = "attribute_definition"
    __table_args__ = (
        sa.CheckConstraint("type IN ('string', 'number', 'boolean', 'date')", name="type"),
    )

    workspace_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    type: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class Segment(Base):
    """A saved filter (domain/segments.py), evaluated anew at each count or snapshot."""

    __tablename__ = "segment"
    __table_args__ = (sa.UniqueConstraint("workspace_id", "name"),)

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(sa.Text)
    name: Mapped[str] = mapped_column(sa.Text)
    filter: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class ImportJob(Base):
    """A CSV import (herald_contacts.imports): how to read the uploaded file, and how far the
    job got. `attempt` counts claims: a worker only applies the attempt it claimed."""

    __tablename__ = "import_job"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'applying', 'done', 'failed', 'cancelled')",
            name="status",
        ),
        sa.CheckConstraint("mode IN ('create_only', 'update', 'replace_attributes')", name="mode"),
        sa.Index("ix_import_job_status_updated_at", "status", "updated_at"),
        sa.Index("ix_import_job_workspace_id_created_at", "workspace_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.Text)
    mode: Mapped[str] = mapped_column(sa.Text)
    default_region: Mapped[str] = mapped_column(sa.Text)
    mobile_only: Mapped[bool] = mapped_column(sa.Boolean)
    mapping: Mapped[dict[str, Any]] = mapped_column(JSONB)
    country_column: Mapped[str | None] = mapped_column(sa.Text)
    consent_columns: Mapped[dict[str, Any]] = mapped_column(JSONB)
    columns: Mapped[dict[str, Any]] = mapped_column(JSONB)  # header → field, as recognised
    file_sha256: Mapped[str] = mapped_column(sa.Text)
    file_bytes: Mapped[int] = mapped_column(sa.BigInteger)
    encoding: Mapped[str] = mapped_column(sa.Text)
    delimiter: Mapped[str] = mapped_column(sa.Text)
    skip_lines: Mapped[int] = mapped_column(sa.Integer)
    rows_read: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    imported: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    updated: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    unchanged: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    rejected: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    bytes_read: Mapped[int] = mapped_column(sa.BigInteger, server_default="0")
    attempt: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class ImportUpload(Base):
    """The uploaded file, in chunks, so that a worker in another process or pod can read it."""

    __tablename__ = "import_upload"

    import_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("import_job.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)


class ImportRejection(Base):
    """A refused row of an applied import: its line, the cell at fault and why."""

    __tablename__ = "import_rejection"

    import_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("import_job.id", ondelete="CASCADE"), primary_key=True
    )
    line: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    column_name: Mapped[str] = mapped_column(sa.Text)
    value: Mapped[str] = mapped_column(sa.Text)
    reason: Mapped[str] = mapped_column(sa.Text)


class ContactPublication(Base):
    """Contacts an import batch created or changed whose `contact.updated` events are still to
    be written to the outbox. The merge writes one row per batch, in the import's transaction
    (so the events are as certain as the contacts); `imports/publication.py` turns each row
    into outbox rows after the commit, in its own short transaction."""

    __tablename__ = "contact_publication"

    id: Mapped[int] = mapped_column(sa.BigInteger, sa.Identity(), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(sa.Text)
    correlation_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))  # the import's id
    first_event: Mapped[int] = mapped_column(sa.BigInteger)  # the batch's event counter start
    contact_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)))
    headers: Mapped[dict[str, Any]] = mapped_column(JSONB)  # trace context of the import
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
