"""Provable ledger: channel, who recorded each entry, and the per-workspace hash chain.

New columns of `consent_entry`: `channel` (always 'sms': SMS consent is separate from any
email consent), `recorded_by` (the API key, or the service that sent the event), and the
chain (`seq`, `identifying_digest`, `previous_hash`, `hash`; herald_consent.domain.chain);
`consent_chain_head` holds each workspace's last seq and hash, and is the row appends lock.

Entries written before this revision are chained here, per workspace in (created_at, id)
order, with `recorded_by` 'unrecorded'; that needs the erasure key (the hash covers the
number's keyed pseudonym), so HERALD_CONSENT_ERASURE__KEY must be set when the ledger is not
empty. The erasure trigger keeps every new column unchanged while pseudonymising, so an
erased entry still verifies.

Revision ID: c1a3
Revises: c1a2
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

from herald_consent.domain import chain

revision: str = "c1a3"
down_revision: str | None = "c1a2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNRECORDED = "unrecorded"

APPEND_ONLY_EXCEPT_PSEUDONYMISATION = """
CREATE OR REPLACE FUNCTION consent_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND current_setting('herald.consent_pseudonymising', true) = 'on'
       AND OLD.phone NOT LIKE 'hmac-sha256:%'
       AND NEW.phone LIKE 'hmac-sha256:%'
       AND NEW.evidence <@ OLD.evidence
       AND (NEW.id, NEW.workspace_id, NEW.purpose, NEW.brand, NEW.action, NEW.source,
            NEW.created_at, NEW.channel, NEW.recorded_by, NEW.seq, NEW.identifying_digest,
            NEW.previous_hash, NEW.hash)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.workspace_id, OLD.purpose, OLD.brand, OLD.action, OLD.source,
            OLD.created_at, OLD.channel, OLD.recorded_by, OLD.seq, OLD.identifying_digest,
            OLD.previous_hash, OLD.hash)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'consent_entry is an append-only ledger: % refused', TG_OP;
END;
$$
"""

# As revision c1a2 left it.
C1A2_APPEND_ONLY_EXCEPT_PSEUDONYMISATION = """
CREATE OR REPLACE FUNCTION consent_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND current_setting('herald.consent_pseudonymising', true) = 'on'
       AND OLD.phone NOT LIKE 'hmac-sha256:%'
       AND NEW.phone LIKE 'hmac-sha256:%'
       AND NEW.evidence <@ OLD.evidence
       AND (NEW.id, NEW.workspace_id, NEW.purpose, NEW.brand, NEW.action, NEW.source,
            NEW.created_at)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.workspace_id, OLD.purpose, OLD.brand, OLD.action, OLD.source,
            OLD.created_at)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'consent_entry is an append-only ledger: % refused', TG_OP;
END;
$$
"""

NEW_COLUMNS = ("recorded_by", "seq", "previous_hash", "hash")


def upgrade() -> None:
    op.add_column(
        "consent_entry", sa.Column("channel", sa.Text, nullable=False, server_default="sms")
    )
    for name in NEW_COLUMNS:
        column_type = sa.BigInteger() if name == "seq" else sa.Text()
        op.add_column("consent_entry", sa.Column(name, column_type, nullable=True))
    op.add_column("consent_entry", sa.Column("identifying_digest", sa.Text, nullable=True))
    op.create_table(
        "consent_chain_head",
        sa.Column("workspace_id", sa.Text, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("workspace_id", name="pk_consent_chain_head"),
    )
    _chain_existing_entries()
    for name in NEW_COLUMNS:
        op.alter_column("consent_entry", name, nullable=False)
    op.create_check_constraint("ck_consent_entry_channel", "consent_entry", "channel = 'sms'")
    op.create_check_constraint("ck_consent_entry_seq", "consent_entry", "seq >= 1")
    op.create_unique_constraint(
        "uq_consent_entry_workspace_id_seq", "consent_entry", ["workspace_id", "seq"]
    )
    op.execute(APPEND_ONLY_EXCEPT_PSEUDONYMISATION)


def downgrade() -> None:
    op.execute(C1A2_APPEND_ONLY_EXCEPT_PSEUDONYMISATION)
    op.drop_constraint("uq_consent_entry_workspace_id_seq", "consent_entry", type_="unique")
    op.drop_constraint("ck_consent_entry_seq", "consent_entry", type_="check")
    op.drop_constraint("ck_consent_entry_channel", "consent_entry", type_="check")
    op.drop_table("consent_chain_head")
    for name in ("identifying_digest", *NEW_COLUMNS, "channel"):
        op.drop_column("consent_entry", name)


def _chain_existing_entries() -> None:
    """Chain the entries written before this revision (the trigger is off meanwhile, inside
    this migration's transaction)."""
    bind = op.get_bind()
    entries = sa.table(
        "consent_entry",
        sa.column("id"),
        sa.column("workspace_id"),
        sa.column("phone"),
        sa.column("purpose"),
        sa.column("brand"),
        sa.column("action"),
        sa.column("source"),
        sa.column("evidence", JSONB),
        sa.column("created_at"),
        sa.column("channel"),
        sa.column("recorded_by"),
        sa.column("seq"),
        sa.column("identifying_digest"),
        sa.column("previous_hash"),
        sa.column("hash"),
    )
    heads = sa.table(
        "consent_chain_head",
        sa.column("workspace_id"),
        sa.column("seq"),
        sa.column("hash"),
        sa.column("updated_at"),
    )
    rows = bind.execute(
        sa.select(entries).order_by(entries.c.workspace_id, entries.c.created_at, entries.c.id)
    ).all()
    if not rows:
        return
    from herald_consent.settings import get_erasure_settings

    key = get_erasure_settings().erasure.key.get_secret_value().encode()
    op.execute("ALTER TABLE consent_entry DISABLE TRIGGER consent_entry_append_only")
    last: dict[str, chain.Head] = {}
    for row in rows:
        head = last.get(row.workspace_id, chain.Head(0, chain.GENESIS))
        kept, identifying = chain.split_evidence(row.evidence)
        link = chain.Link(
            id=row.id,
            workspace_id=row.workspace_id,
            seq=head.seq + 1,
            subject=chain.subject_of(key, row.workspace_id, row.phone),
            channel=row.channel,
            purpose=row.purpose,
            brand=row.brand,
            action=row.action,
            source=row.source,
            recorded_by=UNRECORDED,
            created_at=row.created_at,
            evidence=kept,
            identifying_digest=chain.identifying_digest(
                key, row.workspace_id, row.id, identifying
            ),
            previous_hash=head.hash,
        )
        digest = chain.entry_hash(link)
        bind.execute(
            entries.update()
            .where(entries.c.id == row.id)
            .values(
                recorded_by=UNRECORDED,
                seq=link.seq,
                identifying_digest=link.identifying_digest,
                previous_hash=link.previous_hash,
                hash=digest,
            )
        )
        last[row.workspace_id] = chain.Head(link.seq, digest)
    op.execute("ALTER TABLE consent_entry ENABLE TRIGGER consent_entry_append_only")
    now = sa.func.now()
    for workspace_id, head in last.items():
        bind.execute(
            heads.insert().values(
                workspace_id=workspace_id, seq=head.seq, hash=head.hash, updated_at=now
            )
        )
