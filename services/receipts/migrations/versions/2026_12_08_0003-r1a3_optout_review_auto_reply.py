"""Opt-out reviews (messages a person decides on) and the last automatic reply per number
and kind (at most one opt-out confirmation within a window).

Revision ID: r1a3
Revises: r1a2
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "r1a3"
down_revision: str | None = "r1a2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "optout_review",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("phone", sa.Text, nullable=False),
        sa.Column("matched", sa.Text, nullable=False),
        sa.Column("language", sa.Text, nullable=True),
        sa.Column("rule", sa.Text, nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("brand", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_optout_review")),
        sa.ForeignKeyConstraint(
            ["id"],
            ["inbound_message.id"],
            name=op.f("fk_optout_review_id_inbound_message"),
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "status IN ('open', 'opted_out', 'dismissed')", name=op.f("ck_optout_review_status")
        ),
    )
    op.create_index(
        "ix_optout_review_workspace_id_status",
        "optout_review",
        ["workspace_id", "status", "received_at", "id"],
    )
    op.create_table(
        "auto_reply",
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("phone", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", UUID(as_uuid=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "phone", "kind", name=op.f("pk_auto_reply")),
    )


def downgrade() -> None:
    op.drop_table("auto_reply")
    op.drop_table("optout_review")
