"""Erasure: erased contacts, erased numbers' opt-outs under a keyed pseudonym, and an index
to find a number's messages.

Revision ID: d0a2
Revises: d0a1
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "d0a2"
down_revision: str | None = "d0a1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_message_workspace_id_phone", "message", ["workspace_id", "phone"])
    op.create_table(
        "erased_contact",
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("contact_id", UUID(as_uuid=True), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "contact_id", name="pk_erased_contact"),
    )
    op.create_table(
        "erased_optout",
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("phone_pseudonym", sa.Text, nullable=False),
        sa.Column("purpose", sa.Text, nullable=False),
        sa.Column("brand", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "workspace_id", "phone_pseudonym", "purpose", "brand", name="pk_erased_optout"
        ),
    )


def downgrade() -> None:
    op.drop_table("erased_optout")
    op.drop_table("erased_contact")
    op.drop_index("ix_message_workspace_id_phone", table_name="message")
