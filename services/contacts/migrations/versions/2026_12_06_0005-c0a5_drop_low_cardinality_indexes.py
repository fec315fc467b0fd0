"""Drop the (workspace_id, country) and (workspace_id, lifecycle) indexes.

A workspace's contacts share a handful of countries and three lifecycles, so a filter on
either matches a large part of them and PostgreSQL reads the table rather than these
indexes; every write paid for them all the same. bench/segment_count.py on 1M contacts
(10 runs per filter, shared_buffers 1GB), p95 with / without them: 140.7 / 122.6 ms,
258.0 / 181.8, 201.4 / 136.5, 92.0 / 85.8, 161.5 / 152.6 ms: no filter got slower.

Revision ID: c0a5
Revises: c0a4
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c0a5"
down_revision: str | None = "c0a4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DROPPED = ("country", "lifecycle")


def upgrade() -> None:
    for column in _DROPPED:
        op.drop_index(f"ix_contact_workspace_id_{column}", table_name="contact")


def downgrade() -> None:
    for column in _DROPPED:
        op.create_index(f"ix_contact_workspace_id_{column}", "contact", ["workspace_id", column])
