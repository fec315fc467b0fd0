"""The relay's wake-up: a commit that wrote outbox rows notifies channel herald_outbox.

Revision ID: ca03
Revises: ca02
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from herald_kit.tables import create_outbox_notify, drop_outbox_notify

revision: str = "ca03"
down_revision: str | None = "ca02"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_outbox_notify()


def downgrade() -> None:
    drop_outbox_notify()
