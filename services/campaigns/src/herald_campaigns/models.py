"""ORM models of the campaigns database."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from herald_events.models.campaigns import CapPolicy, SmsPriority
from herald_kit.db import make_metadata

metadata = make_metadata()


class Base(DeclarativeBase):
    metadata = metadata


class CampaignStatus(StrEnum):
    DRAFT = "draft"
    LAUNCHING = "launching"  # launched; the audience is being expanded
    RUNNING = "running"  # every message requested; the dispatcher sends them
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class JobState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


def _in(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Campaign(Base):
    __tablename__ = "campaign"
    __table_args__ = (
        sa.CheckConstraint("category IN ('marketing', 'transactional')", name="category"),
        sa.CheckConstraint(_in("status", CampaignStatus), name="status"),
        sa.CheckConstraint("expires_in_hours BETWEEN 1 AND 72", name="expires_in_hours"),
        sa.CheckConstraint(_in("priority", SmsPriority), name="priority"),
        sa.CheckConstraint(_in("cap_policy", CapPolicy), name="cap_policy"),
        sa.Index("ix_campaign_workspace_id_created_at_id", "workspace_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(sa.Text)
    name: Mapped[str] = mapped_column(sa.Text)
    template: Mapped[str] = mapped_column(sa.Text)
    category: Mapped[str] = mapped_column(sa.Text)
    brand: Mapped[str] = mapped_column(sa.Text, server_default="default")
    sender: Mapped[str] = mapped_column(sa.Text)
    audience: Mapped[dict[str, Any]] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(sa.Text)
    # Messages expire this long after launch; `expires_at` is set when the campaign launches.
    expires_in_hours: Mapped[int] = mapped_column(sa.Integer)
    # Carried on every `sms.requested`: the dispatcher's send order and its answer to a
    # frequency cap (herald_events SmsPriority, CapPolicy).
    priority: Mapped[str] = mapped_column(sa.Text, server_default=SmsPriority.NORMAL.value)
    cap_policy: Mapped[str] = mapped_column(sa.Text, server_default=CapPolicy.POSTPONE.value)
    # Texts folded to their GSM-7 look-alikes before the mention and the count.
    fold_accents: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    launched_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    audience_size: Mapped[int | None] = mapped_column(sa.Integer)
    expanded_count: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))

    expansion: Mapped[ExpansionJob | None] = relationship(lazy="selectin", uselist=False)


class ExpansionJob(Base):
    """Streaming a launched campaign's audience into `sms.requested`, resumable at `cursor`
    (the id of the last contact streamed: contacts streams in id order)."""

    __tablename__ = "expansion_job"
    __table_args__ = (
        sa.CheckConstraint(_in("state", JobState), name="state"),
        sa.Index("ix_expansion_job_state_updated_at", "state", "updated_at"),
    )

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), sa.ForeignKey("campaign.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[str] = mapped_column(sa.Text)
    cursor: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    state: Mapped[str] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class ConsentProjection(Base):
    """Current consent per phone, purpose and brand, from `consent.changed` (the latest
    `changed_at` wins, whatever order the events arrive in)."""

    __tablename__ = "consent_projection"
    __table_args__ = (
        sa.CheckConstraint("purpose IN ('marketing', 'transactional')", name="purpose"),
        sa.CheckConstraint("status IN ('opted_in', 'opted_out')", name="status"),
    )

    workspace_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    phone: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    purpose: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    brand: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    status: Mapped[str] = mapped_column(sa.Text)
    changed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
