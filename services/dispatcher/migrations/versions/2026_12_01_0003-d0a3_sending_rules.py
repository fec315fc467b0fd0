"""Sending rules: held messages, the rule that decided, when a message went (for the caps),
and each workspace's own rule packs and caps.

Revision ID: d0a3
Revises: d0a2
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "d0a3"
down_revision: str | None = "d0a2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = "'queued', 'submitting', 'submitted', 'suppressed', 'failed', 'in_doubt'"
NEW_STATUSES = "'queued', 'held', 'submitting', 'submitted', 'suppressed', 'failed', 'in_doubt'"


def upgrade() -> None:
    op.add_column("message", sa.Column("reply_kind", sa.Text, nullable=True))
    op.add_column(
        "message",
        sa.Column("cap_policy", sa.Text, nullable=False, server_default="postpone"),
    )
    op.add_column("message", sa.Column("held_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("message", sa.Column("hold_reason", sa.Text, nullable=True))
    op.add_column("message", sa.Column("rule", sa.Text, nullable=True))
    op.add_column("message", sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
    op.drop_constraint("ck_message_status", "message", type_="check")
    op.create_check_constraint("ck_message_status", "message", f"status IN ({NEW_STATUSES})")
    op.create_index(
        "ix_message_held",
        "message",
        ["held_until"],
        postgresql_where=sa.text("status = 'held'"),
    )
    op.create_index(
        "ix_message_sent",
        "message",
        ["workspace_id", "phone", "sent_at"],
        postgresql_where=sa.text("sent_at IS NOT NULL"),
    )
    op.create_table(
        "sending_rules",
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("packs", JSONB, nullable=False),
        sa.Column("caps", JSONB, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", name="pk_sending_rules"),
    )


def downgrade() -> None:
    op.drop_table("sending_rules")
    op.drop_index("ix_message_sent", table_name="message")
    op.drop_index("ix_message_held", table_name="message")
    # Held messages go back to the queue: the older code decides them again.
    op.execute("UPDATE message SET status = 'queued' WHERE status = 'held'")
    op.drop_constraint("ck_message_status", "message", type_="check")
    op.create_check_constraint("ck_message_status", "message", f"status IN ({OLD_STATUSES})")
    for column in ("sent_at", "rule", "hold_reason", "held_until", "cap_policy", "reply_kind"):
        op.drop_column("message", column)
