"""The recipient of each delivery (phone, contact id), so that `sms.delivered` names it;
indexes to find a number's or a contact's deliveries when it is erased, and the erased
contacts, whose late submissions are stored without a recipient.

Existing deliveries keep no recipient (their events carry none).

Revision ID: r1a2
Revises: r1a1
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision: str = "r1a2"
down_revision: str | None = "r1a1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("delivery", sa.Column("phone", sa.Text, nullable=True))
    op.add_column("delivery", sa.Column("contact_id", UUID(as_uuid=True), nullable=True))
    op.create_index("ix_delivery_workspace_id_phone", "delivery", ["workspace_id", "phone"])
    op.create_index(
        "ix_delivery_workspace_id_contact_id", "delivery", ["workspace_id", "contact_id"]
    )
    op.create_table(
        "erased_contact",
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("contact_id", UUID(as_uuid=True), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "contact_id", name="pk_erased_contact"),
    )


def downgrade() -> None:
    op.drop_table("erased_contact")
    op.drop_index("ix_delivery_workspace_id_contact_id", "delivery")
    op.drop_index("ix_delivery_workspace_id_phone", "delivery")
    op.drop_column("delivery", "contact_id")
    op.drop_column("delivery", "phone")
