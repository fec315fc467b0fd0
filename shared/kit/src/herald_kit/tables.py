"""The outbox and inbox tables that every service's database holds, and the opt-in
`idempotent_request` table of the services that take an Idempotency-Key.

They live in MetaData of the kit's own, used only to build statements: each service's
database has identical `outbox` and `inbox` tables, created by the service's first
migration with `create_kit_tables()`. Services keep their own MetaData for their tables.

`idempotent_request` is not in KIT_METADATA, which means "in every database" (the migration
checks leave those tables out and expect them everywhere): a service that uses it creates it
in a migration (`create_idempotency_table()`) and adds it to its own MetaData
(`add_idempotency_table(metadata)`), so its migration check covers it like its own tables.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.schema import SchemaItem


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


def _idempotent_request_elements() -> list[SchemaItem]:
    return [
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        # sha256 of the request line and body: the same key with another request is refused.
        sa.Column("fingerprint", sa.Text, nullable=False),
        sa.Column("response", JSONB, nullable=True),  # null until the first answer is stored
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", "key", name="pk_idempotent_request"),
    ]


PENDING_INDEX = "ix_outbox_pending"


KIT_METADATA = sa.MetaData()
OUTBOX = sa.Table("outbox", KIT_METADATA, *_outbox_columns())
sa.Index(PENDING_INDEX, OUTBOX.c.id, postgresql_where=OUTBOX.c.published_at.is_(None))
INBOX = sa.Table("inbox", KIT_METADATA, *_inbox_columns())


IDEMPOTENCY_METADATA = sa.MetaData()
IDEMPOTENT_REQUEST = sa.Table(
    "idempotent_request", IDEMPOTENCY_METADATA, *_idempotent_request_elements()
)


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


# A commit that wrote outbox rows wakes the relays (LISTEN herald_outbox): they sleep instead
# of polling. One notification per statement, and PostgreSQL folds a transaction's identical
# notifications into one, delivered at commit.
OUTBOX_CHANNEL = "herald_outbox"
OUTBOX_NOTIFY_SQL = (
    "CREATE OR REPLACE FUNCTION herald_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS "
    f"$$ BEGIN PERFORM pg_notify('{OUTBOX_CHANNEL}', ''); RETURN NULL; END $$",
    "CREATE TRIGGER outbox_notify AFTER INSERT ON outbox "
    "FOR EACH STATEMENT EXECUTE FUNCTION herald_outbox_notify()",
)
OUTBOX_NOTIFY_DROP_SQL = (
    "DROP TRIGGER IF EXISTS outbox_notify ON outbox",
    "DROP FUNCTION IF EXISTS herald_outbox_notify()",
)


def create_outbox_notify() -> None:
    """Called from each service's migration that adds the relays' wake-up."""
    for statement in OUTBOX_NOTIFY_SQL:
        op.execute(statement)


def drop_outbox_notify() -> None:
    for statement in OUTBOX_NOTIFY_DROP_SQL:
        op.execute(statement)


def create_idempotency_table() -> None:
    """Called from the Alembic migration of a service that starts taking Idempotency-Key."""
    op.create_table("idempotent_request", *_idempotent_request_elements())


def drop_idempotency_table() -> None:
    op.drop_table("idempotent_request")


def add_idempotency_table(metadata: sa.MetaData) -> sa.Table:
    """The table in a service's MetaData, so that its migration check compares it."""
    return IDEMPOTENT_REQUEST.to_metadata(metadata)
