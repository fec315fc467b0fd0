"""Which contacts tables an export and an erasure cover: every one naming a contact."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from herald_contacts import gdpr
from herald_contacts.models import Contact


def test_tables_with_a_workspace_and_a_contact_id_are_covered_children_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    metadata = sa.MetaData()
    contact = Contact.__table__.to_metadata(metadata)
    sa.Table(
        "list_member",
        metadata,
        sa.Column("workspace_id", sa.Text),
        sa.Column("contact_id", sa.Uuid, sa.ForeignKey(contact.c.id)),
        sa.Column("list_id", sa.Uuid),
    )
    sa.Table("segment", metadata, sa.Column("workspace_id", sa.Text), sa.Column("id", sa.Uuid))
    sa.Table("import_row", metadata, sa.Column("contact_id", sa.Uuid))  # no workspace: skipped
    monkeypatch.setattr(gdpr, "metadata", metadata)

    assert [table.name for table in gdpr.tables_naming_a_contact()] == ["list_member"]


def test_the_contact_table_itself_is_not_a_related_table() -> None:
    assert "contact" not in [table.name for table in gdpr.tables_naming_a_contact()]
