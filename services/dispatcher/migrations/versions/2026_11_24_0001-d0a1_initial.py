"""Message ledger, consent and campaign projections, plus the kit's outbox and inbox.

Revision ID: d0a1
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, UUID

from herald_kit.tables import create_kit_tables, drop_kit_tables

revision: str = "d0a1"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_kit_tables()
    op.create_table(
        "message",
        sa.Column("message_id", UUID(as_uuid=True), nullable=False),
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("campaign_id", UUID(as_uuid=True), nullable=True),
        sa.Column("contact_id", UUID(as_uuid=True), nullable=True),
        sa.Column("phone", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("brand", sa.Text, nullable=False),
        sa.Column("sender", sa.Text, nullable=False),
        sa.Column("priority", sa.SmallInteger, nullable=False, server_default="1"),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("route", sa.Text, nullable=True),
        sa.Column("provider_message_ids", ARRAY(sa.Text), nullable=False, server_default="{}"),
        sa.Column("segments", sa.Integer, nullable=False),
        sa.Column("encoding", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("suppression_reason", sa.Text, nullable=True),
        sa.Column("claimed_by", UUID(as_uuid=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name="pk_message"),
        sa.CheckConstraint(
            "status IN ('queued', 'submitting', 'submitted', 'suppressed', 'failed', 'in_doubt')",
            name="ck_message_status",
        ),
    )
    op.create_index(
        "ix_message_status_next_attempt_at", "message", ["status", "next_attempt_at"]
    )
    op.create_index(
        "ix_message_queue",
        "message",
        ["priority", "created_at"],
        postgresql_where=sa.text("status = 'queued'"),
    )
    op.create_index(
        "ix_message_workspace_id_campaign_id", "message", ["workspace_id", "campaign_id"]
    )
    op.create_table(
        "consent_view",
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("phone", sa.Text, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("brand", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "workspace_id", "phone", "purpose", "brand", name="pk_consent_view"
        ),
    )
    op.create_table(
        "campaign_view",
        sa.Column("campaign_id", UUID(as_uuid=True), nullable=False),
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", name="pk_campaign_view"),
    )


def downgrade() -> None:
    op.drop_table("campaign_view")
    op.drop_table("consent_view")
    op.drop_index("ix_message_workspace_id_campaign_id", table_name="message")
    op.drop_index("ix_message_queue", table_name="message")
    op.drop_index("ix_message_status_next_attempt_at", table_name="message")
    op.drop_table("message")
    drop_kit_tables()
