"""CSV imports: the job, its uploaded file in chunks, and the report of refused rows.

Staging tables are not here: each run of a job creates its own UNLOGGED table inside the
transaction that finally merges it, so a crash or a cancel never leaves one behind.

Revision ID: c0a3
Revises: c0a2
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision: str = "c0a3"
down_revision: str | None = "c0a2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    timestamp = sa.DateTime(timezone=True)
    counter = {"nullable": False, "server_default": "0"}
    op.create_table(
        "import_job",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("mode", sa.Text, nullable=False),
        sa.Column("default_region", sa.Text, nullable=False),
        sa.Column("mobile_only", sa.Boolean, nullable=False),
        sa.Column("mapping", JSONB, nullable=False),
        sa.Column("country_column", sa.Text, nullable=True),
        sa.Column("consent_columns", JSONB, nullable=False),
        sa.Column("columns", JSONB, nullable=False),
        sa.Column("file_sha256", sa.Text, nullable=False),
        sa.Column("file_bytes", sa.BigInteger, nullable=False),
        sa.Column("encoding", sa.Text, nullable=False),
        sa.Column("delimiter", sa.Text, nullable=False),
        sa.Column("skip_lines", sa.Integer, nullable=False),
        sa.Column("rows_read", sa.BigInteger, **counter),
        sa.Column("imported", sa.BigInteger, **counter),
        sa.Column("updated", sa.BigInteger, **counter),
        sa.Column("unchanged", sa.BigInteger, **counter),
        sa.Column("rejected", sa.BigInteger, **counter),
        sa.Column("bytes_read", sa.BigInteger, **counter),
        sa.Column("attempt", sa.Integer, **counter),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("created_at", timestamp, nullable=False),
        sa.Column("updated_at", timestamp, nullable=False),
        sa.Column("finished_at", timestamp, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_import_job"),
        sa.CheckConstraint(
            "status IN ('pending', 'running', 'applying', 'done', 'failed', 'cancelled')",
            name="ck_import_job_status",
        ),
        sa.CheckConstraint(
            "mode IN ('create_only', 'update', 'replace_attributes')", name="ck_import_job_mode"
        ),
    )
    op.create_index("ix_import_job_status_updated_at", "import_job", ["status", "updated_at"])
    op.create_index(
        "ix_import_job_workspace_id_created_at", "import_job", ["workspace_id", "created_at"]
    )
    op.create_table(
        "import_upload",
        sa.Column("import_id", UUID(as_uuid=True), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("import_id", "seq", name="pk_import_upload"),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["import_job.id"],
            name="fk_import_upload_import_id_import_job",
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "import_rejection",
        sa.Column("import_id", UUID(as_uuid=True), nullable=False),
        sa.Column("line", sa.Integer, nullable=False),
        sa.Column("column_name", sa.Text, nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("import_id", "line", name="pk_import_rejection"),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["import_job.id"],
            name="fk_import_rejection_import_id_import_job",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("import_rejection")
    op.drop_table("import_upload")
    op.drop_index("ix_import_job_workspace_id_created_at", table_name="import_job")
    op.drop_index("ix_import_job_status_updated_at", table_name="import_job")
    op.drop_table("import_job")
