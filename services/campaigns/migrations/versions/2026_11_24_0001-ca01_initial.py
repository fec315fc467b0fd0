"""Campaigns, expansion jobs and the consent projection, plus the kit's outbox and inbox.

Revision ID: ca01
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from herald_kit.tables import create_kit_tables, drop_kit_tables

revision: str = "ca01"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_kit_tables()
    op.create_table(
        "campaign",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("template", sa.Text, nullable=False),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("brand", sa.Text, nullable=False, server_default="default"),
        sa.Column("sender", sa.Text, nullable=False),
        sa.Column("audience", JSONB, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("expires_in_hours", sa.Integer, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("launched_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("audience_size", sa.Integer, nullable=True),
        sa.Column("expanded_count", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign")),
        sa.CheckConstraint(
            "category IN ('marketing', 'transactional')", name=op.f("ck_campaign_category")
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'launching', 'running', 'completed', 'cancelled')",
            name=op.f("ck_campaign_status"),
        ),
        sa.CheckConstraint(
            "expires_in_hours BETWEEN 1 AND 72", name=op.f("ck_campaign_expires_in_hours")
        ),
    )
    op.create_index(
        "ix_campaign_workspace_id_created_at_id",
        "campaign",
        ["workspace_id", "created_at", "id"],
    )
    op.create_table(
        "expansion_job",
        sa.Column("campaign_id", UUID(as_uuid=True), nullable=False),
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("cursor", UUID(as_uuid=True), nullable=True),
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("campaign_id", name=op.f("pk_expansion_job")),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaign.id"],
            name=op.f("fk_expansion_job_campaign_id_campaign"),
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'running', 'done', 'failed')",
            name=op.f("ck_expansion_job_state"),
        ),
    )
    op.create_index(
        "ix_expansion_job_state_updated_at", "expansion_job", ["state", "updated_at"]
    )
    op.create_table(
        "consent_projection",
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("phone", sa.Text, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("brand", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "workspace_id", "phone", "purpose", "brand", name=op.f("pk_consent_projection")
        ),
        sa.CheckConstraint(
            "purpose IN ('marketing', 'transactional')",
            name=op.f("ck_consent_projection_purpose"),
        ),
        sa.CheckConstraint(
            "status IN ('opted_in', 'opted_out')", name=op.f("ck_consent_projection_status")
        ),
    )


def downgrade() -> None:
    op.drop_table("consent_projection")
    op.drop_index("ix_expansion_job_state_updated_at", table_name="expansion_job")
    op.drop_table("expansion_job")
    op.drop_index("ix_campaign_workspace_id_created_at_id", table_name="campaign")
    op.drop_table("campaign")
    drop_kit_tables()
