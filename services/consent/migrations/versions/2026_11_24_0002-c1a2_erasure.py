"""Erasure: the one sanctioned change to the append-only ledger (GDPR Art. 17).

The trigger still refuses every DELETE and every UPDATE, but one: within
`consent_entry_pseudonymise(...)`, which sets the transaction-local flag
`herald.consent_pseudonymising`, an UPDATE may replace the number by a pseudonym
(`hmac-sha256:...`) and remove evidence fields; id, workspace, purpose, brand, action, source
and date cannot change, and nothing can be added. The function is SECURITY DEFINER, so a
deployment may run the service under a role that has no UPDATE right on the ledger at all.

Revision ID: c1a2
Revises: c1a1
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c1a2"
down_revision: str | None = "c1a1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_EXCEPT_PSEUDONYMISATION = """
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

PSEUDONYMISE_FUNCTION = """
CREATE FUNCTION consent_entry_pseudonymise(
    p_workspace_id text, p_phone text, p_pseudonym text, p_drop_evidence text[]
) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    changed integer;
BEGIN
    IF p_pseudonym NOT LIKE 'hmac-sha256:%' THEN
        RAISE EXCEPTION 'consent_entry_pseudonymise: % is not a pseudonym', p_pseudonym;
    END IF;
    PERFORM set_config('herald.consent_pseudonymising', 'on', true);
    UPDATE consent_entry
       SET phone = p_pseudonym, evidence = evidence - p_drop_evidence
     WHERE workspace_id = p_workspace_id AND phone = p_phone;
    GET DIAGNOSTICS changed = ROW_COUNT;
    PERFORM set_config('herald.consent_pseudonymising', 'off', true);
    RETURN changed;
END;
$$
"""

APPEND_ONLY = """
CREATE OR REPLACE FUNCTION consent_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'consent_entry is an append-only ledger: % refused', TG_OP;
END;
$$
"""


def upgrade() -> None:
    op.execute(APPEND_ONLY_EXCEPT_PSEUDONYMISATION)
    op.execute(PSEUDONYMISE_FUNCTION)


def downgrade() -> None:
    op.execute("DROP FUNCTION consent_entry_pseudonymise(text, text, text, text[])")
    op.execute(APPEND_ONLY)
