"""Deferred contact.updated events of imports: one row per merged batch.

Revision ID: c0a4
Revises: c0a3
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

revision: str = "c0a4"
down_revision: str | None = "c0a3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contact_publication",
        sa.Column("id", sa.BigInteger, sa.Identity(), nullable=False),
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("correlation_id", UUID(as_uuid=True), nullable=False),
        sa.Column("first_event", sa.BigInteger, nullable=False),
        sa.Column("contact_ids", ARRAY(UUID(as_uuid=True)), nullable=False),
        sa.Column("headers", JSONB, nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name="pk_contact_publication"),
    )


def downgrade() -> None:
    op.drop_table("contact_publication")
