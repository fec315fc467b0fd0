"""ORM models of the receipts database."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from herald_kit.db import make_metadata

metadata = make_metadata()


class Base(DeclarativeBase):
    metadata = metadata


class Submission(Base):
    """One part of a submitted message, found again by (route, normalised provider id)."""

    __tablename__ = "submission"
    __table_args__ = (
        sa.Index("ix_submission_route_alternate", "route", "provider_id_alternate"),
        sa.Index("ix_submission_workspace_id_message_id", "workspace_id", "message_id"),
    )

    route: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    provider_id_normalised: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    provider_id_alternate: Mapped[str | None] = mapped_column(sa.Text)
    provider_id: Mapped[str] = mapped_column(sa.Text)
    workspace_id: Mapped[str] = mapped_column(sa.Text)
    message_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    part_index: Mapped[int] = mapped_column(sa.Integer)
    parts_total: Mapped[int] = mapped_column(sa.Integer)
    submitted_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    status: Mapped[str] = mapped_column(sa.Text, default="unknown")
    final: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    error_code: Mapped[str | None] = mapped_column(sa.Text)
    reported_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class Delivery(Base):
    """The delivery state of a whole message, from its parts. The recipient (phone, contact
    id, from the submission) is announced with it, and blanked when the contact is erased."""

    __tablename__ = "delivery"
    __table_args__ = (
        # An erasure finds the number's and the contact's deliveries (herald_receipts.erasure).
        sa.Index("ix_delivery_workspace_id_phone", "workspace_id", "phone"),
        sa.Index("ix_delivery_workspace_id_contact_id", "workspace_id", "contact_id"),
    )

    message_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(sa.Text)
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    phone: Mapped[str | None] = mapped_column(sa.Text)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    status: Mapped[str] = mapped_column(sa.Text, default="unknown")
    final: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    parts_total: Mapped[int] = mapped_column(sa.Integer)
    parts_delivered: Mapped[int] = mapped_column(sa.Integer, default=0)
    parts_reported: Mapped[int] = mapped_column(sa.Integer, default=0)
    error_code: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class ErasedContact(Base):
    """An erased contact: a submission still naming it (one that waited in the backlog of
    `sms.submitted` while the erasure was applied) is stored without its recipient."""

    __tablename__ = "erased_contact"

    workspace_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class ParkedReceipt(Base):
    """A receipt that arrived before its submission was known; replayed when it is."""

    __tablename__ = "parked_receipt"
    __table_args__ = (
        sa.Index("ix_parked_receipt_route_primary", "route", "provider_id_normalised"),
        sa.Index("ix_parked_receipt_route_alternate", "route", "provider_id_alternate"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(sa.Text)
    route: Mapped[str] = mapped_column(sa.Text)
    provider_id_normalised: Mapped[str] = mapped_column(sa.Text)
    provider_id_alternate: Mapped[str | None] = mapped_column(sa.Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    received_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class InboundMessage(Base):
    """A handset's message, after keyword handling."""

    __tablename__ = "inbound_message"
    __table_args__ = (
        sa.Index(
            "ix_inbound_message_workspace_id_received_at", "workspace_id", "received_at", "id"
        ),
        sa.Index(
            "ix_inbound_message_workspace_id_phone", "workspace_id", "phone", "received_at", "id"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(sa.Text)
    phone: Mapped[str] = mapped_column(sa.Text)
    destination: Mapped[str] = mapped_column(sa.Text)
    text: Mapped[str] = mapped_column(sa.Text)
    keyword_kind: Mapped[str] = mapped_column(sa.Text)
    keyword: Mapped[str | None] = mapped_column(sa.Text)
    route: Mapped[str] = mapped_column(sa.Text)
    received_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class OptoutReview(Base):
    """A handset's message that may be an opt-out, waiting for a person (herald_compliance.
    optout: a phrase under the `review` policy, or STOP inside a longer sentence). Its text is
    the inbound message's; erasing the number deletes both (the foreign key cascades)."""

    __tablename__ = "optout_review"
    __table_args__ = (
        sa.CheckConstraint("status IN ('open', 'opted_out', 'dismissed')", name="status"),
        sa.Index(
            "ix_optout_review_workspace_id_status", "workspace_id", "status", "received_at", "id"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True),
        sa.ForeignKey("inbound_message.id", ondelete="CASCADE"),
        primary_key=True,
    )
    workspace_id: Mapped[str] = mapped_column(sa.Text)
    phone: Mapped[str] = mapped_column(sa.Text)
    matched: Mapped[str] = mapped_column(sa.Text)
    language: Mapped[str | None] = mapped_column(sa.Text)
    rule: Mapped[str] = mapped_column(sa.Text)
    scope: Mapped[str] = mapped_column(sa.Text)
    brand: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.Text, default="open")
    received_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(sa.Text)


class AutoReply(Base):
    """The last automatic reply of each kind to a number: at most one opt-out confirmation
    (one help reply) per number within the configured window, whatever it sends."""

    __tablename__ = "auto_reply"

    workspace_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    phone: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    message_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True))
