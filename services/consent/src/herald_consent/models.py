"""ORM models of the consent database."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from herald_kit.db import make_metadata
from herald_kit.tables import add_idempotency_table

metadata = make_metadata()


class Base(DeclarativeBase):
    metadata = metadata


# The kit's Idempotency-Key answers (herald_kit.idempotency) for POST /v1/consents and
# /v1/optouts; the erasure deletes those that quote an erased number.
IDEMPOTENT_REQUEST = add_idempotency_table(metadata)


class ConsentEntry(Base):
    """One line of the ledger: never updated, never deleted (a trigger refuses both), and
    hash-chained per workspace (herald_consent.domain.chain): `seq` is its position in the
    workspace's chain, `hash` covers its content and `previous_hash`."""

    __tablename__ = "consent_entry"
    __table_args__ = (
        sa.CheckConstraint("purpose IN ('marketing', 'transactional')", name="purpose"),
        sa.CheckConstraint("action IN ('opt_in', 'opt_out')", name="action"),
        # SMS consent only: consent to email (or any other channel) is separate and lives
        # elsewhere; the column makes the scope of every entry explicit.
        sa.CheckConstraint("channel = 'sms'", name="channel"),
        sa.CheckConstraint("seq >= 1", name="seq"),
        sa.Index("ix_consent_entry_workspace_id_phone", "workspace_id", "phone", "created_at"),
        sa.UniqueConstraint("workspace_id", "seq", name="uq_consent_entry_workspace_id_seq"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(sa.Text)
    phone: Mapped[str] = mapped_column(sa.Text)
    purpose: Mapped[str] = mapped_column(sa.Text)
    brand: Mapped[str] = mapped_column(sa.Text, default="default")
    action: Mapped[str] = mapped_column(sa.Text)
    source: Mapped[str] = mapped_column(sa.Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    channel: Mapped[str] = mapped_column(sa.Text, default="sms")
    recorded_by: Mapped[str] = mapped_column(sa.Text)
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    identifying_digest: Mapped[str | None] = mapped_column(sa.Text)
    previous_hash: Mapped[str] = mapped_column(sa.Text)
    hash: Mapped[str] = mapped_column(sa.Text)


class ConsentChainHead(Base):
    """The last entry of a workspace's chain. Appends lock this row (SELECT ... FOR UPDATE
    through an upsert), so they take turns per workspace; verification compares it with the
    last entry, so entries cut off the end of the chain are seen too."""

    __tablename__ = "consent_chain_head"

    workspace_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    seq: Mapped[int] = mapped_column(sa.BigInteger)
    hash: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class ConsentState(Base):
    """The current status per (workspace, phone, purpose, brand); brand '*' is every brand."""

    __tablename__ = "consent_state"
    __table_args__ = (sa.CheckConstraint("status IN ('opted_in', 'opted_out')", name="status"),)

    workspace_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    phone: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    purpose: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    brand: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    status: Mapped[str] = mapped_column(sa.Text)
    ledger_entry_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("consent_entry.id")
    )
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class DoubleOptInRequest(Base):
    """A double opt-in waiting for its answer (herald_consent.double_opt_in): the evidence of
    the request, the confirmation SMS sent, and how it was answered. `status` is pending,
    confirmed or superseded (a newer request for the same number, purpose and brand); a
    pending request past `expires_at` is expired. The link token is kept as its SHA-256."""

    __tablename__ = "double_opt_in_request"
    __table_args__ = (
        sa.CheckConstraint("purpose IN ('marketing', 'transactional')", name="purpose"),
        sa.CheckConstraint("status IN ('pending', 'confirmed', 'superseded')", name="status"),
        sa.Index(
            "ix_double_opt_in_request_workspace_id_phone", "workspace_id", "phone", "created_at"
        ),
        sa.UniqueConstraint("token_hash", name="uq_double_opt_in_request_token_hash"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(sa.Text)
    phone: Mapped[str] = mapped_column(sa.Text)
    purpose: Mapped[str] = mapped_column(sa.Text)
    brand: Mapped[str] = mapped_column(sa.Text)
    language: Mapped[str] = mapped_column(sa.Text)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSONB)
    requested_by: Mapped[str] = mapped_column(sa.Text)
    token_hash: Mapped[str] = mapped_column(sa.Text)
    message_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    sender: Mapped[str] = mapped_column(sa.Text)
    text: Mapped[str] = mapped_column(sa.Text)  # the SMS as sent, link token masked
    status: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    confirmed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    confirmation: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    ledger_entry_id: Mapped[uuid.UUID | None] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("consent_entry.id")
    )
