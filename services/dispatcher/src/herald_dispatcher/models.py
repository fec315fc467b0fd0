"""ORM models of the dispatcher database."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from herald_kit.db import make_metadata

metadata = make_metadata()

MESSAGE_STATUSES = (
    "queued",
    "held",
    "submitting",
    "submitted",
    "suppressed",
    "failed",
    "in_doubt",
)


class Base(DeclarativeBase):
    metadata = metadata


class Message(Base):
    """The ledger: one row per requested message, keyed by its deterministic id."""

    __tablename__ = "message"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('queued', 'held', 'submitting', 'submitted', 'suppressed', 'failed',"
            " 'in_doubt')",
            name="status",
        ),
        sa.Index("ix_message_status_next_attempt_at", "status", "next_attempt_at"),
        sa.Index(
            "ix_message_queue",
            "priority",
            "created_at",
            postgresql_where=sa.text("status = 'queued'"),
        ),
        sa.Index("ix_message_workspace_id_campaign_id", "workspace_id", "campaign_id"),
        # An erasure finds the number's messages (herald_dispatcher.erasure).
        sa.Index("ix_message_workspace_id_phone", "workspace_id", "phone"),
        # The sweeper finds held messages whose time has come.
        sa.Index("ix_message_held", "held_until", postgresql_where=sa.text("status = 'held'")),
        # Frequency caps count a contact's recent sends.
        sa.Index(
            "ix_message_sent",
            "workspace_id",
            "phone",
            "sent_at",
            postgresql_where=sa.text("sent_at IS NOT NULL"),
        ),
    )

    message_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(sa.Text)
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    phone: Mapped[str] = mapped_column(sa.Text)
    text: Mapped[str] = mapped_column(sa.Text)
    category: Mapped[str] = mapped_column(sa.Text)
    brand: Mapped[str] = mapped_column(sa.Text)
    sender: Mapped[str] = mapped_column(sa.Text)
    # 0 high, 1 normal, 2 low: the send order.
    priority: Mapped[int] = mapped_column(sa.SmallInteger)
    not_before: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    status: Mapped[str] = mapped_column(sa.Text)
    route: Mapped[str | None] = mapped_column(sa.Text)
    provider_message_ids: Mapped[list[str]] = mapped_column(ARRAY(sa.Text), default=list)
    segments: Mapped[int] = mapped_column(sa.Integer)
    encoding: Mapped[str] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    suppression_reason: Mapped[str | None] = mapped_column(sa.Text)
    # The sender instance that marked the row `submitting` (to tell its crash apart).
    claimed_by: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    # `reply_kind` of sms.requested (`optout_confirmation` passes the opted-out rule).
    reply_kind: Mapped[str | None] = mapped_column(sa.Text)
    # The campaign's answer to a frequency cap: `postpone` or `skip`.
    cap_policy: Mapped[str] = mapped_column(sa.Text, server_default="postpone")
    # Sending rules: until when a `held` message waits, the rule and why (kept after the
    # release, for the audit), and when the gate let the message go (caps count it).
    held_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    hold_reason: Mapped[str | None] = mapped_column(sa.Text)
    rule: Mapped[str | None] = mapped_column(sa.Text)
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class SendingRules(Base):
    """A workspace's own sending rules (`PUT /v1/sending-rules`), checked when saved;
    workspaces without a row follow the deployment's (settings `compliance`)."""

    __tablename__ = "sending_rules"

    workspace_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    packs: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    caps: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class ConsentView(Base):
    """Current consent per phone, purpose and brand ('*' = every brand), from
    `consent.changed` and `optout.received`."""

    __tablename__ = "consent_view"

    workspace_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    phone: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    purpose: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    brand: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    status: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class CampaignView(Base):
    """Current state of each campaign, from `campaign.updated`."""

    __tablename__ = "campaign_view"

    campaign_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class ErasedContact(Base):
    """An erased contact: a message still naming it, requested before the erasure but
    arriving after it, is suppressed (`contact_erased`) and scrubbed when claimed."""

    __tablename__ = "erased_contact"

    workspace_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class ErasedOptout(Base):
    """An opt-out of an erased number, kept under the number's keyed pseudonym
    (herald_compliance.pseudonyms) so that the number stays suppressed if it comes back."""

    __tablename__ = "erased_optout"

    workspace_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    phone_pseudonym: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    purpose: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    brand: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
