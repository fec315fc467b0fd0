"""The outbox and inbox tables that every service's database holds.

They live in a MetaData of the kit's own, used only to build statements: each service's
database has identical `outbox` and `inbox` tables, created by the service's first
migration with `create_kit_tables()`. Services keep their own MetaData for their tables.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID


def _outbox_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=True),
        sa.Column("value", JSONB, nullable=True),  # null is a Kafka tombstone
        sa.Column("headers", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    ]


def _inbox_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("consumer_group", sa.Text, primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column(
            "processed_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
    ]


PENDING_INDEX = "ix_outbox_pending"


KIT_METADATA = sa.MetaData()
OUTBOX = sa.Table("outbox", KIT_METADATA, *_outbox_columns())
sa.Index(PENDING_INDEX, OUTBOX.c.id, postgresql_where=OUTBOX.c.published_at.is_(None))
INBOX = sa.Table("inbox", KIT_METADATA, *_inbox_columns())


def create_kit_tables() -> None:
    """Called from a service's first Alembic migration."""
    op.create_table("outbox", *_outbox_columns())
    op.create_index(
        PENDING_INDEX, "outbox", ["id"], postgresql_where=sa.text("published_at IS NULL")
    )
    op.create_table("inbox", *_inbox_columns())


def drop_kit_tables() -> None:
    op.drop_table("inbox")
    op.drop_index(PENDING_INDEX, table_name="outbox")
    op.drop_table("outbox")
