"""ORM models of the analytics database: read models, rebuilt from the streams.

Every row carries `workspace_id` and every query filters on it. Timestamps named `*_at` are
event times (from the payloads); `created_at` / `updated_at` are this database's own times.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from herald_kit.db import make_metadata

metadata = make_metadata()


class Base(DeclarativeBase):
    metadata = metadata


class CampaignSummary(Base):
    """One campaign, from `campaign.scheduled` / `campaign.updated`. A row may exist before
    its `campaign.scheduled` arrived (created by the first `sms.*` event naming the campaign):
    then name, category, state and launched_at are still null."""

    __tablename__ = "campaign_summary"
    __table_args__ = (
        sa.Index(
            "ix_campaign_summary_workspace_id_created_at",
            "workspace_id",
            "created_at",
            "campaign_id",
        ),
    )

    campaign_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(sa.Text)
    name: Mapped[str | None] = mapped_column(sa.Text)
    category: Mapped[str | None] = mapped_column(sa.Text)
    state: Mapped[str | None] = mapped_column(sa.Text)
    # Event time of the state above: orders state changes that arrive out of order.
    state_changed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    audience_size: Mapped[int | None] = mapped_column(sa.Integer)
    launched_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # First seen here: immutable, so it gives the list a stable keyset order.
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )


class MessageFact(Base):
    """One message, whatever the order its events arrive in: each `sms.*` handler sets only
    its own columns."""

    __tablename__ = "message_fact"
    __table_args__ = (
        sa.Index("ix_message_fact_workspace_id_campaign_id", "workspace_id", "campaign_id"),
    )

    message_id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    workspace_id: Mapped[str] = mapped_column(sa.Text)
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(UUID(as_uuid=True))
    requested_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    segments: Mapped[int | None] = mapped_column(sa.Integer)
    suppressed_reason: Mapped[str | None] = mapped_column(sa.Text)
    failed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    delivery_status: Mapped[str | None] = mapped_column(sa.Text)
    delivery_final: Mapped[bool] = mapped_column(
        sa.Boolean, server_default=sa.false(), default=False
    )
    # `reported_at` of the delivery status kept: orders receipts that arrive out of order.
    delivery_reported_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )


class DailyEngagement(Base):
    """Inbound messages and opt-outs per workspace and UTC day."""

    __tablename__ = "daily_engagement"
    __table_args__ = (sa.CheckConstraint("kind IN ('inbound', 'optout')", name="kind"),)

    workspace_id: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    count: Mapped[int] = mapped_column(sa.BigInteger, server_default="0", default=0)
