"""Composition settings of a campaign: its messages' priority and frequency-cap policy, and
whether its texts are folded to GSM-7. Existing campaigns keep today's behaviour (normal,
postpone, no folding).

Revision ID: ca02
Revises: ca01
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ca02"
down_revision: str | None = "ca01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "campaign", sa.Column("priority", sa.Text, nullable=False, server_default="normal")
    )
    op.add_column(
        "campaign", sa.Column("cap_policy", sa.Text, nullable=False, server_default="postpone")
    )
    op.add_column(
        "campaign",
        sa.Column("fold_accents", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.create_check_constraint(
        "ck_campaign_priority", "campaign", "priority IN ('high', 'normal', 'low')"
    )
    op.create_check_constraint(
        "ck_campaign_cap_policy", "campaign", "cap_policy IN ('postpone', 'skip')"
    )


def downgrade() -> None:
    op.drop_constraint("ck_campaign_cap_policy", "campaign", type_="check")
    op.drop_constraint("ck_campaign_priority", "campaign", type_="check")
    for column in ("fold_accents", "cap_policy", "priority"):
        op.drop_column("campaign", column)
