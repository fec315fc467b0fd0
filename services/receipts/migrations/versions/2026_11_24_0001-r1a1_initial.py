"""Submissions, deliveries, parked receipts, inbound messages, plus the kit's outbox and inbox.

Revision ID: r1a1
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

from herald_kit.tables import create_kit_tables, drop_kit_tables

revision: str = "r1a1"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_kit_tables()
    op.create_table(
        "submission",
        sa.Column("route", sa.Text, nullable=False),
        sa.Column("provider_id_normalised", sa.Text, nullable=False),
        sa.Column("provider_id_alternate", sa.Text, nullable=True),
        sa.Column("provider_id", sa.Text, nullable=False),
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("message_id", UUID(as_uuid=True), nullable=False),
        sa.Column("campaign_id", UUID(as_uuid=True), nullable=True),
        sa.Column("part_index", sa.Integer, nullable=False),
        sa.Column("parts_total", sa.Integer, nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.Text, nullable=False, server_default="unknown"),
        sa.Column("final", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("error_code", sa.Text, nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("route", "provider_id_normalised", name="pk_submission"),
    )
    op.create_index(
        "ix_submission_route_alternate", "submission", ["route", "provider_id_alternate"]
    )
    op.create_index(
        "ix_submission_workspace_id_message_id", "submission", ["workspace_id", "message_id"]
    )
    op.create_table(
        "delivery",
        sa.Column("message_id", UUID(as_uuid=True), nullable=False),
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("campaign_id", UUID(as_uuid=True), nullable=True),
        sa.Column("status", sa.Text, nullable=False, server_default="unknown"),
        sa.Column("final", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("parts_total", sa.Integer, nullable=False),
        sa.Column("parts_delivered", sa.Integer, nullable=False, server_default="0"),
        sa.Column("parts_reported", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error_code", sa.Text, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("message_id", name="pk_delivery"),
    )
    op.create_table(
        "parked_receipt",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("route", sa.Text, nullable=False),
        sa.Column("provider_id_normalised", sa.Text, nullable=False),
        sa.Column("provider_id_alternate", sa.Text, nullable=True),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_parked_receipt"),
    )
    op.create_index(
        "ix_parked_receipt_route_primary", "parked_receipt", ["route", "provider_id_normalised"]
    )
    op.create_index(
        "ix_parked_receipt_route_alternate", "parked_receipt", ["route", "provider_id_alternate"]
    )
    op.create_table(
        "inbound_message",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("phone", sa.Text, nullable=False),
        sa.Column("destination", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("keyword_kind", sa.Text, nullable=False),
        sa.Column("keyword", sa.Text, nullable=True),
        sa.Column("route", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_inbound_message"),
    )
    op.create_index(
        "ix_inbound_message_workspace_id_received_at",
        "inbound_message",
        ["workspace_id", "received_at", "id"],
    )
    op.create_index(
        "ix_inbound_message_workspace_id_phone",
        "inbound_message",
        ["workspace_id", "phone", "received_at", "id"],
    )


def downgrade() -> None:
    op.drop_table("inbound_message")
    op.drop_table("parked_receipt")
    op.drop_table("delivery")
    op.drop_table("submission")
    drop_kit_tables()
