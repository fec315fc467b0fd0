"""Double opt-in requests: pending until a reply OUI / YES or the link confirms them.

Revision ID: c1a4
Revises: c1a3
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "c1a4"
down_revision: str | None = "c1a3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "double_opt_in_request",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("phone", sa.Text, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("brand", sa.Text, nullable=False),
        sa.Column("language", sa.Text, nullable=False),
        sa.Column("evidence", JSONB, nullable=False),
        sa.Column("requested_by", sa.Text, nullable=False),
        sa.Column("token_hash", sa.Text, nullable=False),
        sa.Column("message_id", UUID(as_uuid=True), nullable=False),
        sa.Column("sender", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmation", JSONB, nullable=True),
        sa.Column("ledger_entry_id", UUID(as_uuid=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_double_opt_in_request"),
        sa.UniqueConstraint("token_hash", name="uq_double_opt_in_request_token_hash"),
        sa.ForeignKeyConstraint(
            ["ledger_entry_id"],
            ["consent_entry.id"],
            name="fk_double_opt_in_request_ledger_entry_id_consent_entry",
        ),
        sa.CheckConstraint(
            "purpose IN ('marketing', 'transactional')", name="ck_double_opt_in_request_purpose"
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'confirmed', 'superseded')",
            name="ck_double_opt_in_request_status",
        ),
    )
    op.create_index(
        "ix_double_opt_in_request_workspace_id_phone",
        "double_opt_in_request",
        ["workspace_id", "phone", "created_at"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_double_opt_in_request_workspace_id_phone", table_name="double_opt_in_request"
    )
    op.drop_table("double_opt_in_request")
