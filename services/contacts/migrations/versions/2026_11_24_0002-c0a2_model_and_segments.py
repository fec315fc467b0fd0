"""Contact model (lifecycle, lists, time zone source, engagement, reachability), declared
attribute types, saved segments, and the indexes segment filters need.

Indexes, each for a kind of filter measured by bench/segment_count.py on 1M contacts:
- btree (workspace_id, country | lifecycle | created_at | last_order_at | last_click_at):
  equality on country / lifecycle, date ranges and recency ("clicked in the last 30 days");
- GIN on tags and on lists: has / has_any / has_all (`@>`, `&&`);
- GIN jsonb_path_ops on attributes: string and boolean attribute equality (`@>`).

Existing contacts: lifecycle prospect, no lists, reachable; a time zone already set is taken
as coming from the phone prefix (the only way the service set one). Attribute types are
declared for the attributes contacts already hold: number or boolean when every value is one,
string otherwise.

Revision ID: c0a2
Revises: c0a1
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID

revision: str = "c0a2"
down_revision: str | None = "c0a1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BTREE_INDEXES = ("country", "lifecycle", "created_at", "last_order_at", "last_click_at")


def upgrade() -> None:
    timestamp = sa.DateTime(timezone=True)
    op.add_column(
        "contact", sa.Column("lifecycle", sa.Text, nullable=False, server_default="prospect")
    )
    op.add_column(
        "contact", sa.Column("lists", ARRAY(sa.Text), nullable=False, server_default="{}")
    )
    op.add_column(
        "contact", sa.Column("timezone_source", sa.Text, nullable=False, server_default="unknown")
    )
    op.add_column(
        "contact",
        sa.Column("timezone_ambiguous", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.add_column("contact", sa.Column("last_click_at", timestamp, nullable=True))
    op.add_column("contact", sa.Column("last_reply_at", timestamp, nullable=True))
    op.add_column(
        "contact", sa.Column("reachable", sa.Boolean, nullable=False, server_default=sa.true())
    )
    op.add_column("contact", sa.Column("unreachable_reason", sa.Text, nullable=True))
    op.add_column("contact", sa.Column("unreachable_at", timestamp, nullable=True))
    op.execute("UPDATE contact SET timezone_source = 'phone_prefix' WHERE timezone IS NOT NULL")
    op.create_check_constraint(
        "ck_contact_lifecycle", "contact", "lifecycle IN ('prospect', 'customer', 'member')"
    )
    op.create_check_constraint(
        "ck_contact_timezone_source",
        "contact",
        "timezone_source IN ('explicit', 'phone_prefix', 'unknown')",
    )

    for column in _BTREE_INDEXES:
        op.create_index(f"ix_contact_workspace_id_{column}", "contact", ["workspace_id", column])
    op.create_index("ix_contact_tags", "contact", ["tags"], postgresql_using="gin")
    op.create_index("ix_contact_lists", "contact", ["lists"], postgresql_using="gin")
    op.create_index(
        "ix_contact_attributes",
        "contact",
        ["attributes"],
        postgresql_using="gin",
        postgresql_ops={"attributes": "jsonb_path_ops"},
    )

    op.create_table(
        "attribute_definition",
        sa.Column("workspace_id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("created_at", timestamp, nullable=False),
        sa.Column("updated_at", timestamp, nullable=False),
        sa.CheckConstraint(
            "type IN ('string', 'number', 'boolean', 'date')", name="ck_attribute_definition_type"
        ),
        sa.PrimaryKeyConstraint("workspace_id", "name", name="pk_attribute_definition"),
    )
    op.execute(
        """
        INSERT INTO attribute_definition (workspace_id, name, type, created_at, updated_at)
        SELECT workspace_id, key,
               CASE WHEN bool_and(jsonb_typeof(value) = 'number') THEN 'number'
                    WHEN bool_and(jsonb_typeof(value) = 'boolean') THEN 'boolean'
                    ELSE 'string' END,
               now(), now()
        FROM contact, jsonb_each(attributes)
        GROUP BY workspace_id, key
        """
    )

    op.create_table(
        "segment",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("filter", JSONB, nullable=False),
        sa.Column("created_at", timestamp, nullable=False),
        sa.Column("updated_at", timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_segment"),
        sa.UniqueConstraint("workspace_id", "name", name="uq_segment_workspace_id"),
    )


def downgrade() -> None:
    op.drop_table("segment")
    op.drop_table("attribute_definition")
    for name in ("ix_contact_attributes", "ix_contact_lists", "ix_contact_tags"):
        op.drop_index(name, table_name="contact")
    for column in _BTREE_INDEXES:
        op.drop_index(f"ix_contact_workspace_id_{column}", table_name="contact")
    op.drop_constraint("ck_contact_timezone_source", "contact", type_="check")
    op.drop_constraint("ck_contact_lifecycle", "contact", type_="check")
    for column in (
        "unreachable_at",
        "unreachable_reason",
        "reachable",
        "last_reply_at",
        "last_click_at",
        "timezone_ambiguous",
        "timezone_source",
        "lists",
        "lifecycle",
    ):
        op.drop_column("contact", column)
