"""Consent ledger, current consent states, idempotent requests, plus the kit's outbox and inbox.

Revision ID: c1a1
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from herald_kit.tables import create_kit_tables, drop_kit_tables

revision: str = "c1a1"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_FUNCTION = """
CREATE FUNCTION consent_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'consent_entry is an append-only ledger: % refused', TG_OP;
END;
$$
"""
APPEND_ONLY_TRIGGER = """
CREATE TRIGGER consent_entry_append_only
BEFORE UPDATE OR DELETE ON consent_entry
FOR EACH ROW EXECUTE FUNCTION consent_entry_append_only()
"""


def upgrade() -> None:
    create_kit_tables()
    op.create_table(
        "consent_entry",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("phone", sa.Text, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("brand", sa.Text, nullable=False, server_default="default"),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("evidence", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_consent_entry"),
        sa.CheckConstraint(
            "purpose IN ('marketing', 'transactional')", name="ck_consent_entry_purpose"
        ),
        sa.CheckConstraint("action IN ('opt_in', 'opt_out')", name="ck_consent_entry_action"),
    )
    op.create_index(
        "ix_consent_entry_workspace_id_phone",
        "consent_entry",
        ["workspace_id", "phone", "created_at"],
    )
    op.execute(APPEND_ONLY_FUNCTION)
    op.execute(APPEND_ONLY_TRIGGER)
    op.create_table(
        "consent_state",
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("phone", sa.Text, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("brand", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("ledger_entry_id", UUID(as_uuid=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "workspace_id", "phone", "purpose", "brand", name="pk_consent_state"
        ),
        sa.ForeignKeyConstraint(
            ["ledger_entry_id"],
            ["consent_entry.id"],
            name="fk_consent_state_ledger_entry_id_consent_entry",
        ),
        sa.CheckConstraint(
            "status IN ('opted_in', 'opted_out')", name="ck_consent_state_status"
        ),
    )
    op.create_table(
        "idempotent_request",
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("response", JSONB, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "key", name="pk_idempotent_request"),
    )


def downgrade() -> None:
    op.drop_table("idempotent_request")
    op.drop_table("consent_state")
    op.execute("DROP TRIGGER consent_entry_append_only ON consent_entry")
    op.execute("DROP FUNCTION consent_entry_append_only()")
    op.drop_index("ix_consent_entry_workspace_id_phone", table_name="consent_entry")
    op.drop_table("consent_entry")
    drop_kit_tables()
