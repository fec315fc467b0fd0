"""Read models (campaign_summary, message_fact, daily_engagement), plus the kit's outbox and inbox.

Revision ID: a0a1
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

from herald_kit.tables import create_kit_tables, drop_kit_tables

revision: str = "a0a1"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_kit_tables()
    op.create_table(
        "campaign_summary",
        sa.Column("campaign_id", UUID(as_uuid=True), nullable=False),
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=True),
        sa.Column("category", sa.Text, nullable=True),
        sa.Column("state", sa.Text, nullable=True),
        sa.Column("state_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("audience_size", sa.Integer, nullable=True),
        sa.Column("launched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("campaign_id", name="pk_campaign_summary"),
    )
    op.create_index(
        "ix_campaign_summary_workspace_id_created_at",
        "campaign_summary",
        ["workspace_id", "created_at", "campaign_id"],
    )
    op.create_table(
        "message_fact",
        sa.Column("message_id", UUID(as_uuid=True), nullable=False),
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("campaign_id", UUID(as_uuid=True), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("segments", sa.Integer, nullable=True),
        sa.Column("suppressed_reason", sa.Text, nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivery_status", sa.Text, nullable=True),
        sa.Column("delivery_final", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("delivery_reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.PrimaryKeyConstraint("message_id", name="pk_message_fact"),
    )
    op.create_index(
        "ix_message_fact_workspace_id_campaign_id",
        "message_fact",
        ["workspace_id", "campaign_id"],
    )
    op.create_table(
        "daily_engagement",
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("count", sa.BigInteger, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("workspace_id", "day", "kind", name="pk_daily_engagement"),
        sa.CheckConstraint("kind IN ('inbound', 'optout')", name="ck_daily_engagement_kind"),
    )


def downgrade() -> None:
    op.drop_table("daily_engagement")
    op.drop_index("ix_message_fact_workspace_id_campaign_id", table_name="message_fact")
    op.drop_table("message_fact")
    op.drop_index("ix_campaign_summary_workspace_id_created_at", table_name="campaign_summary")
    op.drop_table("campaign_summary")
    drop_kit_tables()
